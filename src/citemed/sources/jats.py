"""PMC JATS XML articles (`.xml` / `.nxml`, one article or a `pmc-articleset`).

Title, journal, year, PMID/PMCID/DOI, keywords, the abstract (structured or not) and the body's
sections, each labelled by its heading path ("Methods / Statistical analysis"). Figures, tables
and formulas are left out: their text is not prose a citation can quote.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from citemed.errors import SourceError
from citemed.model import Document, Kind, Section
from citemed.sources.base import FileOrFolderReader, ReadItem, make_section
from citemed.sources.kinds import kind_from_text
from citemed.sources.xmlsafe import count_tag, parse_document, sniff, text_of

ARTICLE_TYPES: dict[str, Kind] = {
    "review-article": Kind.REVIEW,
    "systematic-review": Kind.SYSTEMATIC_REVIEW,
    "case-report": Kind.CASE_REPORT,
    "practice-guideline": Kind.GUIDELINE,
    "guideline": Kind.GUIDELINE,
}
_SKIP = {"fig", "table-wrap", "disp-formula", "supplementary-material", "ref-list", "fn-group"}
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")


class JATSReader(FileOrFolderReader):
    name = "jats"
    suffixes = (".xml", ".nxml", ".xml.gz")

    def detect_file(self, path: Path) -> bool:
        head = sniff(path)
        return b"<article" in head and (b"JATS" in head or b"<front" in head or b"pmc-articleset"
                                        in head or b"article-type=" in head)

    def estimate_file(self, path: Path) -> int:
        return count_tag(path, b"article")

    def read_file(self, path: Path) -> Iterator[ReadItem]:
        tree = parse_document(path)
        if isinstance(tree, SourceError):
            yield tree
            return
        root = _strip_namespaces(tree.getroot())
        articles = [root] if root.tag == "article" else list(root.iter("article"))
        if not articles:
            yield SourceError(str(path), "no <article> element: not a JATS file")
        for position, article in enumerate(articles, start=1):
            try:
                yield article_document(article, fallback_id=path.name.split(".")[0])
            except ValueError as exc:
                yield SourceError(str(path), str(exc), position)


def article_document(article: etree._Element, *, fallback_id: str) -> Document:
    meta = article.find("front/article-meta")
    if meta is None:
        raise ValueError("no front/article-meta")
    ids = {(n.get("pub-id-type") or "").lower(): text_of(n) for n in meta.iterfind("article-id")}
    pmcid = ids.get("pmc") or ids.get("pmcid") or ""
    if pmcid and not pmcid.upper().startswith("PMC"):
        pmcid = f"PMC{pmcid}"
    title = text_of(meta.find("title-group/article-title"))
    if not title:
        raise ValueError("no article-title")
    sections: list[Section] = []
    for abstract in meta.iterfind("abstract"):
        if abstract.get("abstract-type") in {"graphical", "teaser", "toc"}:
            continue
        sections.extend(_sections(abstract, prefix="", default="ABSTRACT"))
    body = article.find("body")
    if body is not None:
        sections.extend(_sections(body, prefix="", default="BODY"))
    body_text = " ".join(s.text for s in sections[:3])
    kind = ARTICLE_TYPES.get(article.get("article-type", "")) or kind_from_text(title, body_text)
    local_id = pmcid or (f"pmid-{ids['pmid']}" if ids.get("pmid") else fallback_id)
    journal = text_of(article.find("front/journal-meta/journal-title-group/journal-title")) or \
        text_of(article.find("front/journal-meta/journal-title"))
    return Document(
        id=f"pmc:{local_id}",
        collection="pmc",
        kind=kind,
        title=title,
        source=journal,
        year=_year(meta),
        pmid=ids.get("pmid") or None,
        doi=ids.get("doi") or None,
        url=f"https://www.ncbi.nlm.nih.gov/pmc/articles/{pmcid}/" if pmcid else None,
        terms=[text_of(k) for k in meta.iterfind("kwd-group/kwd") if text_of(k)],
        sections=sections,
        extra={key: value for key, value in
               {"pmcid": pmcid, "article_type": article.get("article-type")}.items() if value},
    )


def _sections(container: etree._Element, *, prefix: str, default: str) -> list[Section]:
    """The container's own paragraphs and lists, then each <sec>, labelled by heading path."""
    out: list[Section] = []
    blocks: list[str] = []
    for child in container:
        if child.tag == "p":
            blocks.append(text_of(child))
        elif child.tag == "list":
            # One bullet line per item: the splitter never merges two items into a sentence.
            items = [text_of(item) for item in child.iterfind("list-item")]
            blocks.append("\n".join(f"- {item}" for item in items if item))
    blocks = [block for block in blocks if block]
    if blocks:
        out.append(make_section(prefix or default, "\n\n".join(blocks)))
    for sec in container:
        if sec.tag != "sec":
            continue
        heading = text_of(sec.find("title")) or default
        label = f"{prefix} / {heading}" if prefix else heading
        out.extend(_sections(sec, prefix=label, default=default))
    return out


def _year(meta: etree._Element) -> int | None:
    """The earliest publication year given (print or electronic)."""
    years = [int(m.group(1)) for d in meta.iterfind("pub-date")
             if (m := _YEAR.search(text_of(d.find("year"))))]
    return min(years) if years else None


def _strip_namespaces(root: etree._Element) -> etree._Element:
    """JATS is sometimes namespaced; element names are what the reader matches on."""
    for element in list(root.iter()):
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            element.tag = etree.QName(element).localname
        if element.tag in _SKIP:
            element.clear(keep_tail=True)
    return root
