"""Short forms a patient meets on the page, explained by the cited documents' own definitions.

Abstracts define an abbreviation once ("aromatase inhibitors (AIs)") and then use it bare; the
patient view's statements keep the bare form ("Patients on AIs who ..."). The definitions are
found with the Schwartz & Hearst (2003) rule: the short form's letters, right to left, inside
the few words before the bracket, the first letter at a word start. The long form is a verbatim
span of the cited document, so the explanation adds nothing of ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from citemed.model import Abbreviation, Answer, Document

# "(AIs)", "(DBE)", "(Ca/Bis)", "(CA-125)": 2-10 characters, at least two capitals.
_DEFINED = re.compile(r"\(([A-Za-z][A-Za-z0-9/-]{1,9})\)")
_CAPITALS = re.compile(r"[A-Z].*[A-Z]")


def long_form(before: str, short: str) -> str | None:
    """The words right before "(short)" that the short form abbreviates, or None."""
    letters = short[:-1] if short.endswith("s") and short[:-1].isupper() else short  # "AIs"
    letters = "".join(c for c in letters.lower() if c.isalnum())
    if len(letters) < 2 or not letters[0].isalpha():
        return None
    words = before.rstrip().split(" ")
    candidate = " ".join(words[-min(len(letters) + 5, 2 * len(letters)):])
    position = len(candidate) - 1
    for index in range(len(letters) - 1, -1, -1):
        char = letters[index]
        while position >= 0 and (candidate[position].lower() != char or (
                index == 0 and position > 0 and candidate[position - 1].isalnum())):
            position -= 1
        if position < 0:
            return None
        position -= 1
    found = candidate[position + 1:]
    if any(c in found for c in "()[];") or len(found) <= len(short):
        return None
    return found


def definitions(text: str) -> dict[str, str]:
    """short form -> long form for each "long form (short)" in `text`; the first one wins."""
    found: dict[str, str] = {}
    for match in _DEFINED.finditer(text):
        short = match.group(1)
        if short in found or not _CAPITALS.search(short):
            continue
        meaning = long_form(text[:match.start()], short)
        if meaning:
            found[short] = meaning
    return found


def explain(answer: Answer, documents: Iterable[Document]) -> list[Abbreviation]:
    """Definitions, from the cited documents, of the short forms the answer's statements use,
    in order of first use."""
    shown = " ".join([answer.direct_answer.text, *(b.text for b in answer.all_bullets())])
    defined: dict[str, Abbreviation] = {}
    for document in documents:
        for section in document.sections:
            for short, meaning in definitions(section.text).items():
                defined.setdefault(short, Abbreviation(short_form=short, long_form=meaning,
                                                       document_id=document.id))
    used = []
    for short, abbreviation in defined.items():
        # Also inside a compound: "DEXA-BMD" uses "BMD".
        match = re.search(rf"(?<!\w){re.escape(short)}(?!\w)", shown)
        if match:
            used.append((match.start(), abbreviation))
    return [abbreviation for _start, abbreviation in sorted(used, key=lambda u: u[0])]
