"""Facet negatives for the reader's training: one named concept swapped for a near-topic one."""

from __future__ import annotations

import random

from citemed.readers.data import idf_table, swap_concept
from citemed.readers.evidence_data import claim_question, flip_direction

SNIPPETS = [
    "HPV vaccination prevents cervical intraepithelial neoplasia in young women.",
    "Cervical screening with HPV testing detects more lesions than cytology.",
    "Vaccination coverage was high among adolescents.",
    "Screening intervals of five years were safe after a negative test.",
    "Cervical cancer incidence fell after organised screening.",
]


def test_swap_replaces_the_most_specific_named_word_with_a_near_topic_word():
    idf = idf_table(SNIPPETS)
    swapped = swap_concept("Is HPV vaccination effective against cervical lesions?",
                           SNIPPETS[0], SNIPPETS[1], idf, random.Random(0))
    assert swapped is not None
    assert "vaccination" not in swapped
    # The new word comes from the near passage and is not named by the answered one.
    new = set(swapped.lower().rstrip("?").split()) - {"is", "hpv", "effective", "against",
                                                      "cervical", "lesions"}
    assert new and new <= set(SNIPPETS[1].lower().rstrip(".").split())


def test_no_swap_when_the_passage_names_nothing_of_the_question():
    idf = idf_table(SNIPPETS)
    assert swap_concept("Does aspirin reduce preeclampsia?", SNIPPETS[0], SNIPPETS[1], idf,
                        random.Random(0)) is None


def test_direction_flip_reverses_the_one_direction_word():
    assert (flip_direction("Is oxalate excretion increased after bariatric surgery?")
            == "Is oxalate excretion decreased after bariatric surgery?")
    assert flip_direction("Does nifedipine inhibit L-type calcium channels?") == (
        "Does nifedipine activate L-type calcium channels?")
    assert flip_direction("Higher doses, lower risk?") is None  # two direction words
    assert flip_direction("Is BRCA1 a tumour suppressor?") is None


def test_claim_becomes_a_question_keeping_acronyms():
    assert claim_question("Aspirin lowers the risk of preeclampsia.") == (
        "Is it true that aspirin lowers the risk of preeclampsia?")
    assert claim_question("BRCA1 mutations raise ovarian cancer risk") == (
        "Is it true that BRCA1 mutations raise ovarian cancer risk?")
