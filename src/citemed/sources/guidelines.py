"""The user's own guidelines: Markdown or HTML files, or a folder of them, and PDF files.

Every file opens with a small front-matter block between `---` lines:

    ---
    title: Management of glimmer syndrome
    issuer: Example Health Service
    year: 2024
    kind: guideline          (any Kind value; default guideline)
    url: https://example.org/glimmer
    ---

The front matter is YAML (python-frontmatter). Markdown is parsed with markdown-it-py
(CommonMark) and split into sections at its headings; HTML is parsed with lxml.html and split
likewise at <h1>-<h6> (scripts, styles and navigation dropped). An HTML file may instead give
the same keys as <meta name="citemed:title" content="..."> tags. PDFs are
read from their text layer, one section per page, with title and year from their metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import frontmatter
import lxml.html
import yaml
from lxml import etree
from markdown_it import MarkdownIt
from markdown_it.token import Token

from citemed.errors import SourceError
from citemed.model import Document, Kind, Section
from citemed.sources.base import ReadItem, folder_holds_only, make_section

MARKDOWN = (".md", ".markdown")
HTML = (".html", ".htm")
PDF = (".pdf",)
FRONT_MATTER_KEYS = {"title", "issuer", "year", "kind", "url", "id", "doi", "pmid", "terms"}
KIND_ALIASES = {"systematic review": Kind.SYSTEMATIC_REVIEW, "meta-analysis": Kind.SYSTEMATIC_REVIEW,
                "trial": Kind.RANDOMIZED_TRIAL, "consumer health page": Kind.CONSUMER}
_SLUG = re.compile(r"[^a-z0-9]+")


class GuidelineReader:
    """A Markdown/HTML/PDF file, or a folder of them (read recursively, in name order)."""

    name = "guidelines"

    def detect(self, path: Path) -> bool:
        if path.is_dir():
            return folder_holds_only(path, MARKDOWN + HTML + PDF)
        if path.suffix.lower() in MARKDOWN:
            # Markdown without front matter is documentation (README, DATA.md), not a guideline.
            with path.open("rb") as handle:
                return handle.read(3) == b"---"
        return path.suffix.lower() in HTML

    def estimate(self, path: Path) -> int:
        return sum(1 for _ in self._files(path)) if path.is_dir() else 1

    def _files(self, folder: Path) -> Iterator[Path]:
        for file in sorted(folder.rglob("*")):
            if file.is_file() and file.suffix.lower() in MARKDOWN + HTML + PDF:
                yield file

    def read(self, path: Path) -> Iterator[ReadItem]:
        files = list(self._files(path)) if path.is_dir() else [path]
        for file in files:
            local = file.relative_to(path) if path.is_dir() else Path(file.name)
            try:
                if file.suffix.lower() in PDF:
                    yield pdf_document(file, local_id=_slug(local))
                else:
                    yield text_document(file, local_id=_slug(local))
            except SourceError as exc:
                yield exc
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                yield SourceError(str(file), str(exc))


class PDFReader:
    name = "pdf"

    def detect(self, path: Path) -> bool:
        return path.is_file() and path.suffix.lower() in PDF

    def read(self, path: Path) -> Iterator[ReadItem]:
        yield from GuidelineReader().read(path)


def _slug(relative: Path) -> str:
    return _SLUG.sub("-", str(relative.with_suffix("")).lower()).strip("-")


def split_front_matter(path: Path, text: str) -> tuple[dict[str, str], str]:
    """(front-matter keys, the rest) for a file opening with a `---` block; ({}, text) if none."""
    if not text.startswith("---"):
        return {}, text
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as exc:
        # The common slip: an unquoted value holding ": " ("title: Asthma: management").
        raise SourceError(str(path), "front matter is not valid YAML (quote a value that "
                          f"contains ': '): {' '.join(str(exc).split())}") from None
    if not post.metadata and post.content.startswith("---"):
        raise SourceError(str(path), "front matter opened with '---' is never closed")
    meta: dict[str, str] = {}
    for key, value in post.metadata.items():
        name = str(key).strip().lower()
        if name not in FRONT_MATTER_KEYS:
            raise SourceError(str(path), f"front matter key {key!r}: expected one of "
                              f"{', '.join(sorted(FRONT_MATTER_KEYS))} as 'key: value'")
        # A YAML list (terms: [a, b]) reads as the comma-separated form.
        meta[name] = (", ".join(map(str, value)) if isinstance(value, list)
                      else "" if value is None else str(value).strip())
    return meta, post.content


def text_document(path: Path, *, local_id: str) -> Document:
    raw = path.read_text(encoding="utf-8")
    meta, body = split_front_matter(path, raw)
    if path.suffix.lower() in HTML:
        page = _HTMLPage(body)
        meta = {**page.meta, **meta}
        blocks = page.blocks
        meta.setdefault("title", page.title)
    else:
        blocks = _markdown_blocks(body)
    return _document(path, meta, _group(blocks), local_id=local_id)


def pdf_document(path: Path, *, local_id: str) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        pdf = PdfReader(path)
        if pdf.is_encrypted:
            raise SourceError(str(path), "the PDF is encrypted; decrypt it first")
        pages = [(page.extract_text() or "") for page in pdf.pages]
        info: dict[str, object] = dict(pdf.metadata or {})
    except PdfReadError as exc:
        raise SourceError(str(path), f"not a readable PDF: {exc}") from exc
    sections = [make_section(f"Page {n}", _pdf_paragraphs(text))
                for n, text in enumerate(pages, start=1) if text.strip()]
    if not sections:
        raise SourceError(str(path), "the PDF has no text layer (a scan?); run OCR on it first")
    meta = {"title": str(info.get("/Title") or "").strip()}
    created = str(info.get("/CreationDate") or "")
    if re.match(r"D:(\d{4})", created):
        meta["year"] = created[2:6]
    if not meta["title"]:
        # Without metadata, a document's first printed line is almost always its title.
        first_page = next(text for text in pages if text.strip())
        meta["title"] = next(line for line in first_page.splitlines() if line.strip())[:200]
    return _document(path, meta, sections, local_id=local_id)


def _pdf_paragraphs(text: str) -> str:
    """PDF text lines are layout, not paragraphs: join wrapped lines, keep blank-line breaks."""
    text = re.sub(r"-\n(?=[a-z])", "", text)  # words hyphenated across a line break
    paragraphs = re.split(r"\n\s*\n", text)
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def _document(path: Path, meta: dict[str, str], sections: list[Section], *,
              local_id: str) -> Document:
    title = " ".join(meta.get("title", "").split())
    if not title:
        raise SourceError(str(path), "no title: add 'title:' to the front matter")
    if not sections:
        raise SourceError(str(path), "no text after the front matter")
    year = meta.get("year", "").strip()
    if year and not re.fullmatch(r"\d{4}", year):
        raise SourceError(str(path), f"front matter 'year' should be four digits, got {year!r}")
    return Document(
        id=f"guideline:{meta.get('id') or local_id}",
        collection="guidelines",
        kind=_kind(path, meta.get("kind", "guideline")),
        title=title,
        source=meta.get("issuer", ""),
        year=int(year) if year else None,
        pmid=meta.get("pmid") or None,
        doi=meta.get("doi") or None,
        url=meta.get("url") or None,
        terms=[t.strip() for t in meta.get("terms", "").split(",") if t.strip()],
        sections=sections,
        extra={"file": path.name},
    )


def _kind(path: Path, value: str) -> Kind:
    name = value.strip().lower()
    if name in KIND_ALIASES:
        return KIND_ALIASES[name]
    try:
        return Kind(name.replace(" ", "_").replace("-", "_"))
    except ValueError:
        known = ", ".join(k.value for k in Kind)
        raise SourceError(str(path), f"front matter 'kind' {value!r} is not one of: {known}") \
            from None


# ---------------------------------------------------------------- Markdown

_MARKDOWN = MarkdownIt("commonmark")


def _markdown_inline(token: Token) -> str:
    """An inline token's text: links give their text, images their alt text, HTML tags go."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "image":
            parts.append(child.content)  # the alt text
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return " ".join("".join(parts).split())


