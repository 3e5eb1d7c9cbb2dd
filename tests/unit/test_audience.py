from __future__ import annotations

from citemed.audience import PATIENT_DISCLAIMER, PLAIN_VERDICTS, Rewriter, adapt
from citemed.audience.readability import flesch_kincaid_grade
from citemed.audience.redflags import CRISIS_NOTICE, URGENT_NOTICE, red_flags, urgent_notices
from citemed.audience.vocabulary import (
    CURATED,
    best_pairs,
    build_vocabulary,
    library_vocabulary,
    mine_pairs,
)
from citemed.engine import Engine
from citemed.eval.answer_metrics import traceability
from citemed.model import (
    Answer,
    AnswerSection,
    Bullet,
    DirectAnswer,
    Kind,
    Quote,
    Reference,
    Substitution,
    extracted_text,
)
from tests.web_documents import web_documents


def test_rewriter_records_every_substitution_and_keeps_case():
    source = "Arthralgia and myalgias were common (95% CI 1.2-3.4) in postmenopausal women."
    text, subs = Rewriter(CURATED).rewrite(source)
    assert text == "Joint pain and muscle pain were common in after menopause women."
    assert [(s.original, s.replacement) for s in subs] == [
        (" (95% CI 1.2-3.4)", ""), ("Arthralgia", "Joint pain"), ("myalgias", "muscle pain"),
        ("postmenopausal", "after menopause")]
    # The record is complete: undoing it gives back the source sentence byte for byte.
    assert extracted_text(text, subs) == source


def test_every_occurrence_is_recorded_and_an_unrecorded_change_is_caught():
    source = "Myalgia is common; myalgia (muscle pain) and renal myalgia persist."
    text, subs = Rewriter(CURATED).rewrite(source)
    assert text == "Muscle pain is common. Myalgia (muscle pain) and kidney muscle pain persist."
    assert extracted_text(text, subs) == source
    assert extracted_text(text.replace("kidney", "liver"), subs) is None


def test_rewriter_leaves_a_term_that_is_already_glossed():
    text, subs = Rewriter(CURATED).rewrite("Some medicines cause arthralgia (joint pain).")
    assert text == "Some medicines cause arthralgia (joint pain)."
    assert subs == []


def test_reading_grade_counts_our_own_sentences():
    assert flesch_kincaid_grade("The cat sat on the mat. It was warm.") < 2
    technical = ("Aromatase inhibitor-induced musculoskeletal syndrome is characterized by "
                 "symmetrical arthralgia and myalgia in postmenopausal women.")
    assert flesch_kincaid_grade(technical) > 14
    # A decimal does not split the sentence (which would deflate the grade).
    assert flesch_kincaid_grade("Risk fell by 2.5 percent in older adults.") == (
        flesch_kincaid_grade("Risk fell by 2 percent in older adults."))
    assert flesch_kincaid_grade("") is None


def test_red_flags_name_symptoms_and_pick_the_crisis_line_for_suicidal_thoughts():
    assert red_flags("I have crushing chest pain and my left arm hurts") == ["chest pain"]
    assert red_flags("My father has a drooping face and slurred speech") == ["stroke signs"]
    assert red_flags("Does metformin cause weight loss?") == []
    assert urgent_notices("I keep having suicidal thoughts") == [CRISIS_NOTICE]
    assert urgent_notices("my throat is swelling after a bee sting") == [URGENT_NOTICE]


def test_lay_pairs_are_mined_from_glosses_and_noise_is_dropped():
    counts = mine_pairs(document.sections[0].text + " " + document.sections[1].text
                        for document in web_documents() if document.id == "webfix:joint-consumer")
    assert best_pairs(counts) == {"arthralgia": "joint pain", "myalgia": "muscle pain"}
    noisy = mine_pairs([
        "Tachycardia (with pheochromocytoma) occurs. Polycythemia (polycythemia vera) too.",
        "Retinoblastoma (metastatic) and retinoblastoma (metastatic) were seen.",
        "Hyperammonemia (an accumulation of ammonia in the blood) and hyperammonemia (an "
        "accumulation of ammonia in the blood). Bronchitis (bron-ki-tis) x bronchitis (bron-ki-tis)",
    ])
    assert best_pairs(noisy) == {"hyperammonemia": "accumulation of ammonia in the blood"}


def test_library_vocabulary_is_cached_per_library_version(library):
    library.ingest_documents(web_documents(), source_name="fixture")
    library.refresh_indexes()
    vocabulary = library_vocabulary(library)
    assert vocabulary["myalgia"] == "muscle pain"
    cache = library.folder / "index" / "lay_vocabulary.json"
    assert library.version in cache.read_text()


