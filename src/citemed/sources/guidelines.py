"""The user's own guidelines: Markdown or HTML files, or a folder of them, and PDF files.

Every file opens with a small front-matter block between `---` lines:

    ---
    title: Management of glimmer syndrome
    issuer: Example Health Service
    year: 2024
    kind: guideline          (any Kind value; default guideline)
    url: https://example.org/glimmer
    ---

Markdown is split into sections at its headings; HTML likewise at <h1>-<h6>, its text taken
with the standard library's html.parser (scripts, styles and navigation dropped). An HTML file
may instead give the same keys as <meta name="citemed:title" content="..."> tags. PDFs are
read from their text layer, one section per page, with title and year from their metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from citemed.errors import SourceError
from citemed.model import Document, Kind, Section
from citemed.sources.base import ReadItem, folder_holds_only, make_section

MARKDOWN = (".md", ".markdown")
HTML = (".html", ".htm")
PDF = (".pdf",)
FRONT_MATTER_KEYS = {"title", "issuer", "year", "kind", "url", "id", "doi", "pmid", "terms"}
KIND_ALIASES = {"systematic review": Kind.SYSTEMATIC_REVIEW, "meta-analysis": Kind.SYSTEMATIC_REVIEW,
                "trial": Kind.RANDOMIZED_TRIAL, "consumer health page": Kind.CONSUMER}
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
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
    end = text.find("\n---", 3)
    if end < 0:
        raise SourceError(str(path), "front matter opened with '---' is never closed")
    meta: dict[str, str] = {}
    for line_no, line in enumerate(text[3:end].splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if not sep or key not in FRONT_MATTER_KEYS:
            raise SourceError(str(path), f"front matter line {line_no}: expected one of "
                              f"{', '.join(sorted(FRONT_MATTER_KEYS))} as 'key: value'")
        meta[key] = value.strip().strip("\"'")
    rest = text[end + 4:]
    return meta, rest[rest.find("\n") + 1:] if "\n" in rest else ""


def text_document(path: Path, *, local_id: str) -> Document:
    raw = path.read_text(encoding="utf-8")
    meta, body = split_front_matter(path, raw)
    if path.suffix.lower() in HTML:
        parser = _HTMLText()
        parser.feed(body)
        parser.close()
        meta = {**parser.meta, **meta}
        blocks = parser.blocks
        meta.setdefault("title", parser.title)
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
        info = pdf.metadata or {}
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

_INLINE = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images -> alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links -> their text
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\1(?![\w*])"), r"\2"),
    (re.compile(r"`([^`]+)`"), r"\1"),
    (re.compile(r"<[^>]+>"), ""),  # stray inline HTML tags
]


def _markdown_inline(text: str) -> str:
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return text


def _markdown_blocks(body: str) -> list[tuple[str, str]]:
    """[('heading', text) | ('text', paragraph)], paragraphs and list items kept apart."""
    blocks: list[tuple[str, str]] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(("text", " ".join(paragraph)))
            paragraph.clear()

    for line in body.splitlines():
        stripped = line.strip()
        heading = _HEADING.match(stripped)
        if heading:
            flush()
            blocks.append(("heading", _markdown_inline(heading.group(2))))
        elif not stripped or stripped.startswith("```"):
            flush()
        elif re.match(r"^([-*+]|\d+[.)])\s+", stripped):
            flush()
            paragraph.append("- " + _markdown_inline(re.sub(r"^([-*+]|\d+[.)])\s+", "", stripped)))
            flush()
        else:
            paragraph.append(_markdown_inline(stripped.lstrip("> ")))
    flush()
    return blocks


def _group(blocks: list[tuple[str, str]]) -> list[Section]:
    """Sections at headings; text before the first heading is the OVERVIEW."""
    sections: list[Section] = []
    label, texts = "OVERVIEW", []
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


class _HTMLText(HTMLParser):
    """Headings and text blocks from HTML; nothing is executed or fetched, entities decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []
        self.meta: dict[str, str] = {}
        self.title = ""
        self._buffer: list[str] = []
        self._drop = 0
        self._in_title = False
        self._heading = False
        self._bullet = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            values = dict(attrs)
            name = (values.get("name") or "").lower()
            if name.startswith("citemed:") and name[8:] in FRONT_MATTER_KEYS:
                self.meta[name[8:]] = (values.get("content") or "").strip()
            return
        if tag == "title":
            self._in_title = True
        if tag in _DROP_TAGS:
            self._drop += 1
        elif re.fullmatch(r"h[1-6]", tag) or tag in _BLOCK_TAGS:
            self._flush()
            self._heading = tag.startswith("h") and len(tag) == 2 and tag[1].isdigit()
            self._bullet = tag == "li"

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _DROP_TAGS:
            self._drop = max(0, self._drop - 1)
        elif re.fullmatch(r"h[1-6]", tag) or tag in _BLOCK_TAGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._drop:
            self._buffer.append(data)

    def close(self) -> None:
        super().close()
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
