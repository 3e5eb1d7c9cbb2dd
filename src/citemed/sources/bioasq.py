"""BioASQ golden JSON: snippets grouped into one document per PMID, titles kept.

A folder of `*_golden.json` files is read as one corpus, so a PMID cited by several questions
becomes one document whose abstract section holds its distinct snippets in offset order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from citemed.errors import SourceError
from citemed.model import Document
from citemed.sources.base import ReadItem, folder_holds_only, make_section
from citemed.sources.kinds import kind_from_text

_PMID = re.compile(r"(\d+)\s*$")


class BioASQReader:
    name = "bioasq"

    def detect(self, path: Path) -> bool:
        if path.is_dir():
            return folder_holds_only(path, ("_golden.json",))
        return path.name.endswith("_golden.json")

    def read(self, path: Path) -> Iterator[ReadItem]:
        files = sorted(path.rglob("*_golden.json")) if path.is_dir() else [path]
        titles: dict[str, str] = {}
        partial_titles: dict[str, str] = {}
        snippets: dict[str, dict[int, str]] = {}
        for file in files:
            try:
                data = json.loads(file.read_text(encoding="utf-8"))
                questions = data["questions"]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                yield SourceError(str(file), f"not a BioASQ golden file: {exc}")
                continue
            for q_pos, question in enumerate(questions, start=1):
                for snippet in question.get("snippets") or []:
                    try:
                        found = _PMID.search(snippet["document"])
                        if found is None:
                            raise ValueError(f"no PMID in {snippet['document']!r}")
                        pmid = found.group(1)
                        text = " ".join(str(snippet["text"]).split())
                        offset = int(snippet.get("offsetInBeginSection") or 0)
                        where = snippet.get("beginSection", "abstract")
                    except (KeyError, AttributeError, TypeError, ValueError) as exc:
                        yield SourceError(str(file), f"bad snippet ({exc})", q_pos)
                        continue
                    if not text:
                        continue
                    if where == "title":
                        # A title snippet may be a fragment; the longest one from offset 0 is
                        # the most complete title BioASQ gives.
                        if offset == 0 and len(text) > len(titles.get(pmid, "")):
                            titles[pmid] = text
                        elif pmid not in titles:
                            partial_titles.setdefault(pmid, text)
                    else:
                        # Same offset from two questions is the same passage: keep the longer.
                        known = snippets.setdefault(pmid, {})
                        if len(text) > len(known.get(offset, "")):
                            known[offset] = text
        for pmid in sorted(set(titles) | set(partial_titles) | set(snippets), key=int):
            parts = _dedupe([t for _, t in sorted(snippets.get(pmid, {}).items())])
            title = titles.get(pmid, "")
            if not title and pmid in partial_titles:
                # A snippet from inside the title: mark the missing start rather than hide it.
                title = f"\u2026 {partial_titles[pmid]}"
            if not parts and not title:
                continue
            body = "\n\n".join(parts)  # snippets are separate passages: hard breaks
            sections = [make_section("ABSTRACT", body)] if body else []
            yield Document(
                id=f"bioasq:{pmid}",
                collection="bioasq",
                kind=kind_from_text(title, body),
                # Most cited abstracts have no title snippet. Name the record by its PMID rather
                # than pass off an abstract sentence as the article's title (and add no words
                # to the index); `title_known` lets a renderer say so, the URL gives the title.
                title=title or f"PubMed {pmid}",
                source="PubMed abstract excerpts (BioASQ)",
                pmid=pmid,
                url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
                sections=sections,
                extra={"title_known": pmid in titles},
            )


def _dedupe(parts: list[str]) -> list[str]:
    """Drop snippets contained in another snippet of the same document."""
    kept: list[str] = []
    for text in sorted(parts, key=len, reverse=True):
        if not any(text in other for other in kept):
            kept.append(text)
    return [p for p in parts if p in kept]
