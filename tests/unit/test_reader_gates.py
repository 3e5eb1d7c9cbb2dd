"""The evidence reader's gates on small hand-written evidence, with the shipped weights.

Each test names a behaviour the answer page must keep: off-topic evidence abstains, advice gets
no verdict, a contradicting finding says "no", a missing population is not answered from
evidence about other people.
"""

from __future__ import annotations

import pytest

from citemed.audience import adapt
from citemed.audience.redflags import URGENT_NOTICE
from citemed.compose import compose
from citemed.compose.question import ADVICE_RULES, analyze_question
from citemed.model import Document, Hit, Kind
from citemed.readers import EvidenceReader, available
from citemed.sources.base import make_section

pytestmark = pytest.mark.skipif(not available(), reason="reader weights or torch missing")


def _doc(doc_id: str, title: str, text: str, kind: Kind = Kind.OBSERVATIONAL) -> Document:
    return Document(id=f"t:{doc_id}", collection="t", kind=kind, title=title, source="Test J",
                    year=2021, pmid=doc_id, sections=[make_section("ABSTRACT", text)])


def _hits(*docs: Document) -> list[Hit]:
    return [Hit(document=d, score=10.0 - i, rank=i + 1) for i, d in enumerate(docs)]


SCREENING = _doc("1", "Cytology and HPV testing for cervical cancer screening",
                 "Primary HPV testing detected more high-grade cervical lesions than cytology "
                 "in women aged 30 to 60 years. Screening intervals of five years were safe "
                 "after a negative HPV test. Colposcopy referral rates were higher with HPV "
                 "testing than with cytology alone.")
FRACTURE_TRIAL = _doc("2", "Vitamin D supplementation and fractures in older adults",
                      "Vitamin D3 supplementation did not reduce the risk of fractures compared "
                      "with placebo in adults aged 60 years or older.", Kind.RANDOMIZED_TRIAL)
IBUPROFEN_ADULTS = _doc("3", "Ibuprofen for acute pain in adults",
                        "Ibuprofen 400 mg relieved acute postoperative pain in adults better "
                        "than placebo. Gastrointestinal adverse events were uncommon with short "
                        "courses of ibuprofen in adults.", Kind.SYSTEMATIC_REVIEW)
MENINGITIS = _doc("4", "Bacterial meningitis in children",
                  "Fever with neck stiffness in a child is a classic sign of bacterial "
                  "meningitis and needs urgent assessment in hospital. Early antibiotics reduce "
                  "death and neurological damage in children with bacterial meningitis.")


@pytest.fixture(scope="module")
def reader() -> EvidenceReader:
    return EvidenceReader.shared()


@pytest.mark.parametrize("rule", ADVICE_RULES, ids=lambda rule: rule.name)
def test_advice_rules_match_their_examples(rule):
    assert rule.pattern.search(rule.example)
    assert analyze_question(rule.example).qtype == "advice"


def test_question_whose_concept_the_library_lacks_abstains(reader):
    # A library on vitamin D and fractures holds nothing on acupuncture for migraine: no
    # bullet, no verdict, and the page names what is missing.
    answer = compose("Does acupuncture prevent migraine attacks?", _hits(FRACTURE_TRIAL),
                     reader=reader)
    assert answer.abstained
    assert answer.direct_answer.verdict == "insufficient"
    assert not answer.all_bullets()
    assert "acupuncture" in answer.direct_answer.text


def test_evidence_on_part_of_the_question_gets_no_verdict(reader):
    # Screening evidence is not vaccination evidence: the page says the evidence is partial
    # and names the missing concept instead of answering "yes".
    answer = compose("Is HPV vaccination effective in preventing cervical cancer?",
                     _hits(SCREENING), reader=reader)
    assert answer.direct_answer.verdict == "insufficient"
    assert any(n.startswith("Partial evidence") and "vaccination" in n for n in answer.notices)


def test_contradicting_sentence_yields_no(reader):
    answer = compose("Does vitamin D supplementation reduce fractures in older adults?",
                     _hits(FRACTURE_TRIAL), reader=reader)
    assert not answer.abstained
    assert answer.direct_answer.verdict == "no"
    assert answer.evidence_summary is not None and answer.evidence_summary.opposing == 1


def test_supporting_sentence_yields_yes(reader):
    answer = compose("Does ibuprofen relieve acute postoperative pain in adults?",
                     _hits(IBUPROFEN_ADULTS), reader=reader)
    assert answer.direct_answer.verdict == "yes"