MYALGIA_QUESTION = "Does metformin cause myalgia in men with type 2 diabetes?"


def _web_engine(library) -> Engine:
    library.ingest_documents(web_documents(), source_name="fixture")
    library.refresh_indexes()
    return Engine(library.settings, library=library)


def test_adapt_for_patients_rewords_trims_and_keeps_quotes(library):
    clinician = _web_engine(library).ask(MYALGIA_QUESTION, audience="clinician")
    patient = adapt(clinician, "patient", vocabulary=CURATED)
    assert "myalgia" in clinician.direct_answer.text
    assert "muscle pain" in patient.direct_answer.text
    assert {(s.original, s.replacement) for s in patient.direct_answer.substitutions} == {
        ("associated with", "linked to"), ("myalgia", "muscle pain")}
    # Quotes are the source sentences, byte for byte; sentence ids are kept.
    for ref in patient.references:
        document = library.document(ref.document_id)
        texts = {sid: s.text for sid, _sec, s in document.iter_sentences()}
        assert all(texts[q.sentence_id] == q.text for q in ref.quotes)
    assert patient.direct_answer.sentence_ids == clinician.direct_answer.sentence_ids
    assert patient.disclaimer == PATIENT_DISCLAIMER
    assert patient.reading_grade is not None
    assert all(len(s.bullets) <= 3 for s in patient.sections)


def test_patient_references_are_renumbered_after_trimming(library):
    engine = Engine(library.settings, library=library)
    answer = engine.ask("Does exercise reduce aromatase inhibitor joint pain?", audience="patient")
    cited = [answer.direct_answer.citations, *(b.citations for b in answer.all_bullets())]
    numbers = [n for group in cited for n in group]
    assert sorted({r.number for r in answer.references}) == list(range(1, len(answer.references) + 1))
    assert set(numbers) == {r.number for r in answer.references}


def test_engine_adds_urgent_notice_for_every_reader(library):
    engine = Engine(library.settings, library=library)
    question = "I have chest pain after taking anastrozole, is it joint pain?"
    assert URGENT_NOTICE in engine.ask(question, audience="patient").notices
    assert URGENT_NOTICE in engine.ask(question, audience="clinician").notices


def test_rewriter_splits_long_sentences_at_clause_joints_and_drops_unused_abbreviations():
    rewriter = Rewriter({})
    text, subs = rewriter.rewrite("Enteroscopy (DBE) is safe; it is widely used, however, "
                                  "data are limited.")
    assert text == "Enteroscopy is safe. It is widely used. However, data are limited."
    assert [(s.original, s.replacement) for s in subs] == [
        (" (DBE)", ""), ("; it", ". It"), (", however", ". However")]
    kept, _ = rewriter.rewrite("Enteroscopy (DBE) is safe, but DBE finds lesions.")
    assert kept == "Enteroscopy (DBE) is safe, but DBE finds lesions."
    # Joints inside brackets are not sentence boundaries; group counts are statistics.
    counts, subs = rewriter.rewrite("Of 117 people (sham = 43; none = 34), most improved.")
    assert counts == "Of 117 people, most improved."
    assert [(s.original, s.replacement) for s in subs] == [(" (sham = 43; none = 34)", "")]
    nested, _ = rewriter.rewrite("Scores rose (in both arms; see text) over time.")
    assert nested == "Scores rose (in both arms; see text) over time."


def _answer_with_mixed_kinds() -> Answer:
    kinds = [Kind.CONSUMER, Kind.OBSERVATIONAL, Kind.GUIDELINE, Kind.CONSUMER]
    references = [Reference(number=i + 1, document_id=f"doc:{i}", kind=kind,
                            kind_label=kind.label, title=f"Source {i}",
                            quotes=[Quote(sentence_id=f"doc:{i}#0.0", section="S",
                                          text=f"Sentence {i}.", start=0, end=11)])
                  for i, kind in enumerate(kinds)]
    bullets = [Bullet(text=f"Statement {i}.", citations=[i + 1], sentence_ids=[f"doc:{i}#0.0"])
               for i in range(1, 4)]
    return Answer(question="Q?", resolved_question="Q?",
                  direct_answer=DirectAnswer(text="Lead.", citations=[1],
                                             sentence_ids=["doc:0#0.0"]),
                  sections=[AnswerSection(facet="treatment", title="Treatment", bullets=bullets)],
                  references=references)


