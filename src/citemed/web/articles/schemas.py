"""Request bodies of the articles JSON API."""

from __future__ import annotations

from pydantic import BaseModel, Field

from citemed.articles.content import SectionEdit


class EditRequest(BaseModel):
    revision: int
    audience: str = "clinician"
    sections: list[SectionEdit]


class TransitionRequest(BaseModel):
    revision: int
    action: str
    comment: str = ""


class RestoreRequest(BaseModel):
    revision: int
    version: int


class CreateRequest(BaseModel):
    question: str = Field(max_length=2000)
    slug: str | None = None
