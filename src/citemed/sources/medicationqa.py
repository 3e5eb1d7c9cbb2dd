"""MedicationQA JSONL (`medicationqa.jsonl`): consumer medication answers with their source URL.

One document per row; the answer is the passage a pharmacist took from the cited page (DailyMed,
MedlinePlus...), so the page's site name is the source and the drug is the main term.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from citemed.model import Document, Kind
from citemed.sources.base import clean_layout, make_section, text_field
from citemed.sources.jsonl import JsonLinesReader
from citemed.sources.medquad import clean_question

SITE_NAMES: dict[str, str] = {
    "dailymed.nlm.nih.gov": "DailyMed (U.S. National Library of Medicine)",
    "medlineplus.gov": "MedlinePlus (U.S. National Library of Medicine)",
    "www.ncbi.nlm.nih.gov": "NCBI (U.S. National Library of Medicine)",
    "www.cdc.gov": "Centers for Disease Control and Prevention (CDC)",
    "www.fda.gov": "U.S. Food and Drug Administration (FDA)",
}


_PUBMED_URL = re.compile(r"ncbi\.nlm\.nih\.gov/pubmed/(\d+)|pubmed\.ncbi\.nlm\.nih\.gov/(\d+)")


def site_of(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return SITE_NAMES.get(host, host.removeprefix("www."))


class MedicationQAReader(JsonLinesReader):
    name = "medicationqa"
    signature = frozenset({"focus_drug", "question", "answer"})

    def document(self, record: dict) -> Document:
        local_id = text_field(record, "id", required=True)
        answer = clean_layout(text_field(record, "answer", required=True))
        if not answer:
            raise ValueError("field 'answer' is empty")
        question = clean_question(text_field(record, "question"))
        drug = text_field(record, "focus_drug")
        section_title = text_field(record, "section_title")
        url = text_field(record, "url")
        # The sheet writes 'n/a' and 'NA' for unknown values.
        url = url if url.startswith(("http://", "https://")) else ""
        section_title = "" if section_title.upper() in {"NA", "N/A"} else section_title
        return Document(
            id=f"medicationqa:{local_id}",
            collection="medicationqa",
            kind=Kind.CONSUMER,
            # The page section the answer was taken from names it better than the user's question.
            title=": ".join(part for part in (drug, section_title or question) if part),
            source=site_of(url) if url else "MedicationQA",
            url=url or None,
            pmid=_pmid_in(url),
            terms=[drug] if drug else [],
            sections=[make_section(section_title or "ANSWER", answer)],
            extra={"question": question, "question_type": text_field(record, "question_type")},
        )


def _pmid_in(url: str) -> str | None:
    match = _PUBMED_URL.search(url)
    return (match.group(1) or match.group(2)) if match else None
