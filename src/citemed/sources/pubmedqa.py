"""PubMedQA `ori_pqal.json`: one abstract per PMID, contexts as labelled sections.

The conclusion (`LONG_ANSWER`) is kept as a CONCLUSIONS section by default, since it is part of
the abstract; `include_conclusions=False` gives the benchmark's reasoning-required setting.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from citemed.errors import SourceError
from citemed.model import Document
from citemed.sources.base import ReadItem, make_section
from citemed.sources.kinds import kind_from_text


class PubMedQAReader:
    name = "pubmedqa"

    def __init__(self, include_conclusions: bool = True) -> None:
        self.include_conclusions = include_conclusions

    def detect(self, path: Path) -> bool:
        return path.name.endswith("ori_pqal.json") or path.name.startswith("ori_pq")

    def estimate(self, path: Path) -> int:
        return path.read_bytes().count(b'"QUESTION"')

    def read(self, path: Path) -> Iterator[ReadItem]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            yield SourceError(str(path), f"not readable as PubMedQA JSON: {exc}")
            return
        if not isinstance(data, dict):
            yield SourceError(str(path), "expected a JSON object keyed by PMID")
            return
        for position, (pmid, record) in enumerate(data.items(), start=1):
            try:
                yield self._document(str(pmid), record)
            except (KeyError, TypeError, ValueError) as exc:
                yield SourceError(str(path), f"PMID {pmid}: bad record ({exc})", position)

    def _document(self, pmid: str, record: dict) -> Document:
        contexts = record["CONTEXTS"]
        labels = record.get("LABELS") or ["ABSTRACT"] * len(contexts)
        sections = [make_section(str(label).upper(), str(text)) for label, text in zip(labels, contexts, strict=False)]
        if self.include_conclusions and record.get("LONG_ANSWER"):
            sections.append(make_section("CONCLUSIONS", str(record["LONG_ANSWER"])))
        year = record.get("YEAR")
        body = " ".join(contexts)
        return Document(
            id=f"pubmedqa:{pmid}",
            collection="pubmedqa",
            kind=kind_from_text(record["QUESTION"], body),
            # PubMedQA has no title field: its question is the title rephrased.
            title=str(record["QUESTION"]),
            source="PubMed abstract (PubMedQA)",
            year=int(year) if year else None,
            pmid=pmid,
            url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
            terms=[str(m) for m in record.get("MESHES", [])],
            sections=sections,
            extra={"final_decision": record.get("final_decision")},
        )
