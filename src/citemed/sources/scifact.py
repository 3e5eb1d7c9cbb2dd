"""SciFact `corpus.jsonl`: S2ORC abstracts with the dataset's own sentence boundaries.

SciFact rationales are sentence numbers, so the given sentences are kept exactly: the k-th
sentence of a document in reading order (`Document.iter_sentences`) is SciFact sentence k.
Structured abstracts ("BACKGROUND ...") are split into labelled sections at those labels.
"""

from __future__ import annotations

import re

from citemed.model import Document
from citemed.sources.base import section_from_sentences, text_field
from citemed.sources.jsonl import JsonLinesReader
from citemed.sources.kinds import kind_from_text

# Words that make up structured-abstract labels. A known vocabulary, because an abstract may
# open with an upper-case acronym ("HIV infection ...") that is not a label.
LABEL_WORDS = frozenset("""
    ABSTRACT AIM AIMS ANALYSIS AND BACKGROUND CLINICAL COLLECTION CONCLUSION CONCLUSIONS CONTEXT
    CRITERIA DATA DESIGN DISCUSSION EXPERIMENTAL EXPOSURE EXPOSURES EXTRACTION FINDINGS FUNDING
    HYPOTHESES IMPLICATIONS IMPORTANCE INTERPRETATION INTERVENTION INTERVENTIONS INTRODUCTION
    LIMITATIONS MAIN MATERIAL MATERIALS MEASURE MEASUREMENTS MEASURES METHOD METHODOLOGY METHODS
    MOTIVATION OBJECTIVE OBJECTIVES OF OUTCOME OUTCOMES PARTICIPANTS PATIENTS PRINCIPAL PURPOSE
    RATIONALE RECENT REGISTRATION RELEVANCE RESEARCH RESULTS REVIEW SEARCH SELECTION SETTING
    SETTINGS SIGNIFICANCE SOURCES STRATEGY STUDY SUBJECTS SUMMARY SYNTHESIS TRIAL UNLABELLED
""".split())
_LEADING_CAPS = re.compile(r"^[A-Z][A-Z/&-]*(?: [A-Z][A-Z/&-]*)*")


def split_label(sentence: str) -> tuple[str, str] | None:
    """('RESULTS', rest) when the sentence opens with a structured-abstract label."""
    match = _LEADING_CAPS.match(sentence)
    if not match:
        return None
    words: list[str] = []
    for word in match.group(0).split(" "):
        if not all(part in LABEL_WORDS for part in word.split("/")):
            break
        words.append(word)
    while words and words[-1] in {"AND", "OF"}:
        words.pop()
    if not words:
        return None
    label = " ".join(words)
    rest = sentence[len(label):].lstrip(" :")
    return (label, rest) if rest else None


class SciFactReader(JsonLinesReader):
    name = "scifact"
    signature = frozenset({"doc_id", "title", "abstract"})

    def document(self, record: dict) -> Document:
        doc_id = record["doc_id"]
        if not isinstance(doc_id, int | str) or not str(doc_id).strip():
            raise ValueError("field 'doc_id' is empty")
        title = text_field(record, "title", required=True)
        abstract = record["abstract"]
        if not isinstance(abstract, list) or not all(isinstance(s, str) for s in abstract):
            raise TypeError("field 'abstract' should be a list of sentences")
        if not abstract:
            raise ValueError("field 'abstract' is empty")
        groups = _labelled_groups(abstract) if record.get("structured") else [("ABSTRACT", abstract)]
        sections = [section_from_sentences(label, sentences) for label, sentences in groups]
        return Document(
            id=f"scifact:{doc_id}",
            collection="scifact",
            kind=kind_from_text(title, " ".join(abstract)),
            title=title,
            source="S2ORC abstract (SciFact)",
            sections=sections,
            extra={"s2orc_id": str(doc_id)},
        )


def _labelled_groups(sentences: list[str]) -> list[tuple[str, list[str]]]:
    groups: list[tuple[str, list[str]]] = []
    for sentence in sentences:
        labelled = split_label(sentence.strip())
        if labelled:
            groups.append((labelled[0], [labelled[1]]))
        elif groups:
            groups[-1][1].append(sentence)
        else:
            groups.append(("ABSTRACT", [sentence]))
    return groups