def _markdown_blocks(body: str) -> list[tuple[str, str]]:
    """[('heading', text) | ('text', paragraph)], paragraphs and list items kept apart; a list
    item's first paragraph reads "- item"."""
    blocks: list[tuple[str, str]] = []
    item_opened = False  # the next paragraph is a list item's first
    heading = False
    for token in _MARKDOWN.parse(body):
        if token.type == "list_item_open":
            item_opened = True
        elif token.type == "heading_open":
            heading = True
        elif token.type == "inline":
            text = _markdown_inline(token)
            if heading:
                blocks.append(("heading", text))
            elif text:
                blocks.append(("text", f"- {text}" if item_opened else text))
            heading = item_opened = False
        elif token.type in ("fence", "code_block"):
            blocks.append(("text", " ".join(token.content.split())))
        elif token.type == "html_block":
            blocks.extend(_HTMLPage(token.content, fragment=True).blocks)
    return [(kind, text) for kind, text in blocks if text]


def _group(blocks: list[tuple[str, str]]) -> list[Section]:
    """Sections at headings; text before the first heading is the OVERVIEW."""
    sections: list[Section] = []
    label = "OVERVIEW"
    texts: list[str] = []
    for kind, text in blocks:
        if kind == "heading":
            if texts:
                sections.append(make_section(label, _join(texts)))
            label, texts = text, []
        elif text:
            texts.append(text)
    if texts:
        sections.append(make_section(label, _join(texts)))
    return sections