def test_missing_population_is_not_answered_from_other_people(reader):
    answer = compose("Is ibuprofen safe during pregnancy?", _hits(IBUPROFEN_ADULTS),
                     reader=reader)
    assert answer.abstained and not answer.all_bullets()
    assert "pregnancy" in answer.direct_answer.text


def test_advice_question_gets_no_verdict_and_the_urgent_notice_for_every_reader(reader):
    question = "My child has a fever of 39 C and a stiff neck, what should I do?"
    answer = compose(question, _hits(MENINGITIS), reader=reader)
    assert answer.question_type == "advice"
    assert answer.direct_answer.verdict is None
    for audience in ("clinician", "patient"):
        assert URGENT_NOTICE in adapt(answer, audience).notices


def test_verdict_concepts_setting_decides_whether_partial_evidence_gets_a_verdict(reader):
    # The screening page is the same under each rule; all but "none" withhold the verdict
    # because no quoted passage names vaccination.
    question = "Is HPV vaccination effective in preventing cervical cancer?"
    withheld = {rule: compose(question, _hits(SCREENING), reader=reader, threshold=0.0,
                              verdict_concepts=rule).direct_answer.verdict == "insufficient"
                for rule in ("every", "subject", "focus", "none")}
    assert withheld == {"every": True, "subject": True, "focus": True, "none": False}


TYPHOID = _doc("5", "Typhoid fever: symptoms",
               "Children with typhoid fever usually have a sustained fever as high as 39 to 40 C. "
               "They may also feel weak or have stomach pains, headache or loss of appetite.")


def test_focus_abstains_when_no_passage_names_the_most_specific_concept(reader):
    # Fever evidence that never mentions a stiff neck answers another question: with
    # focus_abstains the page says so (and the urgent notice still shows); the meningitis
    # source, which names neck stiffness, is answered from as before.
    question = "My child has a fever of 39 C and a stiff neck, what should I do?"
    off_topic = compose(question, _hits(TYPHOID, MENINGITIS), reader=reader, threshold=0.0,
                        focus_abstains="closed", idf=lambda c: 5.0 if c == "stiff" else 1.0)
    plain = compose(question, _hits(TYPHOID), reader=reader, threshold=0.0,
                    idf=lambda c: 5.0 if c == "stiff" else 1.0)
    gated = compose(question, _hits(TYPHOID), reader=reader, threshold=0.0,
                    focus_abstains="closed", idf=lambda c: 5.0 if c == "stiff" else 1.0)
    assert not plain.abstained and plain.direct_answer.text
    assert gated.abstained and not gated.all_bullets()
    assert '"stiff"' in gated.direct_answer.text
    assert URGENT_NOTICE in adapt(gated, "patient").notices
    assert not off_topic.abstained


def test_focus_abstains_closed_leaves_open_questions_their_partial_evidence(reader):
    question = "What causes fever with a stiff neck in children?"
    idf = lambda c: 5.0 if c == "stiff" else 1.0  # noqa: E731
    closed = compose(question, _hits(TYPHOID), reader=reader, threshold=0.0,
                     focus_abstains="closed", idf=idf)
    every = compose(question, _hits(TYPHOID), reader=reader, threshold=0.0,
                    focus_abstains="all", idf=idf)
    assert closed.question_type != "advice" and not closed.abstained
    assert every.abstained and not every.all_bullets()


VACCINE_TRIAL = _doc("6", "HPV vaccination and invasive cervical cancer",
                     "Women vaccinated against HPV before age 17 had a markedly lower risk of "
                     "invasive cervical cancer than unvaccinated women.", Kind.RANDOMIZED_TRIAL)


def test_closed_question_whose_subject_no_passage_names_abstains(reader):
    # As in the demo library, HPV is the rarest concept, so the screening passages name the
    # focus; none names vaccination, the subject of the question: the page says so and shows
    # no screening bullets. A vaccination source is answered from.
    question = "Is HPV vaccination effective in preventing cervical cancer?"
    weights = {"hpv": 6.4, "cervic": 5.2, "vaccin": 4.3}

    def page(*docs):
        return compose(question, _hits(*docs), reader=reader, threshold=0.0,
                       focus_abstains="closed", idf=lambda c: weights.get(c, 2.0))

    screening_only = page(SCREENING)
    assert screening_only.abstained and not screening_only.all_bullets()
    assert '"vaccination"' in screening_only.direct_answer.text
    assert screening_only.direct_answer.verdict == "insufficient"
    with_trial = page(VACCINE_TRIAL, SCREENING)
    assert not with_trial.abstained
    assert with_trial.direct_answer.verdict != "insufficient"
