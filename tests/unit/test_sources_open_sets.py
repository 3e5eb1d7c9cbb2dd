"""Readers for the open JSONL sets, on small hand-written fixtures in each set's schema."""

import json
from pathlib import Path

from citemed.errors import SourceError
from citemed.model import Document, Kind
from citemed.sources import reader_for
from tests.conftest import FIXTURES

SOURCES = FIXTURES / "sources"


def read_path(path: Path, fmt: str | None = None) -> tuple[list[Document], list[SourceError]]:
    items = list(reader_for(path, fmt).read(path))
    return ([i for i in items if isinstance(i, Document)],
            [i for i in items if isinstance(i, SourceError)])


def read(name: str) -> tuple[list[Document], list[SourceError]]:
    return read_path(SOURCES / name)


def assert_offsets_exact(doc: Document) -> None:
    for _, section, sentence in doc.iter_sentences():
        assert section.text[sentence.start:sentence.end] == sentence.text


def test_formats_are_detected_from_the_first_record():
    names = {p.name: reader_for(p).name for p in sorted(SOURCES.glob("*.jsonl"))}
    assert names == {"medquad.jsonl": "medquad", "medicationqa.jsonl": "medicationqa",
                     "ngc.jsonl": "ngc", "scifact.jsonl": "scifact"}


def test_medquad_page_title_site_terms_and_clean_paragraphs():
    docs, errors = read("medquad.jsonl")
    assert [d.id for d in docs] == ["medquad:1_Demo_QA/0001#1", "medquad:1_Demo_QA/0001#2"]
    first = docs[0]
    assert first.kind is Kind.CONSUMER
    assert first.title == "Glimmer Syndrome: overview"
    assert docs[1].title == "Glimmer Syndrome: treatment"
    assert first.source == "National Cancer Institute (CancerGov)"
    assert first.url == "https://example.org/pages/glimmer-syndrome"
    assert first.terms == ["Glimmer Syndrome", "Glimmer disease", "GS"]
    assert first.extra["question_type"] == "information" and first.extra["qid"] == "0001-1"
    assert first.extra["umls_cuis"] == ["C0000001"]
    section = first.sections[0]
    assert section.label == "What is Glimmer Syndrome?"
    assert "  " not in section.text  # XML indentation is gone
    assert [s.text for s in section.sentences] == [
        "Key Points", "- Glimmer syndrome is an invented condition used in tests.",
        "- It causes sparkly skin.", "Glimmer syndrome affects the skin.", "It is not contagious.",
    ]
    assert_offsets_exact(first)
    # The truncated line 2 and the record without an answer (line 4) are reported, not fatal.
    assert [(e.record, "invalid JSON" in str(e)) for e in errors] == [(2, True), (4, False)]
    assert "medquad.jsonl [record 4]" in str(errors[1]) and "answer" in str(errors[1])


def read_medquad_answer(tmp_path: Path, answer: str) -> Document:
    """One Glimmer Syndrome page whose answer is `answer`, read by the MedQuAD reader."""
    record = {"id": "2_Demo/0002#1", "focus": "Glimmer Syndrome", "question_type": "treatment",
              "question": "What are the treatments for Glimmer Syndrome ?", "answer": answer,
              "source_collection": "2_Demo", "source": "GARD"}
    path = tmp_path / "medquad.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    docs, errors = read_path(path, "medquad")
    assert not errors and len(docs) == 1
    assert_offsets_exact(docs[0])
    return docs[0]


def test_medquad_flattened_subheadings_do_not_open_the_next_sentence(tmp_path):
    # Upstream answers carry page sub-headings inline, with no punctuation after them.
    answer = ("Relief Is Possible With care, most people with glimmer syndrome feel better. "
              "Usual Treatments The usual treatment is a cool cream. "
              "The Glimmer Research Center is in Oslo.")
    doc = read_medquad_answer(tmp_path, answer)
    assert [s.text for s in doc.sections[0].sentences] == [
        "Relief Is Possible", "With care, most people with glimmer syndrome feel better.",
        "Usual Treatments", "The usual treatment is a cool cream.",
        # A proper name followed by a verb is a sentence, not a heading.
        "The Glimmer Research Center is in Oslo.",
    ]


