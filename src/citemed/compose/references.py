"""Reference numbering: numbers follow first appearance; every reference is cited."""

from __future__ import annotations

from citemed.model import Document, Quote, Reference, SentenceHit


class Citations:
    """Reference numbers in order of first appearance; quotes gathered per reference."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}
        self.docs: dict[str, Document] = {}
        self.quotes: dict[str, dict[str, Quote]] = {}

    def cite(self, doc: Document, sentence: SentenceHit) -> int:
        if doc.id not in self.numbers:
            self.numbers[doc.id] = len(self.numbers) + 1
            self.docs[doc.id] = doc
            self.quotes[doc.id] = {}
        self.quotes[doc.id].setdefault(sentence.sentence_id, Quote(
            sentence_id=sentence.sentence_id, section=sentence.section_label,
            text=sentence.text, start=sentence.start, end=sentence.end,
        ))
        return self.numbers[doc.id]

    def references(self) -> list[Reference]:
        refs = []
        for doc_id, number in sorted(self.numbers.items(), key=lambda kv: kv[1]):
            doc = self.docs[doc_id]
            refs.append(Reference(
                number=number, document_id=doc.id, kind=doc.kind, kind_label=doc.kind.label,
                title=doc.title, source=doc.source, year=doc.year, pmid=doc.pmid, doi=doc.doi,
                url=doc.url, quotes=list(self.quotes[doc_id].values()),
            ))
        return refs
