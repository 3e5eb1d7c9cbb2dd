"""PubMed / MEDLINE XML as NLM distributes it: baseline and update files, `.xml` or `.xml.gz`.

`PubmedArticle` records become documents `pubmed:<PMID>`: title, journal, year, DOI, MeSH,
structured abstract sections (Label, else NlmCategory) and a kind from PublicationType.
`DeleteCitation` in update files yields Deletions. Files are streamed (see xmlsafe).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from citemed.errors import SourceError
from citemed.model import Document, Kind
from citemed.sources.base import Deletion, FileOrFolderReader, ReadItem, make_section
from citemed.sources.kinds import kind_from_publication_types, kind_from_text
from citemed.sources.xmlsafe import count_tag, iter_records, sniff, text_of

_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")
RECORD_TAGS = ("PubmedArticle", "DeleteCitation")


class PubMedReader(FileOrFolderReader):
    name = "pubmed"
    suffixes = (".xml", ".xml.gz")

    def detect_file(self, path: Path) -> bool:
        head = sniff(path)
        return b"<PubmedArticleSet" in head or b"<PubmedArticle>" in head

    def estimate_file(self, path: Path) -> int:
        return count_tag(path, b"PubmedArticle")

    def read_file(self, path: Path) -> Iterator[ReadItem]:
        position = 0
        for item in iter_records(path, RECORD_TAGS):
            if isinstance(item, SourceError):
                yield item
                continue
            position += 1
            if item.tag == "DeleteCitation":
                for pmid in item.iter("PMID"):
                    if text_of(pmid):
                        yield Deletion(f"pubmed:{text_of(pmid)}", str(path))
                continue
            try:
                yield article_document(item)
            except (ValueError, TypeError) as exc:
                pmid = text_of(item.find("MedlineCitation/PMID")) or "?"
                yield SourceError(str(path), f"PMID {pmid}: {exc}", position)


def article_document(element: etree._Element) -> Document:
    citation = element.find("MedlineCitation")
    if citation is None:
        raise ValueError("no MedlineCitation")
    pmid = text_of(citation.find("PMID"))
    if not pmid.isdigit():
        raise ValueError(f"missing or non-numeric PMID {pmid!r}")
    article = citation.find("Article")
    if article is None:
        raise ValueError("no Article element")
    title = text_of(article.find("ArticleTitle")) or text_of(article.find("VernacularTitle"))
    if not title:
        raise ValueError("no ArticleTitle")
    sections = []
    for part in article.iterfind("Abstract/AbstractText"):
        text = text_of(part)
        if text:
            label = part.get("Label") or part.get("NlmCategory") or "ABSTRACT"
            sections.append(make_section(label.upper(), text))
    publication_types = [text_of(t) for t in article.iterfind("PublicationTypeList/PublicationType")]
    kind = kind_from_publication_types(publication_types)
    if kind is Kind.OTHER:
        # Most records are typed only "Journal Article": fall back to the abstract's wording.
        kind = kind_from_text(title, " ".join(s.text for s in sections))
    ids = _article_ids(element)
    doi = ids.get("doi") or _elocation_doi(article)
    mesh = [text_of(d) for d in citation.iterfind("MeshHeadingList/MeshHeading/DescriptorName")]
    keywords = [text_of(k) for k in citation.iterfind("KeywordList/Keyword")]
    journal = article.find("Journal")
    extra: dict[str, object] = {
        "publication_types": publication_types,
        "pmcid": ids.get("pmc"),
        "language": text_of(article.find("Language")),
    }
    extra = {key: value for key, value in extra.items() if value}
    return Document(
        id=f"pubmed:{pmid}",
        collection="pubmed",
        kind=kind,
        title=title,
        source=text_of(journal.find("Title")) if journal is not None else "",
        year=_year(article),
        pmid=pmid,
        doi=doi,
        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
        terms=list(dict.fromkeys(t for t in mesh + keywords if t)),
        sections=sections,
        extra=extra,
    )


def _article_ids(element: etree._Element) -> dict[str, str]:
    """PubmedData/ArticleIdList only: ReferenceList entries hold the *cited* articles' ids."""
    return {
        (node.get("IdType") or "").lower(): text_of(node)
        for node in element.iterfind("PubmedData/ArticleIdList/ArticleId")
        if text_of(node)
    }


def _elocation_doi(article: etree._Element) -> str | None:
    for node in article.iterfind("ELocationID"):
        if node.get("EIdType") == "doi" and node.get("ValidYN", "Y") == "Y" and text_of(node):
            return text_of(node)
    return None


def _year(article: etree._Element) -> int | None:
    """PubDate/Year, else the first year in MedlineDate ('1998 Dec-1999 Jan'), else ArticleDate."""
    for path in ("Journal/JournalIssue/PubDate/Year", "Journal/JournalIssue/PubDate/MedlineDate",
                 "ArticleDate/Year"):
        match = _YEAR.search(text_of(article.find(path)))
        if match:
            return int(match.group(1))
    return None
