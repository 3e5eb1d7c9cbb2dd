"""Plain renderers of an Answer (Markdown and terminal text); they only read the Answer."""

from __future__ import annotations

import re

from citemed.model import VERDICT_LABELS, Answer, Bullet, Reference


def display(text: str) -> str:
    """A trimmed span shown as a sentence: first letter upper-cased ("patients..." -> "Patients...").

    Only the display changes; the Answer keeps the exact span so traceability checks still hold.
    """
    return text[:1].upper() + text[1:] if text[:1].islower() else text


_MARKDOWN_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_[]"})
# "<" opens raw HTML only before a letter, "/", "!" or "?"; "P<.001" stays readable.
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")


def escape_markdown(text: str) -> str:
    """Source text is data, not markup: "*BRCA1*" or "<b>" must show as written."""
    return _TAG_START.sub(r"\\<", text.translate(_MARKDOWN_SPECIAL))


def _cites(numbers: list[int]) -> str:
    return f" [{', '.join(str(n) for n in numbers)}]" if numbers else ""


class _Style:
    """Markdown or plain terminal text: the same page, different marks."""

    def __init__(self, markdown: bool) -> None:
        self.markdown = markdown
        self.esc = escape_markdown if markdown else (lambda text: text)

    def heading(self, text: str, level: int) -> str:
        return f"{'#' * level} {self.esc(text)}" if self.markdown else self.esc(text)

    def strong(self, text: str) -> str:
        return f"**{text}**" if self.markdown else text


def _reference_line(ref: Reference, style: _Style) -> str:
    parts = [f"{ref.number}. {ref.kind_label}: {style.esc(ref.title.rstrip('. '))}"]
    where = ", ".join(p for p in [ref.source, str(ref.year) if ref.year else ""] if p)
    if where:
        parts.append(style.esc(where))
    ids = []
    if ref.pmid:
        ids.append(f"PMID {ref.pmid}")
    if ref.doi:
        ids.append(style.esc(f"doi:{ref.doi}"))
    if ref.url:
        ids.append(ref.url)
    if ids:
        parts.append(" | ".join(ids))
    # A title ending in "?" or "!" needs no extra full stop before the next part.
    return "".join(p if i == 0 else ("" if parts[i - 1][-1] in "?!" else ".") + " " + p
                   for i, p in enumerate(parts))


def _bullet_lines(bullet: Bullet, style: _Style, depth: int = 0) -> list[str]:
    lines = [f"{'  ' * depth}- {style.esc(display(bullet.text))}{_cites(bullet.citations)}"]
    for child in bullet.children:
        lines.extend(_bullet_lines(child, style, depth + 1))
    return lines


def _render(answer: Answer, style: _Style) -> str:
    esc = style.esc
    lines = [style.heading(answer.question, 1), ""]
    if answer.resolved_question and answer.resolved_question != answer.question:
        lines += [f"Answering: {esc(answer.resolved_question)}", ""]
    for notice in answer.notices:
        lines += [f"> {style.strong(esc(notice))}", ""]
    direct = answer.direct_answer
    verdict = (f"{style.strong(direct.lead or VERDICT_LABELS[direct.verdict] + '.')} "
               if direct.verdict else "")
    lines += [f"{verdict}{esc(display(direct.text))}{_cites(direct.citations)}", ""]
    if answer.evidence_summary:
        s = answer.evidence_summary
        lines += [f"Evidence: {s.supporting} supporting, {s.opposing} opposing, "
                  f"{s.neutral} neutral.", ""]
    if answer.abbreviations:
        lines += [style.heading("Short forms on this page", 2), ""]
        lines += [f"- {esc(a.short_form)}: {esc(a.long_form)}" for a in answer.abbreviations]
        lines.append("")
    for section in answer.sections:
        lines += [style.heading(section.title, 2), ""]
        for bullet in section.bullets:
            lines += _bullet_lines(bullet, style)
        lines.append("")
    if answer.references:
        lines += [style.heading("References", 2), ""]
        for ref in answer.references:
            lines.append(_reference_line(ref, style))
            for quote in ref.quotes:
                lines.append(f"   > \"{esc(quote.text)}\" ({esc(quote.section)})")
        lines.append("")
    lines += ["---", esc(answer.disclaimer)]
    return "\n".join(lines) + "\n"


def to_markdown(answer: Answer) -> str:
    return _render(answer, _Style(markdown=True))


def to_text(answer: Answer) -> str:
    """Terminal text: the same page without Markdown marks or escapes."""
    return _render(answer, _Style(markdown=False))
