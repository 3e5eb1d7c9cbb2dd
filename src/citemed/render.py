"""Plain renderers of an Answer (Markdown and terminal text); they only read the Answer."""

from __future__ import annotations

from citemed.model import Answer, Bullet, Reference

VERDICT_WORDS = {
    "yes": "Yes",
    "no": "No",
    "uncertain": "Uncertain",
    "insufficient": "Not enough evidence",
}


def display(text: str) -> str:
    """A trimmed span shown as a sentence: first letter upper-cased ("patients..." -> "Patients...").

    Only the display changes; the Answer keeps the exact span so traceability checks still hold.
    """
    return text[:1].upper() + text[1:] if text[:1].islower() else text


def _cites(numbers: list[int]) -> str:
    return f" [{', '.join(str(n) for n in numbers)}]" if numbers else ""


def _reference_line(ref: Reference) -> str:
    parts = [f"{ref.number}. {ref.kind_label}: {ref.title.rstrip('. ')}"]
    where = ", ".join(p for p in [ref.source, str(ref.year) if ref.year else ""] if p)
    if where:
        parts.append(where)
    ids = []
    if ref.pmid:
        ids.append(f"PMID {ref.pmid}")
    if ref.doi:
        ids.append(f"doi:{ref.doi}")
    if ref.url:
        ids.append(ref.url)
    if ids:
        parts.append(" | ".join(ids))
    # A title ending in "?" or "!" needs no extra full stop before the next part.
    return "".join(p if i == 0 else ("" if parts[i - 1][-1] in "?!" else ".") + " " + p
                   for i, p in enumerate(parts))


def _bullet_lines(bullet: Bullet, depth: int = 0) -> list[str]:
    lines = [f"{'  ' * depth}- {display(bullet.text)}{_cites(bullet.citations)}"]
    for child in bullet.children:
        lines.extend(_bullet_lines(child, depth + 1))
    return lines


def to_markdown(answer: Answer) -> str:
    lines = [f"# {answer.question}", ""]
    if answer.resolved_question and answer.resolved_question != answer.question:
        lines += [f"*Answering: {answer.resolved_question}*", ""]
    for notice in answer.notices:
        lines += [f"> **{notice}**", ""]
    direct = answer.direct_answer
    verdict = f"**{VERDICT_WORDS[direct.verdict]}.** " if direct.verdict else ""
    lines += [f"{verdict}{display(direct.text)}{_cites(direct.citations)}", ""]
    if answer.evidence_summary:
        s = answer.evidence_summary
        lines += [f"Evidence: {s.supporting} supporting, {s.opposing} opposing, "
                  f"{s.neutral} neutral.", ""]
    for section in answer.sections:
        lines += [f"## {section.title}", ""]
        for bullet in section.bullets:
            lines += _bullet_lines(bullet)
        lines.append("")
    if answer.references:
        lines += ["## References", ""]
        for ref in answer.references:
            lines.append(_reference_line(ref))
            for quote in ref.quotes:
                lines.append(f"   > \"{quote.text}\" ({quote.section})")
        lines.append("")
    lines += ["---", answer.disclaimer]
    return "\n".join(lines) + "\n"


def to_text(answer: Answer) -> str:
    """Terminal text: the Markdown without heading marks."""
    out = []
    for line in to_markdown(answer).splitlines():
        out.append(line.lstrip("#").strip() if line.startswith("#") else line)
    return "\n".join(out) + "\n"
