"""Helpers the templates call: links, dates and the quotes behind a citation."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote, urlencode, urlsplit

from citemed.audience.redflags import URGENT_NOTICES
from citemed.model import Answer, Quote, Reference, Substitution

VERDICT_LABELS = {
    "yes": "Yes",
    "no": "No",
    "uncertain": "Uncertain",
    "insufficient": "Not enough evidence",
}
AUDIENCE_LABELS = {"clinician": "Healthcare professional", "patient": "Patient or caregiver"}


def safe_url(url: str | None) -> str | None:
    """Only http(s) links leave the site; anything else (javascript:, data:) is dropped."""
    if not url:
        return None
    return url if urlsplit(url).scheme in ("http", "https") else None


def pubmed_url(pmid: str | None) -> str | None:
    return f"https://pubmed.ncbi.nlm.nih.gov/{quote(pmid)}/" if pmid else None


def doi_url(doi: str | None) -> str | None:
    return f"https://doi.org/{quote(doi, safe='/:;()._-')}" if doi else None


def document_url(document_id: str, sentence_ids: list[str] | None = None) -> str:
    url = f"/documents/{quote(document_id, safe=':')}"
    if sentence_ids:
        url += "?" + urlencode({"highlight": ",".join(sentence_ids)})
    return url


def ask_url(question: str, audience: str) -> str:
    return "/ask?" + urlencode({"q": question, "audience": audience})


def cited_quotes(reference: Reference, sentence_ids: list[str]) -> list[Quote]:
    """The quotes of `reference` that a statement with `sentence_ids` stands on."""
    chosen = [q for q in reference.quotes if q.sentence_id in sentence_ids]
    return chosen or reference.quotes[:1]


def references_by_number(answer: Answer) -> dict[int, Reference]:
    return {ref.number: ref for ref in answer.references}


def reference_numbers(answer: Answer) -> dict[str, int]:
    """document id -> its reference number on the page."""
    return {ref.document_id: ref.number for ref in answer.references}


def is_urgent(notice: str) -> bool:
    """Red-flag notices get the emergency styling; other notices (evidence caveats) do not."""
    return notice in URGENT_NOTICES


def wording_changes(substitutions: list[Substitution]) -> list[tuple[str, str]]:
    """The distinct changes as a reader sees them: each occurrence is recorded (with its
    position, for the traceability check), the page lists "myalgia -> muscle pain" once."""
    seen: list[tuple[str, str]] = []
    for sub in substitutions:
        pair = (sub.original.strip(), sub.replacement.strip())
        if pair not in seen:
            seen.append(pair)
    return seen


def long_date(iso: str) -> str:
    """'2026-11-26T15:00:00+00:00' -> 'November 26, 2026' (empty input stays empty)."""
    if not iso:
        return ""
    moment = datetime.fromisoformat(iso)
    return f"{moment:%B} {moment.day}, {moment.year}"


def grade_label(grade: float) -> str:
    """Flesch-Kincaid goes below zero for very short sentences; no reader has grade -1."""
    return "below grade 1" if grade < 1 else f"grade {grade:.1f}"


TEMPLATE_GLOBALS = {
    "safe_url": safe_url, "pubmed_url": pubmed_url, "doi_url": doi_url,
    "document_url": document_url, "ask_url": ask_url, "cited_quotes": cited_quotes,
    "references_by_number": references_by_number, "reference_numbers": reference_numbers,
    "long_date": long_date, "grade_label": grade_label,
    "is_urgent": is_urgent, "wording_changes": wording_changes,
    "VERDICT_LABELS": VERDICT_LABELS, "AUDIENCE_LABELS": AUDIENCE_LABELS,
}
