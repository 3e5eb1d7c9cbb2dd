from citemed.text import split_sentences, tokenize


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