def test_medquad_list_copied_without_its_dashes_is_read_once(tmp_path):
    # Upstream pages sometimes repeat a bulleted list as plain text, items run together.
    answer = ("Some medicines raise the level of glimmer dust in the blood.   - sparkle pills, "
              "which are taken to brighten the skin of people with dull skin   - shine drops, "
              "a tonic also known as lustre water.  sparkle pills, which are taken to brighten "
              "the skin of people with dull skin shine drops, a tonic also known as lustre "
              "water. Ask your doctor before you stop any medicine.")
    doc = read_medquad_answer(tmp_path, answer)
    assert [s.text for s in doc.sections[0].sentences] == [
        "Some medicines raise the level of glimmer dust in the blood.",
        "- sparkle pills, which are taken to brighten the skin of people with dull skin",
        "- shine drops, a tonic also known as lustre water.",
        "Ask your doctor before you stop any medicine.",
    ]


def test_medquad_heading_that_names_the_page_topic_is_set_apart(tmp_path):
    answer = ("When Glimmer Syndrome Spreads Glimmer Syndrome can reach the eyes. "
              "Most people recover.")
    doc = read_medquad_answer(tmp_path, answer)
    assert [s.text for s in doc.sections[0].sentences] == [
        "When Glimmer Syndrome Spreads", "Glimmer Syndrome can reach the eyes.",
        "Most people recover."]


def test_medquad_page_template_shared_by_many_answers_is_dropped(tmp_path):
    # A site's boilerplate ends every symptom page; a sentence a few pages share says something
    # about each page's own condition and stays.
    from citemed.sources.medquad import TEMPLATE_MIN_ANSWERS

    template = "The frequency of a sign is usually listed as a rough estimate."
    shared = "This condition is inherited in a dominant pattern."
    records = []
    for n in range(TEMPLATE_MIN_ANSWERS):
        answer = f"Glimmer type {n} causes {n + 2} silver spots on the skin. {template}"
        if n < 3:
            answer += f" {shared}"
        records.append({"id": f"3_Demo/{n:04d}#1", "focus": f"Glimmer type {n}",
                        "question_type": "symptoms", "source": "GARD",
                        "question": f"What are the symptoms of Glimmer type {n} ?",
                        "answer": answer, "source_collection": "3_Demo"})
    records.append({**records[-1], "id": "3_Demo/9999#1", "answer": template})
    path = tmp_path / "medquad.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    docs, errors = read_path(path, "medquad")
    assert not errors and len(docs) == TEMPLATE_MIN_ANSWERS + 1
    for doc in docs:
        assert_offsets_exact(doc)
    texts = [[s.text for s in d.sections[0].sentences] for d in docs]
    assert texts[0] == ["Glimmer type 0 causes 2 silver spots on the skin.", shared]
    assert texts[50] == ["Glimmer type 50 causes 52 silver spots on the skin."]
    assert texts[-1] == [template]  # nothing else on the page: kept rather than emptied


def test_medicationqa_titles_from_the_page_section_and_pmid_from_url():
    docs, errors = read("medicationqa.jsonl")
    assert [d.id for d in docs] == ["medicationqa:medqa-0001", "medicationqa:medqa-0002"]
    assert docs[0].title == "zentrafil: DOSAGE AND ADMINISTRATION"
    assert docs[0].source.startswith("DailyMed")
    # 'NA' section title: the question names the page section instead.
    assert docs[1].title == "zentrafil: Does zentrafil affect sleep"
    assert docs[1].pmid == "12345678"
    assert [e.record for e in errors] == [3]