def test_bullets_put_guidelines_first_for_clinicians_and_consumer_pages_first_for_patients():
    answer = _answer_with_mixed_kinds()
    for audience, expected in [("clinician", ["Statement 2.", "Statement 1.", "Statement 3."]),
                               ("patient", ["Statement 3.", "Statement 2.", "Statement 1."])]:
        adapted = adapt(answer, audience, vocabulary={})
        bullets = adapted.sections[0].bullets
        assert [b.text for b in bullets] == expected
        # References are renumbered by first use; each statement still cites its own source.
        assert [r.number for r in adapted.references] == [1, 2, 3, 4]
        by_number = {r.number: r for r in adapted.references}
        for bullet in bullets:
            assert by_number[bullet.citations[0]].quotes[0].sentence_id == bullet.sentence_ids[0]


def test_condition_names_are_kept_whole():
    text, subs = Rewriter(build_vocabulary({})).rewrite(
        "Cystic fibrosis and renal fibrosis differ; aortic stenosis is common.")
    assert text == "Cystic fibrosis and kidney scarring differ. Aortic stenosis is common."
    assert ("Cystic fibrosis", "Cystic fibrosis") not in [(s.original, s.replacement)
                                                         for s in subs]


def test_patient_lead_is_a_plainer_consumer_statement_on_the_same_question():
    def ref(number, kind):
        return Reference(number=number, document_id=f"doc:{number}", kind=kind,
                         kind_label=kind.label, title="T", quotes=[Quote(
                             sentence_id=f"doc:{number}#0.0", section="S", text="x", start=0,
                             end=1)])

    technical = ("Supervised aerobic exercise interventions significantly ameliorated "
                 "aromatase inhibitor-associated arthralgia severity in postmenopausal women.")
    plain_research = "Exercise eased arthralgia pain."
    plain_consumer = "Exercise can ease arthralgia joint pain."
    answer = Answer(
        question="Does exercise ease arthralgia?", resolved_question="Does exercise ease arthralgia?",
        direct_answer=DirectAnswer(text=technical, citations=[1], sentence_ids=["doc:1#0.0"]),
        sections=[AnswerSection(facet="treatment", title="Treatment", bullets=[
            Bullet(text=plain_research, citations=[2], sentence_ids=["doc:2#0.0"]),
            Bullet(text=plain_consumer, citations=[3], sentence_ids=["doc:3#0.0"])])],
        references=[ref(1, Kind.RANDOMIZED_TRIAL), ref(2, Kind.OBSERVATIONAL),
                    ref(3, Kind.CONSUMER)])
    patient = adapt(answer, "patient", vocabulary={})
    assert patient.direct_answer.text == plain_consumer
    assert patient.direct_answer.sentence_ids == ["doc:3#0.0"]
    moved = [b for b in patient.all_bullets() if b.sentence_ids == ["doc:1#0.0"]]
    assert moved and moved[0].text == technical
    assert patient.reading_grade < flesch_kincaid_grade(technical)
    assert adapt(answer, "clinician").direct_answer.text == technical


def test_rewriter_trims_detail_framing_and_emphasis_and_splits_whole_clauses():
    rewriter = Rewriter({})
    text, subs = rewriter.rewrite(
        "In conclusion, the short stay ward (Westmead Hospital) cut stays to 17.5 hours, "
        "but the readmission rate was unchanged, particularly in infants.")
    assert text == ("The short stay ward cut stays to 17.5 hours. But the readmission rate "
                    "was unchanged.")
    assert [(s.original, s.replacement) for s in subs] == [
        (" (Westmead Hospital)", ""), ("In conclusion, the", "The"),
        (", particularly in infants", ""), (", but the", ". But the")]
    # "although" opens the same contrast as a sentence starting "But".
    contrast, _ = rewriter.rewrite("The marker is useful, although its error rate was 25%.")
    assert contrast == "The marker is useful. But its error rate was 25%."
    # Left whole: a list item, a clause without a verb, an emphasis that starts a list,
    # a lower-case gloss.
    for sentence in ["Pain, fatigue, and the rash improved.",
                     "The test is not perfect, but the best available option.",
                     "Dissection may be skipped, especially in early stages, or in small tumors.",
                     "Some medicines cause arthralgia (joint pain)."]:
        assert rewriter.rewrite(sentence) == (sentence, [])


