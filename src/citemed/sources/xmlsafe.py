"""Safe, streaming XML for the PubMed and JATS readers.

lxml parses with entity resolution, DTD loading and network access off, and `huge_tree` off
(libxml2's limits on text-node size and nesting stay on). A file whose DOCTYPE declares
entities is refused outright, as defusedxml does: real NLM files never declare any, while
billion-laughs and external-entity (XXE) attacks must. Elements are cleared once read, so
memory stays flat on a baseline file of any size.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, cast

from lxml import etree

from citemed.errors import SourceError

PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "huge_tree": False,
    "load_dtd": False,
    "dtd_validation": False,
    "remove_comments": True,
    "remove_pis": True,
}

# Errors a broken or truncated file raises while streaming (zlib/EOF for cut .gz files).
STREAM_ERRORS = (etree.XMLSyntaxError, OSError, EOFError, zlib.error)


def open_xml(path: Path) -> IO[bytes]:
    """The file's bytes, transparently gunzipped for `.gz`."""
    if path.name.endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))  # a GzipFile is a binary IO
    return path.open("rb")


def sniff(path: Path, size: int = 4096) -> bytes:
    """The first bytes of a (possibly gzipped) file, for format detection."""
    if not path.is_file():
        return b""
    try:
        with open_xml(path) as handle:
            return handle.read(size)
    except STREAM_ERRORS:
        return b""


def count_tag(path: Path, tag: bytes) -> int:
    """Occurrences of an opening tag, streamed in blocks: a cheap record count for the ETA."""
    pattern = re.compile(rb"<" + re.escape(tag) + rb"[\s>]")
    count = 0
    tail = b""
    with open_xml(path) as handle:
        while block := handle.read(1 << 22):
            data = tail + block
            count += len(pattern.findall(data))
            # Keep a short tail so a tag split across blocks is counted once, in the next block.
            cut = max(0, len(data) - len(tag) - 2)
            count -= len(pattern.findall(data, cut))
            tail = data[cut:]
    return count + len(pattern.findall(tail))


_ROOT_START = re.compile(rb"<[A-Za-z_]")
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY\s+(?:%\s+)?([^\s\"']+)")


def declared_in_prolog(path: Path, limit: int = 1 << 20) -> list[str]:
    """Entity names declared before the root element (read from the first MiB, unparsed).

    Checked before parsing so hostile files are refused with a clear message and libxml2
    never sees their entities; the parsed DTD is checked again at the first record.
    """
    head = sniff(path, limit)
    root = _ROOT_START.search(head)
    prolog = head[: root.start()] if root else head
    return [m.group(1).decode("utf-8", "replace") for m in _ENTITY_DECLARATION.finditer(prolog)]


def entity_declarations(element: etree._Element) -> list[str]:
    dtd = element.getroottree().docinfo.internalDTD
    return [entity.name for entity in dtd.iterentities()] if dtd is not None else []


def refusal(path: Path, names: list[str]) -> SourceError:
    shown = ", ".join(names[:5])
    return SourceError(
        str(path),
        f"refused: the DOCTYPE declares entities ({shown}); entity expansion is off, so this "
        "file cannot be read safely (billion-laughs or external-entity XML?)",
    )


def iter_records(path: Path, tags: tuple[str, ...]) -> Iterator[etree._Element | SourceError]:
    """Top-level record elements with the given tags, each cleared after the caller is done.

    Yields a SourceError (and stops) for a refused or broken file; records before the break
    have already been yielded, so they are kept.
    """
    names = declared_in_prolog(path)
    if names:
        yield refusal(path, names)
        return
    try:
        handle = open_xml(path)
    except OSError as exc:
        yield SourceError(str(path), f"cannot open: {exc}")
        return
    seen = 0
    with handle:
        # Only record ends reach Python (the tag filter runs in libxml2). Entity references are
        # never expanded, so checking the DOCTYPE at the first record is early enough.
        events = etree.iterparse(handle, events=("end",), tag=tags, **PARSER_OPTIONS)
        try:
            for _, element in events:
                if seen == 0:
                    names = entity_declarations(element)
                    if names:
                        yield refusal(path, names)
                        return
                seen += 1
                yield element
                # Free the record and every earlier sibling: the tree never grows.
                element.clear()
                parent = element.getparent()
                if parent is not None:
                    while element.getprevious() is not None:
                        del parent[0]
        except STREAM_ERRORS as exc:
            yield SourceError(str(path), f"malformed XML after record {seen}: {_describe(exc)}",
                              seen + 1)


def parse_document(path: Path) -> etree._ElementTree | SourceError:
    """A whole (small) XML file, with the same safety rules as `iter_records`."""
    names = declared_in_prolog(path)
    if names:
        return refusal(path, names)
    parser = etree.XMLParser(**PARSER_OPTIONS)
    try:
        with open_xml(path) as handle:
            tree = etree.parse(handle, parser)
    except STREAM_ERRORS as exc:
        return SourceError(str(path), f"malformed XML: {_describe(exc)}")
    names = entity_declarations(tree.getroot())
    return refusal(path, names) if names else tree


def text_of(element: etree._Element | None) -> str:
    """All text inside an element (inline markup such as <i> or <sup> flattened), spaces folded.

    Unexpanded entity references are dropped rather than kept as '&name;' text.
    """
    if element is None:
        return ""
    parts: list[str] = []
    _collect_text(element, parts)
    return " ".join("".join(parts).split())


def _collect_text(element: etree._Element, parts: list[str]) -> None:
    parts.append(element.text or "")
    for child in element:
        if isinstance(child.tag, str):  # elements; entity references and comments are skipped
            _collect_text(child, parts)
        parts.append(child.tail or "")


def _describe(exc: BaseException) -> str:
    message = str(exc) or type(exc).__name__
    return message.splitlines()[0][:300]
