"""`citemed ingest --cluster` on a real local Ray cluster: a head and one worker node, each
started by `ray start` as separate processes (bench/ray_cluster.py), compared with a local
ingest document for document."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from bench.ray_cluster import Addresses, local_ray_cluster
from bench.synthetic_pubmed import FIRST_PMID, write_pubmed_xml
from typer.testing import CliRunner

from citemed.cli import app
from citemed.errors import CiteMedError
from citemed.library import IngestReport, Library, embed
from citemed.settings import Settings
from citemed.sources.pubmed import PubMedReader
from tests.cluster.readers import DiesOnce, FailsOn, LoggingReader
from tests.conftest import FIXTURES
from tests.unit.test_ingest_cli import summary_rows
from tests.unit.test_ingest_safety import complete_documents

pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def ray_addresses() -> Iterator[Addresses]:
    try:
        import ray  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but Ray is missing: scripts/install.sh installs the 'cluster' "
                        "extra")
        pytest.skip("the 'cluster' extra (Ray) is not installed")
    with local_ray_cluster(workers=1, head_cpus=1, worker_cpus=1) as addresses:
        yield addresses


@pytest.fixture
def ray_connected(ray_addresses: Addresses) -> Iterator[str]:
    from citemed.cluster import connected

    with connected(ray_addresses.gcs) as ray:
        alive = [node for node in ray.nodes() if node["Alive"]]
        assert len(alive) == 2  # the head and the worker node: two raylets
        yield ray_addresses.gcs


def pubmed_inputs(folder: Path) -> list[Path]:
    """A baseline folder of two files, an update file revising 20 of their records and
    deleting 3, and the hand-written sample (one record rejected)."""
    baseline = folder / "baseline"
    baseline.mkdir()
    write_pubmed_xml(baseline / "pubmed26n0001.xml", 60)
    write_pubmed_xml(baseline / "pubmed26n0002.xml.gz", 60, first=FIRST_PMID + 60)
    update = folder / "pubmed26n0003.xml"
    write_pubmed_xml(update, 20, seed=9, first=FIRST_PMID + 50,
                     deleted=[FIRST_PMID + 1, FIRST_PMID + 2, FIRST_PMID + 70])
    return [baseline, update, FIXTURES / "sources" / "pubmed_sample.xml"]


def library_rows(folder: Path) -> tuple[list[tuple], list[tuple]]:
    """Every stored document (without its write time) and section, in id order."""
    with sqlite3.connect(folder / "library.sqlite") as conn:
        documents = conn.execute(
            "SELECT id, collection, kind, title, source, year, pmid, doi, url, terms, extra, "
            "hash, origin FROM documents ORDER BY id").fetchall()
        sections = conn.execute(
            "SELECT doc_id, idx, label, text, sentences FROM sections ORDER BY doc_id, idx"
        ).fetchall()
    return documents, sections


def search_results(folder: Path, queries: list[str]) -> list[list[tuple[str, float]]]:
    from citemed.engine import Engine

    engine = Engine(Settings(library=folder, dense=False))
    return [[(hit.document.id, round(hit.score, 9)) for hit in engine.search(query, k=10)]
            for query in queries]


def test_cluster_ingest_writes_the_library_a_local_ingest_writes(tmp_path, ray_addresses,
                                                                 monkeypatch):
    monkeypatch.setenv("CITEMED_DENSE", "0")
    inputs = [str(path) for path in pubmed_inputs(tmp_path)]
    runner = CliRunner()
    local = runner.invoke(app, ["ingest", *inputs, "--library", str(tmp_path / "local")])
    assert local.exit_code == 0, local.output
    # Through the Ray Client (ray://), as a driver outside the cluster connects.
    cluster = runner.invoke(app, ["ingest", *inputs, "--library", str(tmp_path / "cluster"),
                                  "--cluster", ray_addresses.client])
    assert cluster.exit_code == 0, cluster.output
    # Same counts: 123 added, 20 revised, 3 deleted, the sample's record without PMID rejected.
    assert summary_rows(cluster.output) == summary_rows(local.output)
    assert summary_rows(cluster.output)["pubmed"] == ["123", "20", "0", "3", "1"]
    assert "pubmed_sample.xml [record 3]" in cluster.output

    documents, sections = library_rows(tmp_path / "local")
    assert library_rows(tmp_path / "cluster") == (documents, sections)
    assert len(documents) == 120
    a, b = (Library(Settings(library=tmp_path / name, dense=False)) for name in ("local",
                                                                                  "cluster"))
    assert a.version == b.version
    assert list(a.lexical.doc_ids) == list(b.lexical.doc_ids)
    a.close()
    b.close()
    titles = [row[3] for row in documents[::17]]
    queries = [" ".join(title.split()[:3]) for title in titles] + ["aromatase inhibitor"]
    local_hits = search_results(tmp_path / "local", queries)
    assert all(local_hits[:-1])
    assert search_results(tmp_path / "cluster", queries) == local_hits

    # Unchanged files are not sent to the cluster again (now through the GCS address).
    again = runner.invoke(app, ["ingest", *inputs, "--library", str(tmp_path / "cluster"),
                                "--ray", ray_addresses.gcs])
    assert again.exit_code == 0, again.output
    assert "3 path(s) unchanged" in again.output  # the sample's reject makes it read again


def three_files(folder: Path, count: int = 40) -> Path:
    folder.mkdir()
    for n in range(3):
        write_pubmed_xml(folder / f"part{n}.xml", count, first=FIRST_PMID + n * count)
    return folder


def test_a_killed_worker_is_retried_and_a_failed_ingest_resumes(tmp_path, ray_connected):
    from citemed.cluster import ingest_units, plan_units

    inputs = three_files(tmp_path / "in")
    log = tmp_path / "reads.log"

    # The worker reading part1.xml dies (os._exit) on its first attempt; Ray runs it again.
    lib = Library(Settings(library=tmp_path / "retried", dense=False), create=True)
    reader = DiesOnce(log, "part1.xml", tmp_path / "died")
    report = IngestReport()
    ingest_units(lib, plan_units([(reader, inputs)]), report=report)
    assert (tmp_path / "died").exists()
    assert sorted(log.read_text().split()) == ["part0.xml", "part1.xml", "part2.xml"]
    assert report.total.added == 120 and report.errors == []
    assert complete_documents(lib.folder / "library.sqlite") == (120, [])  # every document once and whole
    lib.close()

    # A reader error on part2.xml stops the ingest after part0 and part1 are written ...
    lib = Library(Settings(library=tmp_path / "resumed", dense=False), create=True)
    with pytest.raises(CiteMedError, match=r"part2\.xml: reading it on the Ray cluster failed: "
                                           r"planted failure"):
        ingest_units(lib, plan_units([(FailsOn(log, "part2.xml"), inputs)]),
                     report=IngestReport())
    assert complete_documents(lib.folder / "library.sqlite") == (80, [])
    # ... and the re-run sends only part2.xml to the cluster.
    log.unlink()
    report = IngestReport()
    ingest_units(lib, plan_units([(LoggingReader(log), inputs)]),
                 report=report)
    assert log.read_text().split() == ["part2.xml"]
    assert report.unchanged_files == [str(inputs / "part0.xml"), str(inputs / "part1.xml")]
    assert report.total.added == 40
    assert complete_documents(lib.folder / "library.sqlite") == (120, [])
    assert library_rows(lib.folder)[1] == library_rows(tmp_path / "retried")[1]
    lib.close()


def test_heads_embedded_on_the_cluster_equal_local_vectors(tmp_path, ray_connected,
                                                           monkeypatch):
    from citemed.cluster import ingest_on_cluster

    source = tmp_path / "few.xml"
    write_pubmed_xml(source, 8)
    local = Library(Settings(library=tmp_path / "local", dense=True,
                             dense_cache=tmp_path / "local-vectors.sqlite"), create=True)
    local.ingest_paths([source])
    cluster = Library(Settings(library=tmp_path / "cluster", dense=True,
                               dense_cache=tmp_path / "cluster-vectors.sqlite"), create=True)

    def no_local_encoder() -> None:
        raise AssertionError("the driver embedded heads itself")

    # The driver's dense refresh must find every head in the cache the workers filled.
    monkeypatch.setattr(embed, "encoder", no_local_encoder)
    ingest_on_cluster(cluster, [source], address=ray_connected)
    assert local.dense is not None and cluster.dense is not None
    ids = [local.dense.doc_id(row) for row in range(len(local.dense.ids))]
    assert sorted(ids) == sorted(cluster.dense.doc_id(row) for row in range(len(cluster.dense.ids)))
    assert len(ids) == 8
    for doc_id in ids:
        expected = np.asarray(local.dense.vector(doc_id), dtype=np.float32)
        found = np.asarray(cluster.dense.vector(doc_id), dtype=np.float32)
        np.testing.assert_allclose(found, expected, atol=1e-5, err_msg=doc_id)
    local.close()
    cluster.close()


def test_the_plain_pubmed_reader_is_what_the_cli_sends(tmp_path):
    from citemed.cluster import plan_units

    inputs = three_files(tmp_path / "in", count=2)
    units = plan_units(Library.plan([inputs], None, IngestReport()))
    assert [(type(u.reader), u.path.name, u.member) for u in units] == [
        (PubMedReader, f"part{n}.xml", True) for n in range(3)]
