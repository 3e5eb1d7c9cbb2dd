"""Reading the HTML forms of the articles pages into the service's inputs."""

from __future__ import annotations

from starlette.datastructures import FormData

from citemed.articles.content import BulletEdit, ContentEdit, SectionEdit
from citemed.errors import InputError


def int_field(form: FormData, name: str) -> int:
    try:
        return int(str(form.get(name)))
    except ValueError as error:
        raise InputError(f"form field {name!r} must be a whole number") from error


def text_field(form: FormData, name: str) -> str:
    """A text field; control characters (other than tab and newline) are refused here, naming
    the field, because PostgreSQL cannot store NUL and no form field needs them."""
    value = str(form.get(name) or "")
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        raise InputError(f"form field {name!r} contains control characters")
    return value


def edit_from_form(form: FormData) -> ContentEdit:
    """The edit form: per bullet `b-<section>-<bullet>-{order,text,note,cites,keep}`.

    Bullets without `keep` are removed; kept bullets are sorted by their order number."""
    audience = text_field(form, "audience") or "clinician"
    bullets: dict[int, list[tuple[float, int, BulletEdit]]] = {}
    for key in form.keys():
        parts = key.split("-")
        if len(parts) != 4 or parts[0] != "b" or parts[3] != "text":
            continue
        try:
            section, bullet = int(parts[1]), int(parts[2])
        except ValueError as error:
            raise InputError(f"form field {key!r} is malformed") from error
        prefix = f"b-{section}-{bullet}-"
        bullets.setdefault(section, [])
        if form.get(prefix + "keep") != "1":
            continue
        try:
            order = float(str(form.get(prefix + "order") or bullet + 1))
            cites = [int(c) for c in text_field(form, prefix + "cites").replace(",", " ").split()]
        except ValueError as error:
            raise InputError(f"bullet {bullet + 1} of section {section + 1}: order and "
                             "citations must be numbers") from error
        bullets[section].append((order, bullet, BulletEdit(
            source=bullet, text=text_field(form, prefix + "text"),
            note=text_field(form, prefix + "note"), citations=cites)))
    return ContentEdit(audience=audience, sections=[
        SectionEdit(section=section, bullets=[edit for _, _, edit in sorted(
            entries, key=lambda entry: entry[:2])])
        for section, entries in sorted(bullets.items())])
