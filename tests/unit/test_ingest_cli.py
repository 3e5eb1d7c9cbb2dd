"""`citemed ingest` and `citemed library stats` end to end through the real CLI."""

import json
import sys

from typer.testing import CliRunner

from citemed.cli import app
from tests.conftest import FIXTURES

SOURCES = FIXTURES / "sources"


def summary_rows(output: str) -> dict[str, list[str]]:
    """Summary table rows: source -> [added, updated, unchanged, deleted, rejected]."""
    return {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:7]]
            for line in output.splitlines() if line.startswith("│")}


def test_ingest_summary_and_stats_by_source_and_kind(tmp_path):
    runner = CliRunner()
    library = str(tmp_path / "lib")
    result = runner.invoke(app, ["ingest", str(SOURCES / "pubmed_sample.xml"),
                                 str(SOURCES / "ngc.jsonl"), "--library", library])
    assert result.exit_code == 0, result.output
    # Positions survive Rich markup: "[record 3]" must not be swallowed as a tag.
    assert "pubmed_sample.xml [record 3]" in result.output
    rows = summary_rows(result.output)
    assert rows["pubmed"] == ["3", "0", "0", "0", "1"]
    assert rows["ngc"] == ["1", "0", "0", "0", "1"]
    assert rows["total"] == ["4", "0", "0", "0", "2"]

    result = runner.invoke(app, ["library", "stats", "--json", "--library", library])
    stats = json.loads(result.stdout)
    assert stats["documents"] == 4
    assert stats["by_source"] == {"ngc": 1, "pubmed": 3}
    assert stats["by_kind"] == {"guideline": 1, "observational": 1, "randomized_trial": 1,
                                "review": 1}

    again = runner.invoke(app, ["ingest", str(SOURCES / "pubmed_sample.xml"), "--library",
                                library])
    rows = summary_rows(again.output)
    assert rows["pubmed"] == ["0", "0", "3", "0", "1"]


def test_library_merge_leaves_one_segment(tmp_path):
    runner = CliRunner()
    library = str(tmp_path / "lib")
    for source in ("pubmed_sample.xml", "ngc.jsonl"):  # two ingests: two segments
        result = runner.invoke(app, ["ingest", str(SOURCES / source), "--library", library])
        assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["library", "merge", "--library", library])
    assert result.exit_code == 0, result.output
    assert "2 segment(s) merged into 1, 4 documents" in result.output


def test_cluster_ingest_without_ray_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    result = CliRunner().invoke(app, ["ingest", str(SOURCES / "pubmed_sample.xml"),
                                      "--library", str(tmp_path / "lib"), "--cluster", "auto"])
    assert result.exit_code != 0
    assert "pip install 'citemed[cluster]'" in result.output