def _join(texts: list[str]) -> str:
    # List items on consecutive lines, everything else as paragraphs: both are hard breaks.
    out = texts[0]
    for previous, text in zip(texts, texts[1:], strict=False):
        out += ("\n" if previous.startswith("- ") and text.startswith("- ") else "\n\n") + text
    return out


# ---------------------------------------------------------------- HTML

_BLOCK_TAGS = {"p", "div", "li", "tr", "br", "section", "article", "blockquote", "dd", "dt",
               "table", "ul", "ol", "pre", "main", "header", "footer"}
_DROP_TAGS = {"script", "style", "nav", "head", "noscript", "template", "svg", "iframe",
              "object", "form", "button"}
_HEADING_TAG = re.compile(r"h[1-6]")


class _HTMLPage:
    """Headings and text blocks of an HTML page (lxml.html: nothing is executed or fetched,
    entities decoded), its <title> and its citemed:* <meta> keys."""

    def __init__(self, html: str, *, fragment: bool = False) -> None:
        self.blocks: list[tuple[str, str]] = []
        self.meta: dict[str, str] = {}
        self.title = ""
        if not html.strip():
            return
        try:
            root = (lxml.html.fragment_fromstring(html, create_parent="div") if fragment
                    else lxml.html.document_fromstring(html))
        except etree.ParserError:
            return  # nothing but whitespace or comments: no blocks
        for meta in root.iter("meta"):
            name = (meta.get("name") or "").lower()
            if name.startswith("citemed:") and name[8:] in FRONT_MATTER_KEYS:
                self.meta[name[8:]] = (meta.get("content") or "").strip()
        title = root.find(".//title")
        if title is not None:
            self.title = title.text_content()
        self._buffer: list[str] = []
        self._heading = self._bullet = False
        self._visit(root)
        self._flush()

    def _visit(self, element: lxml.html.HtmlElement) -> None:
        tag = element.tag if isinstance(element.tag, str) else None  # None: comment or PI
        if tag is None or tag in _DROP_TAGS:
            return
        heading = bool(_HEADING_TAG.fullmatch(tag))
        block = heading or tag in _BLOCK_TAGS
        if block:
            self._flush()
            self._heading, self._bullet = heading, tag == "li"
        if element.text:
            self._buffer.append(element.text)
        for child in element:
            self._visit(child)
            if child.tail:
                self._buffer.append(child.tail)
        if block:
            self._flush()

    def _flush(self) -> None:
        text = " ".join("".join(self._buffer).split())
        self._buffer.clear()
        if text:
            if self._heading:
                self.blocks.append(("heading", text))
            else:
                self.blocks.append(("text", f"- {text}" if self._bullet else text))
        self._heading = self._bullet = False
