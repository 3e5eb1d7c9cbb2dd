"""Types for what clients send, checked at the API boundary and described truthfully in the
OpenAPI schema: questions, slugs and the integers that end up in SQL.

Question and slug rules stay where they are (engine.check_question, articles.service.check_slug);
the validators here call them, so the web layer cannot drift from the engine, and the schema
pattern states the same rule for clients and fuzzers (the schemathesis test checks both agree).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, Field, WithJsonSchema

from citemed.articles.service import MAX_SLUG, RESERVED_SLUGS, check_slug
from citemed.engine import MAX_QUESTION_CHARS, check_question
from citemed.errors import InputError

# The largest value an INTEGER column holds on both backends (PostgreSQL's is 32-bit): ids,
# version numbers and revisions beyond it can name nothing, and would overflow the driver.
MAX_DB_INT = 2**31 - 1

# Characters check_question refuses (C0 controls but tab/newline/CR, U+FFFD), and the
# whitespace str.strip() removes, spelled out (a regex's \s differs between Python and
# ECMA-262, and OpenAPI tools read the pattern as ECMA-262). A lone surrogate is not a Unicode
# character at all, so the pattern cannot mention it; usable_question refuses it.
_REFUSED = r"\x00-\x08\x0b\x0c\x0e-\x1f\ufffd"
_SPACE = r"\t\n\r\x0b\x0c\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
QUESTION_PATTERN = rf"^[^{_REFUSED}]*[^{_REFUSED}{_SPACE}][^{_REFUSED}]*$"


def usable_question(text: str) -> str:
    """The engine's rules, named after the field; InputError passes through pydantic (it only
    collects ValueErrors) to the app's handler, so every unusable question is a 400 whether it
    came in a body, a query string or a form."""
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        raise InputError("question: contains a lone UTF-16 surrogate, which is not text")
    try:
        check_question(text)
    except InputError as error:
        raise InputError(f"question: {error}") from error
    return text


def usable_slug(slug: str | None) -> str | None:
    if not slug:  # empty or missing: the service makes one from the question
        return None
    try:
        return check_slug(slug)
    except InputError as error:
        raise InputError(f"slug: {error}") from error


Question = Annotated[str, AfterValidator(usable_question), WithJsonSchema({
    "type": "string", "minLength": 1, "maxLength": MAX_QUESTION_CHARS,
    "pattern": QUESTION_PATTERN,
    "description": f"The question: 1 to {MAX_QUESTION_CHARS:,} characters, not only "
                   "whitespace, no control characters (tab and newline are fine).",
})]

Slug = Annotated[str | None, AfterValidator(usable_slug), WithJsonSchema({
    "anyOf": [{"type": "string", "maxLength": MAX_SLUG,
               "pattern": "^(?:|(?!(?:" + "|".join(sorted(RESERVED_SLUGS)) + ")$)"
                          "[a-z0-9]+(?:-[a-z0-9]+)*)$"},
              {"type": "null"}],
    "description": "URL name of the article (lowercase letters, digits, single hyphens); "
                   "made from the question when empty or omitted.",
})]

# Ids and revisions start at 1; version numbers accept 0 so that `versions/0` is a 404 ("no
# version 0") like any other version the article does not have.
DbId = Annotated[int, Field(ge=1, le=MAX_DB_INT)]
VersionNumber = Annotated[int, Field(ge=0, le=MAX_DB_INT)]
PathId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
PathVersion = Annotated[int, Path(ge=0, le=MAX_DB_INT)]
QueryVersion = Annotated[int, Query(ge=0, le=MAX_DB_INT)]
OptionalQueryVersion = Annotated[int | None, Query(ge=0, le=MAX_DB_INT)]
