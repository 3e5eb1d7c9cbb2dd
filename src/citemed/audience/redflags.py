"""Red-flag symptoms: a question describing one gets an urgent-care notice for patients."""

from __future__ import annotations

import re
from dataclasses import dataclass

from citemed.model import Rule

URGENT_NOTICE = (
    "If you or someone with you has these symptoms now, call your local emergency number "
    "(911 in the US, 112 in Europe, 999 in the UK) or go to the nearest emergency department. "
    "Do not wait for an answer online."
)
CRISIS_NOTICE = (
    "If you are thinking about suicide or harming yourself, you are not alone: call or text a "
    "crisis line now (988 in the US, 116 123 Samaritans in the UK and Ireland) or your local "
    "emergency number."
)

URGENT_NOTICES = frozenset({URGENT_NOTICE, CRISIS_NOTICE})


@dataclass(frozen=True)
class RedFlag(Rule):
    """A red-flag symptom rule and the notice a question describing it gets."""

    notice: str = URGENT_NOTICE


# Patterns describe symptoms, not topics: "chest pain" counts, a question about "angina
# guidelines" does not.
RED_FLAGS: tuple[RedFlag, ...] = (
    RedFlag("chest pain", re.compile(r"\bchest (?:pain|pressure|tightness)\b|\bcrushing pain\b", re.I),
            "I have crushing chest pain going down my left arm.",
            near_miss="What do the angina guidelines recommend?"),
    RedFlag("stroke signs", re.compile(
        r"\b(?:face|facial) (?:droop\w*|numb\w*)|\bslurred speech\b|\bsudden (?:weakness|numbness|"
        r"confusion|trouble (?:speaking|seeing|walking)|severe headache|vision loss)\b|"
        r"\bstroke (?:signs|symptoms)\b|\bhaving a stroke\b|\bworst headache\b", re.I),
            "My father's face is drooping and he has slurred speech.",
            near_miss="Does aspirin prevent a second stroke?"),
    RedFlag("suicidal thoughts", re.compile(
        r"\bsuicid\w*|\bkill(?:ing)? (?:my|him|her|them)sel(?:f|ves)\b|\bend (?:my|his|her) life\b|"
        r"\bself[- ]harm\w*|\bwant to die\b", re.I),
            "I keep thinking about killing myself.", notice=CRISIS_NOTICE,
            near_miss="Does this drug kill bacteria by itself?"),
    RedFlag("anaphylaxis", re.compile(
        r"\banaphyla\w*|\b(?:throat|tongue|lips?|face) (?:is |are )?(?:swelling|swollen|closing)\b|"
        r"\bswollen (?:throat|tongue|lips?)\b", re.I),
            "After the bee sting her throat is swelling.",
            near_miss="Is a swollen ankle after a long flight normal?"),
    RedFlag("breathing difficulty", re.compile(
        r"\b(?:can'?t|cannot|unable to|trouble|difficulty|struggling to) breath\w*|"
        r"\bshort(?:ness)? of breath at rest\b|\bturning blue\b|\bblue lips\b", re.I),
            "My baby is struggling to breathe and has blue lips.",
            near_miss="Does breathing exercise help asthma?"),
    RedFlag("severe bleeding", re.compile(
        r"\b(?:vomiting|coughing (?:up)?) blood\b|\bbleeding (?:that )?(?:won'?t|will not) stop\b|"
        r"\bblack,? tarry stools?\b|\bsevere bleeding\b", re.I),
            "He has been vomiting blood since this morning.",
            near_miss="Which blood tests check for anaemia?"),
    RedFlag("loss of consciousness or seizure", re.compile(
        r"\bunconscious\b|\bpass(?:ed|ing)? out\b|\bfaint(?:ed|ing)\b|\bseizure\b|\bunresponsive\b",
        re.I),
            "My mother fainted and is now unresponsive.",
            near_miss="What causes a faint heart murmur?"),
    RedFlag("overdose or poisoning", re.compile(r"\boverdos\w*|\bpoison\w*|\bswallowed (?:a|too many)\b",
                                                re.I),
            "My toddler swallowed too many iron tablets."),
    RedFlag("meningitis signs", re.compile(r"\bstiff neck\b.*\bfever\b|\bfever\b.*\bstiff neck\b|"
                                           r"\brash that does not fade\b", re.I),
            "My child has a fever and a stiff neck.",
            near_miss="My neck is stiff after sleeping badly."),
)


def red_flags(question: str) -> list[str]:
    """Names of the red-flag symptoms the question describes."""
    return [flag.name for flag in RED_FLAGS if flag.pattern.search(question)]


def urgent_notices(question: str) -> list[str]:
    """Notices to show, de-duplicated, most specific (crisis) first."""
    notices: list[str] = []
    for flag in RED_FLAGS:
        if flag.pattern.search(question) and flag.notice not in notices:
            notices.append(flag.notice)
    return sorted(notices, key=lambda n: n != CRISIS_NOTICE)
