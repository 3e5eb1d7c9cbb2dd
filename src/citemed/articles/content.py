"""Article content: one composed Answer per audience, the edits people may make to it, the
citation invariants every stored version must satisfy, and a line diff between versions."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from citemed.errors import InputError
from citemed.model import Answer, Bullet

AUDIENCES = ("clinician", "patient")
MAX_BULLET_CHARS = 2000
MAX_NOTE_CHARS = 2000

Content = dict[str, Answer]


def check_storable(text: str, what: str) -> str:
    """Text a person typed, before it is stored: PostgreSQL refuses NUL in text, and a lone
    UTF-16 surrogate (which JSON can spell) cannot be encoded when the page is rendered."""
    if "\x00" in text:
        raise InputError(f"{what}: contains a NUL character")
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        raise InputError(f"{what}: contains a lone UTF-16 surrogate, which is not text")
    return text


def load_content(raw: dict[str, Any]) -> Content:
    try:
        return {audience: Answer.model_validate(answer) for audience, answer in raw.items()}
    except ValidationError as error:
        raise InputError(f"article content is not a valid answer: {error}") from error


def dump_content(content: Content) -> dict[str, Any]:
    return {audience: answer.model_dump(mode="json", by_alias=True)
            for audience, answer in content.items()}


def validate_content(content: Content) -> None:
    """Every stored version must keep each statement traceable: every bullet cites at least one
    reference and every cited number is in the reference list."""
    if not content:
        raise InputError("an article needs at least one audience version")
    for audience, answer in content.items():
        if audience not in AUDIENCES:
            raise InputError(f"unknown audience {audience!r}; expected one of {AUDIENCES}")
        numbers = {ref.number for ref in answer.references}
        for s_idx, section in enumerate(answer.sections):
            for b_idx, bullet in enumerate(section.bullets):
                where = f"{audience} section {s_idx + 1} ({section.title}) bullet {b_idx + 1}"
                for nested in [bullet, *_descendants(bullet)]:
                    if not nested.citations:
                        raise InputError(f"{where}: a bullet must keep at least one citation")
                    unknown = sorted(set(nested.citations) - numbers)
                    if unknown:
                        raise InputError(f"{where}: cites {unknown}, not in the reference list")
                    if not nested.text.strip():
                        raise InputError(f"{where}: empty text")


def _descendants(bullet: Bullet) -> list[Bullet]:
    out: list[Bullet] = []
    for child in bullet.children:
        out.append(child)
        out.extend(_descendants(child))
    return out


class BulletEdit(BaseModel):
    """One bullet of the edited section, pointing at the bullet it came from in the base version."""

    source: int = Field(ge=0, description="index of the bullet in the base version's section")
    text: str | None = None
    note: str | None = None
    citations: list[int] | None = None  # a non-empty subset of the source bullet's citations


class SectionEdit(BaseModel):
    section: int = Field(ge=0, description="index of the section in the base version")
    bullets: list[BulletEdit]  # the new order; bullets left out are removed


class ContentEdit(BaseModel):
    audience: str = "clinician"
    sections: list[SectionEdit]


def apply_edit(content: Content, edit: ContentEdit, *, editor_label: str) -> tuple[Content, list[str]]:
    """Content with the edit applied, and a human summary of what changed.

    Bullets can be reworded, annotated, reordered within their section, removed, or have some of
    their citations dropped; they always keep the citations and sentence ids of the bullet they came
    from, so no edit can attach a statement to evidence that was not behind it."""
    if edit.audience not in content:
        raise InputError(f"this article has no {edit.audience!r} version")
    answer = content[edit.audience].model_copy(deep=True)
    changes: list[str] = []
    seen_sections: set[int] = set()
    for section_edit in edit.sections:
        if section_edit.section >= len(answer.sections):
            raise InputError(f"section {section_edit.section + 1} does not exist")
        if section_edit.section in seen_sections:
            raise InputError(f"section {section_edit.section + 1} is edited twice")
        seen_sections.add(section_edit.section)
        section = answer.sections[section_edit.section]
        original = section.bullets
        used: set[int] = set()
        new_bullets: list[Bullet] = []
        for position, bullet_edit in enumerate(section_edit.bullets):
            where = f"{section.title} bullet {bullet_edit.source + 1}"
            if bullet_edit.source >= len(original):
                raise InputError(f"{section.title}: bullet {bullet_edit.source + 1} does not exist")
            if bullet_edit.source in used:
                raise InputError(f"{where} appears twice")
            used.add(bullet_edit.source)
            bullet = original[bullet_edit.source].model_copy(deep=True)
            if bullet_edit.source != position:
                changes.append(f"moved {where} to position {position + 1}")
            if bullet_edit.text is not None:
                text = " ".join(check_storable(bullet_edit.text, f"{where} text").split())
                if not text:
                    raise InputError(f"{where}: the text is empty; remove the bullet instead")
                if len(text) > MAX_BULLET_CHARS:
                    raise InputError(f"{where}: text longer than {MAX_BULLET_CHARS} characters")
                if text != bullet.text:
                    bullet.text = text
                    bullet.edited_by = editor_label
                    changes.append(f"reworded {where}")
            if bullet_edit.note is not None:
                note = check_storable(bullet_edit.note, f"{where} note").strip()
                if len(note) > MAX_NOTE_CHARS:
                    raise InputError(f"{where}: note longer than {MAX_NOTE_CHARS} characters")
                if note != bullet.note:
                    bullet.note = note
                    changes.append(f"noted {where}")
            if bullet_edit.citations is not None:
                before = list(bullet.citations)
                _restrict_citations(bullet, bullet_edit.citations, answer, where)
                if bullet.citations != before:
                    bullet.edited_by = editor_label
                    changes.append(f"citations of {where} now {bullet.citations}")
            new_bullets.append(bullet)
        for removed in sorted(set(range(len(original))) - used):
            changes.append(f"removed {section.title} bullet {removed + 1}")
        section.bullets = new_bullets
    answer.sections = [section for section in answer.sections if section.bullets]
    updated = dict(content)
    updated[edit.audience] = answer
    validate_content(updated)
    return updated, [f"{edit.audience}: {change}" for change in changes]


def _restrict_citations(bullet: Bullet, citations: list[int], answer: Answer, where: str) -> None:
    wanted = list(dict.fromkeys(citations))
    if not wanted:
        raise InputError(f"{where}: a bullet must keep at least one citation")
    extra = sorted(set(wanted) - set(bullet.citations))
    if extra:
        raise InputError(f"{where}: citations {extra} were not behind this bullet; "
                         "only existing citations can be kept")
    documents = {ref.number: ref.document_id for ref in answer.references}
    kept_documents = {documents.get(number) for number in wanted}
    bullet.citations = [number for number in bullet.citations if number in wanted]
    bullet.sentence_ids = [sid for sid in bullet.sentence_ids
                           if sid.rpartition("#")[0] in kept_documents]


def render_lines(content: Content) -> list[str]:
    """A canonical line form of a version, for diffs: one line per statement."""
    lines: list[str] = []
    for audience in AUDIENCES:
        answer = content.get(audience)
        if answer is None:
            continue
        verdict = f" [{answer.direct_answer.verdict}]" if answer.direct_answer.verdict else ""
        lines.append(f"[{audience}] Answer{verdict}: {answer.direct_answer.text} "
                     f"{answer.direct_answer.citations}")
        for section in answer.sections:
            lines.append(f"[{audience}] ## {section.title}")
            for bullet in section.bullets:
                edited = f" (edited by {bullet.edited_by})" if bullet.edited_by else ""
                lines.append(f"[{audience}] - {bullet.text} {bullet.citations}{edited}")
                if bullet.note:
                    lines.append(f"[{audience}]   note: {bullet.note}")
        for ref in answer.references:
            lines.append(f"[{audience}] ref {ref.number}: {ref.document_id} {ref.title}")
    return lines


def diff_lines(old: Content, new: Content, old_label: str, new_label: str) -> list[str]:
    return list(difflib.unified_diff(render_lines(old), render_lines(new), fromfile=old_label,
                                     tofile=new_label, lineterm="", n=2))


def top_evidence(answer: Answer, k: int = 3) -> list[str]:
    """Document ids the answer leans on most: the direct answer's, then the first references."""
    by_number = {ref.number: ref.document_id for ref in answer.references}
    ordered = [by_number[n] for n in answer.direct_answer.citations if n in by_number]
    ordered += [ref.document_id for ref in answer.references]
    return list(dict.fromkeys(ordered))[:k]
