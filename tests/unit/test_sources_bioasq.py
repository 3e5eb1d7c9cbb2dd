"""BioASQ golden files: snippets grouped per PMID, honest titles, bad snippets reported."""

from citemed.errors import SourceError
from citemed.model import Document
from citemed.sources import reader_for
from tests.conftest import FIXTURES

FOLDER = FIXTURES / "sources" / "bioasq"


def test_snippets_grouped_per_pmid_with_the_most_complete_title():
    reader = reader_for(FOLDER)
    assert reader.name == "bioasq"
    items = list(reader.read(FOLDER))
    docs = {d.id: d for d in items if isinstance(d, Document)}
    assert list(docs) == ["bioasq:111", "bioasq:222", "bioasq:333"]
    titled = docs["bioasq:111"]
    assert titled.title == "Glimmer syndrome: an invented itchy disease"  # offset-0 snippet
    assert titled.extra["title_known"] is True
    assert [s.text for s in titled.sections[0].sentences] == ["Itch was reported by most patients."]
    untitled = docs["bioasq:222"]
    # No title snippet: say so instead of promoting an abstract sentence to a title.
    assert untitled.title == "PubMed 222 (abstract excerpts; title not in BioASQ)"
    assert untitled.extra["title_known"] is False
    # The same passage cited by two questions is kept once, in its longest form.
    assert untitled.sections[0].text == "Sparkle was measured in 20 adults. It fell with emollients."
    fragment = docs["bioasq:333"]
    assert fragment.title == "\u2026 an invented title fragment" and fragment.sections == []
    assert fragment.extra["title_known"] is False
    (error,) = [i for i in items if isinstance(i, SourceError)]
    assert "9B1_golden.json [record 2]" in str(error) and "bad snippet" in str(error)
