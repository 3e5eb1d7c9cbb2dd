"""Retrieval over the small fixture library: ranking, expansions, priors, sentences, coverage."""

import numpy as np
import pytest

from citemed.errors import InputError
from citemed.library import Library, lexical_build
from citemed.library.abbreviations import find_pairs
from citemed.model import Document, Kind
from citemed.retrieve import _top_k, analyze, search
from citemed.settings import Settings
from citemed.sources.base import make_section
from tests.conftest import fixture_documents, shared_data


def test_search_ranks_the_matching_document_first_with_its_best_sentences(library):
    hits = search(library, "aromatase inhibitor joint pain exercise", k=3)
    assert hits[0].document.id == "fixture:ai-exercise"
    best = hits[0].sentences[0]
    doc = hits[0].document
    section = next(s for s in doc.sections if s.label == best.section_label)
    assert section.text[best.start:best.end] == best.text
    assert "exercise" in best.text.lower()
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))


def test_coverage_is_the_share_of_query_idf_mass_present(library):
    hits = search(library, "flu fever cough", k=5)
    assert hits[0].document.id == "fixture:flu-consumer"
    assert hits[0].signals["coverage"] == pytest.approx(1.0)
    partial = search(library, "flu zebrafish", k=5)[0]
    assert 0.0 < partial.signals["coverage"] < 1.0


def test_empty_question_is_rejected(library):
    with pytest.raises(InputError):
        search(library, "   ")


def test_abbreviation_pairs_are_found_with_their_long_form(tmp_path):
    text = ("Aromatase inhibitor-induced musculoskeletal symptoms (AIMSS) are common. "
            "Patients (n = 30) took non-steroidal anti-inflammatory drugs (NSAIDs).")
    assert list(find_pairs(text)) == [
        ("AIMSS", "aromatase inhibitor-induced musculoskeletal symptoms"),
        ("NSAIDs", "non-steroidal anti-inflammatory drugs"),
    ]
    learned = lexical_build.build(tmp_path / "lexical", [_doc("x", "Therapy", text)],
                                  version="v").abbreviations
    assert learned["nsaid"][-1] == "drug" and learned["nsaids"] == learned["nsaid"]
    assert "musculoskelet" in learned["aimss"]


def _doc(doc_id: str, title: str, body: str, kind: Kind = Kind.OBSERVATIONAL,
         year: int | None = 2015) -> Document:
    return Document(id=f"t:{doc_id}", collection="t", kind=kind, title=title, year=year,
                    sections=[make_section("ABSTRACT", body)])


@pytest.fixture
def expansion_library(tmp_path):
    lib = Library(Settings(library=tmp_path / "lib", data=shared_data()), create=True)
    lib.ingest_documents(fixture_documents() + [
        _doc("define", "Musculoskeletal symptoms on endocrine therapy",
             "Aromatase inhibitor-induced musculoskeletal symptoms (AIMSS) affect half of women."),
        _doc("spelled", "Hand stiffness in breast cancer survivors",
             "Aromatase inhibitor-induced musculoskeletal symptoms improved with acupuncture."),
        _doc("anemia", "Anemia in chronic kidney disease", "Anemia is treated with iron."),
    ], source_name="t")
    lib.refresh_indexes()
    yield lib
    lib.close()


def test_short_form_in_the_question_finds_documents_that_spell_it_out(expansion_library):
    index = expansion_library.lexical
    query = analyze("Acupuncture for AIMSS?", vocab=index.vocab,
                    abbreviations=index.abbreviations)
    assert 0 < query.terms["musculoskelet"] < 1.0
    ids = [h.document.id for h in search(expansion_library, "AIMSS", k=5)]
    # The document that uses the short form comes first; the spelled-out one has no "AIMSS"
    # at all, so only the expansion finds it.
    assert ids[:2] == ["t:define", "t:spelled"]
    # Lower-case ordinary words are not read as abbreviations.
    assert analyze("aimss", vocab=index.vocab, abbreviations=index.abbreviations).expansions == {}


