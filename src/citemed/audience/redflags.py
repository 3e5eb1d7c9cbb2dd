"""Red-flag symptoms: a question describing one gets an urgent-care notice for patients."""

from __future__ import annotations

import re

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

# (name, pattern, notice). Patterns describe symptoms, not topics: "chest pain" counts, a
# question about "angina guidelines" does not.
RED_FLAGS: list[tuple[str, re.Pattern[str], str]] = [
    ("chest pain", re.compile(r"\bchest (?:pain|pressure|tightness)\b|\bcrushing pain\b", re.I),
     URGENT_NOTICE),
    ("stroke signs", re.compile(
        r"\b(?:face|facial) (?:droop\w*|numb\w*)|\bslurred speech\b|\bsudden (?:weakness|numbness|"
        r"confusion|trouble (?:speaking|seeing|walking)|severe headache|vision loss)\b|"
        r"\bstroke (?:signs|symptoms)\b|\bhaving a stroke\b|\bworst headache\b", re.I),
     URGENT_NOTICE),
    ("suicidal thoughts", re.compile(
        r"\bsuicid\w*|\bkill(?:ing)? (?:my|him|her|them)sel(?:f|ves)\b|\bend (?:my|his|her) life\b|"
        r"\bself[- ]harm\w*|\bwant to die\b", re.I),
     CRISIS_NOTICE),
    ("anaphylaxis", re.compile(
        r"\banaphyla\w*|\b(?:throat|tongue|lips?|face) (?:is |are )?(?:swelling|swollen|closing)\b|"
        r"\bswollen (?:throat|tongue|lips?)\b", re.I),
     URGENT_NOTICE),
    ("breathing difficulty", re.compile(
        r"\b(?:can'?t|cannot|unable to|trouble|difficulty|struggling to) breath\w*|"
        r"\bshort(?:ness)? of breath at rest\b|\bturning blue\b|\bblue lips\b", re.I),
     URGENT_NOTICE),
    ("severe bleeding", re.compile(
        r"\b(?:vomiting|coughing (?:up)?) blood\b|\bbleeding (?:that )?(?:won'?t|will not) stop\b|"
        r"\bblack,? tarry stools?\b|\bsevere bleeding\b", re.I),
     URGENT_NOTICE),
    ("loss of consciousness or seizure", re.compile(
        r"\bunconscious\b|\bpass(?:ed|ing)? out\b|\bfaint(?:ed|ing)\b|\bseizure\b|\bunresponsive\b",
        re.I),
     URGENT_NOTICE),
    ("overdose or poisoning", re.compile(r"\boverdos\w*|\bpoison\w*|\bswallowed (?:a|too many)\b",
                                         re.I),
     URGENT_NOTICE),
    ("meningitis signs", re.compile(r"\bstiff neck\b.*\bfever\b|\bfever\b.*\bstiff neck\b|"
                                    r"\brash that does not fade\b", re.I),
     URGENT_NOTICE),
]


def red_flags(question: str) -> list[str]:
    """Names of the red-flag symptoms the question describes."""
    return [name for name, pattern, _notice in RED_FLAGS if pattern.search(question)]


def urgent_notices(question: str) -> list[str]:
    """Notices to show, de-duplicated, most specific (crisis) first."""
    notices: list[str] = []
    for _name, pattern, notice in RED_FLAGS:
        if pattern.search(question) and notice not in notices:
            notices.append(notice)
    return sorted(notices, key=lambda n: n != CRISIS_NOTICE)
