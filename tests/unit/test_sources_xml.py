"""PubMed XML: fields, deletions, gzip, broken files, and hostile XML that must not expand."""

import gzip
import resource
import shutil
from pathlib import Path

from citemed.errors import SourceError
from citemed.model import Document, Kind
from citemed.sources import reader_for
from citemed.sources.base import Deletion
from tests.conftest import FIXTURES

SOURCES = FIXTURES / "sources"


def read(path: Path):
    reader = reader_for(path, "pubmed")
    assert reader.name == "pubmed"
    return list(reader.read(path))


def test_pubmed_articles_fields_and_structured_abstract():
    assert reader_for(SOURCES / "pubmed_sample.xml").name == "pubmed"  # detected by its root
    items = read(SOURCES / "pubmed_sample.xml")
    docs = {d.id: d for d in items if isinstance(d, Document)}
    assert list(docs) == ["pubmed:90000001", "pubmed:90000002", "pubmed:90000003"]
    trial = docs["pubmed:90000001"]
    assert trial.title == "Emollient versus placebo for glimmer syndrome: a randomised trial."
    assert trial.kind is Kind.RANDOMIZED_TRIAL
    assert (trial.source, trial.year, trial.pmid) == ("Journal of Invented Dermatology", 2021,
                                                      "90000001")
    # DOI from ELocationID; the cited paper's DOI in ReferenceList is not taken.
    assert trial.doi == "10.9999/jid.2021.001"
    assert trial.terms == ["Pruritus", "Emollients", "itch"]
    assert trial.extra["pmcid"] == "PMC9000001"
    assert [s.label for s in trial.sections] == ["BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"]
    results = trial.sections[2]
    assert [s.text for s in results.sentences] == [
        "Itch fell by 2.5 points (95% CI 1.1 to 3.9; P<0.001) with emollient.",
        "Skin sparkle was unchanged.",
    ]
    review = docs["pubmed:90000002"]
    assert (review.kind, review.year, review.doi) == (Kind.REVIEW, 1998, "10.9999/irm.1998.7")
    assert [s.label for s in review.sections] == ["ABSTRACT"]
    letter = docs["pubmed:90000003"]
    assert letter.year == 2024 and letter.sections == []
    assert letter.kind is Kind.OBSERVATIONAL  # "Journal Article" only: the wording decides


def test_missing_pmid_is_reported_with_position_and_deletions_follow():
    items = read(SOURCES / "pubmed_sample.xml")
    errors = [i for i in items if isinstance(i, SourceError)]
    assert len(errors) == 1
    assert "pubmed_sample.xml [record 3]" in str(errors[0]) and "PMID" in str(errors[0])
    deletions = [i.document_id for i in items if isinstance(i, Deletion)]
    assert deletions == ["pubmed:80000001", "pubmed:80000002"]


def test_gzipped_file_reads_the_same(tmp_path):
    target = tmp_path / "pubmed25n0001.xml.gz"
    with (SOURCES / "pubmed_sample.xml").open("rb") as src, gzip.open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
    assert reader_for(target).estimate(target) == 4
    plain = [i.id for i in read(SOURCES / "pubmed_sample.xml") if isinstance(i, Document)]
    zipped = [i.id for i in read(target) if isinstance(i, Document)]
    assert plain == zipped


def test_truncated_file_keeps_records_before_the_break():
    items = read(SOURCES / "pubmed_truncated.xml")
    assert [i.id for i in items if isinstance(i, Document)] == ["pubmed:90000001"]
    (error,) = [i for i in items if isinstance(i, SourceError)]
    assert "pubmed_truncated.xml [record 2]" in str(error) and "malformed XML" in str(error)


def test_billion_laughs_is_refused_without_expanding():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    items = read(SOURCES / "billion_laughs.xml")
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 50_000  # expansion would need gigabytes (10^9 'lol's per reference)
    assert not any(isinstance(i, Document) for i in items)
    (error,) = items
    assert "billion_laughs.xml" in str(error) and "entities" in str(error)


def test_external_entity_is_refused_and_nothing_is_read_from_disk():
    items = read(SOURCES / "external_entity.xml")
    assert not any(isinstance(i, Document) for i in items)
    (error,) = items
    assert "external_entity.xml" in str(error) and "secret" in str(error)
    assert "root:" not in str(error)


def test_entities_declared_after_a_long_prolog_are_still_refused(tmp_path):
    # The byte-level pre-check reads 1 MiB; past it, the parsed DTD is checked at record one.
    # (Detection sniffs only the first 4 KiB, so the format is named explicitly.)
    text = (SOURCES / "external_entity.xml").read_text()
    padded = tmp_path / "padded.xml"
    padded.write_text(text.replace('<?xml version="1.0"?>\n',
                                   '<?xml version="1.0"?>\n<!--' + "x" * (1 << 20) + "-->\n"))
    items = read(padded)
    assert not any(isinstance(i, Document) for i in items)
    (error,) = items
    assert "padded.xml" in str(error) and "secret" in str(error)


def test_a_folder_of_baseline_files_is_read_in_name_order(tmp_path):
    folder = tmp_path / "baseline"
    folder.mkdir()
    sample = (SOURCES / "pubmed_sample.xml").read_text()
    with gzip.open(folder / "pubmed25n0002.xml.gz", "wt") as out:
        out.write(sample.replace("9000000", "9100000"))
    shutil.copy(SOURCES / "pubmed_sample.xml", folder / "pubmed25n0001.xml")
    shutil.copy(FIXTURES / "sources" / "pmc_article.nxml", folder / "pubmed25n0003.xml")
    reader = reader_for(folder)
    assert reader.name == "pubmed" and reader.estimate(folder) == 12
    items = list(reader.read(folder))
    assert [i.id for i in items if isinstance(i, Document)] == [
        "pubmed:90000001", "pubmed:90000002", "pubmed:90000003",
        "pubmed:91000001", "pubmed:91000002", "pubmed:91000003"]
    errors = [str(i) for i in items if isinstance(i, SourceError)]
    assert len(errors) == 3 and "pubmed25n0003.xml: not pubmed input" in errors[2]
