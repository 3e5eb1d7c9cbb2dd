"""Every rule table is tested from its rows: each row's example matches its rule (and gets the
outcome the rule names), and a row's near miss, where it has one, does not match."""

from __future__ import annotations

import pytest

from citemed.audience import Rewriter
from citemed.audience.redflags import RED_FLAGS, red_flags, urgent_notices
from citemed.audience.vocabulary import (
    CURATED,
    KEEP_WHOLE,
    LAY_WORDS,
    TECHNICAL_SUFFIXES,
    build_vocabulary,
    mine_pairs,
)
from citemed.compose.facets import (
    AIM_CUES,
    CONCLUSION_CUES,
    FACET_CUES,
    METHOD_CUES,
    PUBLICATION_CUES,
    RESULT_CUES,
    SECTION_ROLES,
    facet_of,
    sentence_role,
)
from citemed.compose.question import (
    CLAIM_QUALIFIERS,
    INTENT_FACET_RULES,
    TOPIC_RULES,
    analyze_question,
)
from citemed.model import Rule

ROLE_CUES = [("aim", rule) for rule in AIM_CUES] + [
    ("conclusion", rule) for rule in CONCLUSION_CUES] + [
    ("method", rule) for rule in METHOD_CUES] + [("result", rule) for rule in RESULT_CUES] + [
    ("publication", rule) for rule in PUBLICATION_CUES]
PATTERN_TABLES = [*TOPIC_RULES, *INTENT_FACET_RULES, *FACET_CUES, *SECTION_ROLES,
                  *(rule for _, rule in ROLE_CUES), *RED_FLAGS, *TECHNICAL_SUFFIXES,
                  *CLAIM_QUALIFIERS]


def _id(rule: Rule) -> str:
    return rule.name


@pytest.mark.parametrize("rule", PATTERN_TABLES, ids=_id)
def test_each_rule_matches_its_example_and_not_its_near_miss(rule: Rule):
    assert rule.pattern.search(rule.example), rule.example
    if rule.near_miss:
        assert not rule.pattern.search(rule.near_miss), rule.near_miss


@pytest.mark.parametrize("rule", TOPIC_RULES, ids=_id)
def test_topic_rules_name_their_example_topic(rule: Rule):
    # Checked in table order, so an earlier row must not claim a later row's example.
    assert analyze_question(rule.example).topic == rule.name


@pytest.mark.parametrize("rule", INTENT_FACET_RULES, ids=_id)
def test_intent_facet_rules_name_their_example_facet(rule: Rule):
    assert analyze_question(rule.example).intent_facet == rule.name


@pytest.mark.parametrize("rule", FACET_CUES, ids=_id)
def test_facet_cues_name_their_example_facet(rule: Rule):
    assert facet_of(rule.example) == rule.name


@pytest.mark.parametrize("rule", SECTION_ROLES, ids=_id)
def test_section_labels_name_their_role(rule: Rule):
    # Labels are checked in table order: no earlier row may claim this row's example label.
    first = next(r for r in SECTION_ROLES if r.pattern.search(rule.example))
    assert first is rule


@pytest.mark.parametrize(("role", "rule"), ROLE_CUES, ids=lambda x: x if isinstance(x, str)
                         else x.name)
def test_role_cues_give_their_role_whatever_the_section(role: str, rule: Rule):
    assert sentence_role("", rule.example) == role


@pytest.mark.parametrize("flag", RED_FLAGS, ids=_id)
def test_red_flags_name_their_example_and_show_their_notice(flag):
    assert flag.name in red_flags(flag.example)
    assert flag.notice in urgent_notices(flag.example)
    if flag.near_miss:
        assert red_flags(flag.near_miss) == []


@pytest.mark.parametrize("rule", TECHNICAL_SUFFIXES, ids=_id)
def test_technical_suffixes_let_their_example_be_mined(rule: Rule):
    text = f"It can cause {rule.example} (a plain gloss)."
    assert mine_pairs([text]) == {(rule.example, "plain gloss"): 1}


@pytest.mark.parametrize("group", LAY_WORDS, ids=lambda group: group.name)
def test_lay_word_groups_reword_their_example(group):
    text, _ = Rewriter(build_vocabulary({})).rewrite(group.example)
    assert text == group.plain


def test_each_curated_term_is_in_one_group():
    terms = [term for group in LAY_WORDS for term in group.words]
    assert len(terms) == len(set(terms)) == len(CURATED)


@pytest.mark.parametrize("term", sorted(CURATED))
def test_each_curated_term_is_reworded(term: str):
    # No longer term or kept-whole name shadows a curated term on its own.
    text, _ = Rewriter(build_vocabulary({})).rewrite(f"Notes on {term} here.")
    assert text == f"Notes on {CURATED[term]} here."


@pytest.mark.parametrize("name", KEEP_WHOLE)
def test_names_kept_whole_are_not_reworded(name: str):
    text, _ = Rewriter(build_vocabulary({})).rewrite(f"Notes on {name} here.")
    assert text == f"Notes on {name} here."


@pytest.mark.parametrize("rule", CLAIM_QUALIFIERS, ids=_id)
def test_claim_qualifiers_are_claims_of_their_example_question(rule: Rule):
    assert rule in analyze_question(rule.example).claims