def test_trimmed_lower_case_starts_are_capitalised_and_recorded_for_both_audiences():
    answer = _answer_with_mixed_kinds()
    answer.sections[0].bullets[0].text = "the drug lowered weight."
    answer.sections[0].bullets[1].text = "mRNA levels rose."
    for audience in ("clinician", "patient"):
        adapted = adapt(answer, audience, vocabulary={})
        bullets = {b.sentence_ids[0]: b for b in adapted.all_bullets()}
        changed, kept = bullets["doc:1#0.0"], bullets["doc:2#0.0"]
        assert changed.text == "The drug lowered weight."
        assert Substitution(original="the", replacement="The", at=0) in changed.substitutions
        assert extracted_text(changed.text, changed.substitutions) == "the drug lowered weight."
        assert kept.text == "mRNA levels rose." and not kept.substitutions


def test_lay_words_fix_the_article_and_passive_forms():
    rewriter = Rewriter(build_vocabulary({}))
    text, subs = rewriter.rewrite("Search found an appropriate diagnosis; a lesion was "
                                  "demonstrated.")
    assert text == "Search found a suitable diagnosis. A damaged area was shown."
    assert ("an appropriate", "a suitable") in [(s.original, s.replacement) for s in subs]
    kept, subs = Rewriter(CURATED).rewrite("A myalgia score rose.")
    assert kept == "A muscle pain score rose."
    assert [(s.original, s.replacement) for s in subs] == [("myalgia", "muscle pain")]


def test_patient_short_answer_reads_easier_and_every_statement_stays_traceable(library):
    engine = _web_engine(library)
    clinician = engine.ask(MYALGIA_QUESTION, audience="clinician")
    patient = engine.ask(MYALGIA_QUESTION, audience="patient")
    # Easier as a whole (plain verdict lead + evidence) and in the evidence statement alone.
    assert patient.reading_grade < clinician.reading_grade
    assert (flesch_kincaid_grade(patient.direct_answer.text)
            < flesch_kincaid_grade(clinician.direct_answer.text))
    assert patient.direct_answer.lead == PLAIN_VERDICTS[patient.direct_answer.verdict]
    assert clinician.direct_answer.lead == ""
    assert patient.direct_answer.substitutions
    # Undoing each statement's recorded changes gives a contiguous span of a cited quote ...
    ok, total = traceability(patient)
    assert total == 1 + len(patient.all_bullets()) and ok == total
    for ref in patient.references:  # ... and the quotes are the stored sentences.
        texts = {sid: s.text for sid, _sec, s in library.document(ref.document_id).iter_sentences()}
        assert all(texts[q.sentence_id] == q.text for q in ref.quotes)
    # A wording change without a record is caught.
    patient.direct_answer.text = patient.direct_answer.text.replace("muscle", "joint")
    assert traceability(patient)[0] == total - 1


def test_rewriter_splits_contrasts_and_inferences_and_drops_study_framing():
    rewriter = Rewriter({})
    cases = {
        "Although the sample was small, the drug lowered pain.":
            "The sample was small. But the drug lowered pain.",
        "Pain fell at 6 weeks, suggesting that the drug works.":
            "Pain fell at 6 weeks. This suggests that the drug works.",
        "Pain fell, and thus the drug was continued.": "Pain fell. So the drug was continued.",
        "In this retrospective cohort study, pain fell.": "Pain fell.",
        # Not whole clauses, or a list: left alone.
        "While waiting, patients read.": "While waiting, patients read.",
        "While limited by its design, the study is reassuring.":
            "While limited by its design, the study is reassuring.",
        "Addition of the tilt, however, causes ischemia.":
            "Addition of the tilt, however, causes ischemia.",
        "Values were 90% for MRI; 95% for CT; and 96% for both.":
            "Values were 90% for MRI; 95% for CT; and 96% for both.",
        "Age; sex; and weight were recorded.": "Age; sex; and weight were recorded.",
        "Twenty patients, showing no signs, went home.":
            "Twenty patients, showing no signs, went home.",
        "In all groups, although the loss was larger, the weight was also larger.":
            "In all groups, although the loss was larger, the weight was also larger.",
        "Not only the placebo but the drug also lowered pain.":
            "Not only the placebo but the drug also lowered pain.",
        "Although small, older, and frail, the patients improved.":
            "Although small, older, and frail, the patients improved.",
    }
    for source, expected in cases.items():
        text, subs = rewriter.rewrite(source)
        assert text == expected
        assert extracted_text(text, subs) == source
    # A change is listed as whole words: "Although the" -> "The", not "Although t" -> "T".
    _text, subs = rewriter.rewrite("Although the sample was small,  the drug lowered pain.")
    assert [(s.original, s.replacement) for s in subs] == [
        ("Although the", "The"), (",  the", ". But the")]
