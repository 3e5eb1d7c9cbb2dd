import re
import unicodedata

import pytest
import Stemmer

from citemed import text as text_module
from citemed.text import STOPWORDS, split_sentences, tokenize


def test_offsets_point_at_the_exact_sentence_text():
    text = "Arthralgia occurred in 47.5% of women (p<0.05). It was mild, e.g. grade 1. Next one."
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "Arthralgia occurred in 47.5% of women (p<0.05).",
        "It was mild, e.g. grade 1.",
        "Next one.",
    ]
    for s in sentences:
        assert text[s.start:s.end] == s.text


def test_no_break_after_initials_abbreviations_or_lower_case_continuation():
    text = "Smith et al. showed this in A. thaliana vs. controls. Dose was 5 mg. daily for all."
    assert len(split_sentences(text)) == 2


def test_paragraphs_and_bullets_always_break():
    text = "First recommendation without a period\n\nSecond one\n- item one\n- item two"
    assert [s.text for s in split_sentences(text)] == [
        "First recommendation without a period", "Second one", "- item one", "- item two",
    ]


def test_tokenize_stems_and_keeps_negation():
    tokens = tokenize("Does aspirin NOT reduce strokes without bleeding?")
    assert "not" in tokens and "without" in tokens
    assert "stroke" in tokens and "aspirin" in tokens
    assert "does" not in tokens


def test_a_closing_parenthetical_stays_with_its_recommendation():
    text = ("- Offer an emollient twice daily. ( Strong for; Reviewed )\n"
            "- Review after four weeks. (See Table 2.) Then stop.")
    assert [s.text for s in split_sentences(text)] == [
        "- Offer an emollient twice daily. ( Strong for; Reviewed )",
        "- Review after four weeks.", "(See Table 2.)", "Then stop.",
    ]


def test_a_letter_glued_to_a_number_is_not_an_initial():
    text = "Symptoms of Usher syndrome type 1B. Onset is in the 20s. It is rare."
    assert [s.text for s in split_sentences(text)] == [
        "Symptoms of Usher syndrome type 1B.", "Onset is in the 20s.", "It is rare."]


def _reference_tokenize(text: str, keep_stopwords: bool) -> list[str]:
    """The tokenizer written plainly (no caches, no ASCII shortcut): the behaviour to keep."""
    normal = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'")
    words: list[str] = []
    for token in re.findall(r"[a-z0-9]+(?:[-'][a-z0-9]+)*", normal):
        parts = [token] + ([p for p in token.split("-") if p] if "-" in token else [])
        for part in parts:
            part = part.replace("'", "")
            if keep_stopwords or part not in STOPWORDS:
                words.append(part)
    return Stemmer.Stemmer("english").stemWords(words)


VARIED_TEXTS = [
    "Does vitamin D supplementation prevent fractures in older adults?",
    "Non-steroidal anti-inflammatory drugs (NSAIDs) vs. placebo: p<0.05, n = 1,024.",
    "The patient\u2019s HbA1c fell; don't stop metformin-based therapy without advice.",
    "\uff21\uff22\uff23 full-width letters, ligature \ufb01bre, caf\u00e9 na\u00efve \u00b5g/kg.",
    "What is (are) the role of the well-being of the self-reported -- hyphens -x- 'quoted'?",
    "",
    "Is it not more or less the same? Between whether and which: no, not all.",
]


@pytest.mark.parametrize("keep_stopwords", [False, True])
def test_cached_tokenize_matches_the_plain_tokenizer(monkeypatch, keep_stopwords):
    # A tiny cache limit forces clears between calls, so cold, warm and just-cleared caches
    # are all exercised; each pass must give exactly the plain tokenizer's output.
    monkeypatch.setattr(text_module, "_STEM_CACHE_LIMIT", 12)
    for _ in range(2):
        for sample in VARIED_TEXTS:
            expected = _reference_tokenize(sample, keep_stopwords)
            assert tokenize(sample, keep_stopwords=keep_stopwords) == expected, sample
    assert len(text_module._stem_caches[keep_stopwords]) <= 12 + 30