def test_british_spelling_matches_american_text(expansion_library):
    hits = search(expansion_library, "anaemia iron", k=1)
    assert hits[0].document.id == "t:anemia"
    assert hits[0].signals["coverage"] == pytest.approx(1.0)
    assert "Anemia" in hits[0].sentences[0].text


def test_a_verb_in_the_question_finds_the_noun_of_the_same_act(expansion_library):
    # "treated" stems to "treat", the fixture's "Anemia is treated" aside; the title-only
    # document says "treatment", which only the word family reaches.
    expansion_library.ingest_documents([
        _doc("page", "Hyperuricemia: treatment", "Allopurinol lowers urate levels."),
    ], source_name="t")
    expansion_library.refresh_indexes()
    index = expansion_library.lexical
    query = analyze("How is hyperuricemia treated?", vocab=index.vocab)
    assert 0 < query.terms["treatment"] < 1.0 and query.expansions["treatment"] == "treat"
    assert search(expansion_library, "How is hyperuricemia treated?", k=1)[0].document.id \
        == "t:page"


def test_priors_order_equally_matching_documents_and_switch_off(tmp_path):
    body = "Statins lower cholesterol in adults with diabetes."
    docs = [_doc("case", "Statins and cholesterol", body, Kind.CASE_REPORT, 2018),
            _doc("guide", "Statins and cholesterol", body, Kind.GUIDELINE, 2018),
            _doc("old", "Statins and cholesterol", body, Kind.RANDOMIZED_TRIAL, 1991),
            _doc("new", "Statins and cholesterol", body, Kind.RANDOMIZED_TRIAL, 2021),
            _doc("page", "Statins and cholesterol", body, Kind.CONSUMER, None)]
    ids = {}
    for name, flags in [("on", {}), ("off", {"kind_prior": False, "recency_prior": False,
                                             "audience_prior": False})]:
        lib = Library(Settings(library=tmp_path / name, **flags), create=True)
        lib.ingest_documents(docs, source_name="t")
        lib.refresh_indexes()
        ids[name] = {aud: [h.document.id for h in search(lib, "statins cholesterol", k=5,
                                                            audience=aud)]
                     for aud in ("clinician", "patient")}
        lib.close()
    clinician = ids["on"]["clinician"]
    assert clinician[0] == "t:guide"
    assert clinician.index("t:new") < clinician.index("t:old") < clinician.index("t:case")
    assert clinician[-1] == "t:page"
    assert ids["on"]["patient"][0] == "t:page"
    # Without priors the tie stays a tie: the order is the index order, not the prior order.
    assert ids["off"]["clinician"] == ids["off"]["patient"]
    assert ids["off"]["clinician"] != clinician


def test_a_hyphenated_question_word_is_covered_by_its_parts(library):
    # The fixture says "aromatase inhibitor arthralgia", never "inhibitor-related".
    hit = next(h for h in search(library, "inhibitor-related arthralgia", k=4)
               if h.document.id == "fixture:ai-joint")
    assert hit.signals["coverage"] < 1.0  # "related" is missing
    full = next(h for h in search(library, "aromatase-inhibitor arthralgia", k=4)
                if h.document.id == "fixture:ai-joint")
    assert full.signals["coverage"] == pytest.approx(1.0)


@pytest.mark.parametrize("size, k", [(50, 10), (5000, 3), (5000, 100), (300_000, 100)])
def test_top_k_is_the_k_best_positive_scores_ties_in_row_order(size, k):
    rng = np.random.default_rng(size + k)
    # Few distinct values: many ties, at the k-th score too; a quarter of the rows score 0.
    scores = rng.integers(0, 40, size).astype(np.float32) * (rng.random(size) > 0.25)
    positive = [row for row in range(size) if scores[row] > 0]
    expected = sorted(positive, key=lambda row: (-scores[row], row))[:k]
    assert _top_k(scores, k) == expected
    assert _top_k(np.zeros(size, dtype=np.float32), k) == []
    sparse = np.zeros(size, dtype=np.float32)
    sparse[[3, size - 1]] = [1.0, 2.0]  # fewer positive scores than k, one past the blocks
    assert _top_k(sparse, k) == [size - 1, 3][:k]