def test_ngc_recommendations_keep_their_grades_in_one_sentence():
    docs, errors = read("ngc.jsonl")
    (doc,) = docs
    assert doc.id == "ngc:0042" and doc.kind is Kind.GUIDELINE
    assert doc.source == "Demo Health Agency"
    assert doc.year == 2016  # the revision, not the first release
    assert doc.pmid == "11111111" and doc.extra["pmids"] == ["11111111"]
    assert doc.extra["date_released"] == "2009 Mar (revised 2016 Jun)"
    recs = doc.sections[0]
    assert recs.label == "RECOMMENDATIONS"
    texts = [s.text for s in recs.sentences]
    assert "It should be brief. ( Strong for; Reviewed )" in texts
    assert "- The Work Group suggests against routine biopsy. ( Weak against )" in texts
    graded = {recs.sentences[g["sentence"]].text: g["grade"] for g in doc.extra["grades"]}
    assert graded == {"It should be brief. ( Strong for; Reviewed )": "Strong for; Reviewed",
                      "- The Work Group suggests against routine biopsy. ( Weak against )":
                          "Weak against"}
    labels = [s.label for s in doc.sections]
    assert labels == ["RECOMMENDATIONS", "OBJECTIVES", "TARGET POPULATION",
                      "INTERVENTIONS CONSIDERED", "GRADE DEFINITIONS"]  # "Not stated" harms: none
    assert doc.sections[-1].text == "Strong for: the benefits clearly outweigh the harms."
    assert "Definitions" not in recs.text
    assert doc.extra["recommendation_rating_scheme"] == "Strong or weak, for or against."
    assert doc.extra["outcomes_considered"] == "Itch"
    assert doc.terms == ["Glimmer syndrome", "Sparkly skin", "Dermatology"]
    assert_offsets_exact(doc)
    assert len(errors) == 1 and "[record 2]" in str(errors[0])


def test_scifact_keeps_the_given_sentence_numbering_and_labels():
    docs, errors = read("scifact.jsonl")
    structured, plain = docs
    assert structured.id == "scifact:101"
    assert [s.label for s in structured.sections] == ["BACKGROUND", "RESULTS", "CONCLUSIONS"]
    sentences = [s.text for _, _, s in structured.iter_sentences()]
    assert sentences == ["Glimmer protein is found in skin.", "Its role is unknown.",
                         "Levels were higher in 40 of 50 patients (p = 0.01).",
                         "Glimmer protein marks disease."]
    # An upper-case acronym is not a label; odd given sentences stay one sentence each.
    assert [s.label for s in plain.sections] == ["ABSTRACT"]
    assert [s.text for _, _, s in plain.iter_sentences()] == [
        "HIV infection did not change glimmer levels.", "0.24 versus 1.15 +/-"]
    for doc in docs:
        assert_offsets_exact(doc)
    assert [e.record for e in errors] == [3]


def test_format_option_overrides_detection(tmp_path: Path):
    path = tmp_path / "renamed.txt"
    path.write_text((SOURCES / "scifact.jsonl").read_text())
    docs, _ = read_path(path, "scifact")
    assert len(docs) == 2



def test_a_mixed_folder_is_planned_file_by_file(tmp_path):
    import shutil

    from citemed.sources import plan

    shutil.copy(SOURCES / "scifact.jsonl", tmp_path / "corpus.jsonl")
    shutil.copy(SOURCES / "pubmed_sample.xml", tmp_path / "pubmed.xml")
    shutil.copytree(SOURCES / "guidelines", tmp_path / "guidelines")
    shutil.copytree(SOURCES / "bioasq", tmp_path / "bioasq")
    (tmp_path / "README.md").write_text("# Notes\n\nNot a guideline.\n")
    (tmp_path / "claims.jsonl").write_text('{"id": 1, "claim": "x"}\n')
    pairs, unknown = plan(tmp_path)
    assert [(reader.name, path.name) for reader, path in pairs] == [
        ("bioasq", "bioasq"), ("scifact", "corpus.jsonl"), ("guidelines", "guidelines"),
        ("pubmed", "pubmed.xml")]
    assert sorted(p.name for p in unknown) == ["README.md", "claims.jsonl"]


def test_an_overlong_jsonl_line_is_skipped_and_the_next_lines_read(tmp_path):
    from citemed.sources.base import iter_jsonl

    lines = (SOURCES / "scifact.jsonl").read_text().splitlines()
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join([lines[0], '{"doc_id": 9, "title": "' + "x" * 5000 + '"}',
                               lines[1]]) + "\n")
    items = list(iter_jsonl(path, max_line_chars=1000))
    assert [i[0] for i in items if not isinstance(i, SourceError)] == [1, 3]
    (error,) = [i for i in items if isinstance(i, SourceError)]
    assert "[record 2]" in str(error) and "longer than 1,000" in str(error)
