"""Request bodies of the articles JSON API. Integers that reach SQL are bounded (validation.py);
questions and slugs follow the engine's and the service's own rules."""

from __future__ import annotations

from pydantic import BaseModel, Field

from citemed.articles.content import SectionEdit
from citemed.articles.service import MAX_COMMENT
from citemed.articles.workflow import TRANSITIONS
from citemed.model import Audience
from citemed.web.validation import DbId, Question, Slug, VersionNumber


class EditRequest(BaseModel):
    revision: DbId = Field(description="The article revision this edit is based on.")
    audience: Audience = "clinician"
    sections: list[SectionEdit]


class TransitionRequest(BaseModel):
    revision: DbId
    # Not a Literal: an unknown action is refused with the list of known ones (403).
    action: str = Field(json_schema_extra={"enum": list(TRANSITIONS)})
    comment: str = Field("", max_length=MAX_COMMENT)


class RestoreRequest(BaseModel):
    revision: DbId
    version: VersionNumber = Field(description="The earlier version to make current again.")


class CreateRequest(BaseModel):
    question: Question
    slug: Slug = None
