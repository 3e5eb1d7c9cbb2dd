from citemed.errors import SourceError
from citemed.model import Document, Kind
from citemed.sources import reader_for
from tests.conftest import FIXTURES

SOURCES = FIXTURES / "sources"


def test_jats_article_metadata_abstract_and_body_sections():
    path = SOURCES / "pmc_article.nxml"
    reader = reader_for(path)
    assert reader.name == "jats"
    (doc,) = list(reader.read(path))
    assert isinstance(doc, Document)
    assert doc.id == "pmc:PMC9000500"
    assert (doc.pmid, doc.doi, doc.year) == ("90000500", "10.9999/iom.500", 2022)
    assert doc.title == "Sleep and glimmer flares: a prospective cohort"
    assert doc.source == "Invented Open Medicine" and doc.kind is Kind.OBSERVATIONAL
    assert doc.terms == ["sleep", "glimmer syndrome"]
    assert [s.label for s in doc.sections] == [
        "Background", "Results", "Methods", "Methods / Statistical analysis", "Discussion"]
    everything = " ".join(s.text for s in doc.sections)
    for left_out in ("Graphical abstract", "Figure caption", "cell text", "A reference."):
        assert left_out not in everything
    assert doc.sections[-1].text == "Short sleep preceded flares. Causality is unproven."
    assert [s.text for s in doc.sections[2].sentences] == [
        "We followed 300 adults for one year.", "- Adults aged 18 to 65", "- No other skin disease"]


def test_jats_refuses_entity_declarations_and_reports_broken_files(tmp_path):
    text = (SOURCES / "pmc_article.nxml").read_text()
    hostile = tmp_path / "hostile.nxml"
    hostile.write_text(text.replace(
        '<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Archiving and Interchange DTD '
        'v1.3 20210610//EN" "JATS-archivearticle1-3.dtd">',
        '<!DOCTYPE article [<!ENTITY x SYSTEM "file:///etc/passwd">]>').replace(
        "We followed", "&x; We followed"))
    (error,) = list(reader_for(hostile).read(hostile))
    assert isinstance(error, SourceError) and "hostile.nxml" in str(error)
    broken = tmp_path / "broken.nxml"
    broken.write_text(text[: len(text) // 2])
    (error,) = list(reader_for(broken).read(broken))
    assert isinstance(error, SourceError) and "broken.nxml" in str(error)
    assert "malformed XML" in str(error)
