"""`citemed ingest` announces new evidence on a hook; it does not call the articles workflow."""

from __future__ import annotations

from typer.testing import CliRunner

from citemed import hooks
from citemed.articles import cli as articles_cli
from citemed.cli import app
from citemed.hooks import Hook
from tests.conftest import FIXTURES


def test_hook_calls_subscribers_once_each_in_order():
    hook, calls = Hook("test"), []
    first = hook.subscribe(lambda value: calls.append(("first", value)))
    hook.subscribe(first)  # a second subscription is a no-op
    hook.subscribe(lambda value: calls.append(("second", value)))
    hook.emit(1)
    hook.unsubscribe(first)
    hook.emit(2)
    assert calls == [("first", 1), ("second", 1), ("second", 2)]


def test_ingest_emits_after_ingest_with_the_library_and_its_report(tmp_path):
    seen = []

    def record(library, report):
        seen.append((library.folder, report.total.added))

    hooks.after_ingest.subscribe(record)
    try:
        result = CliRunner().invoke(app, ["ingest", str(FIXTURES / "sources" / "ngc.jsonl"),
                                          "--library", str(tmp_path / "lib")])
    finally:
        hooks.after_ingest.unsubscribe(record)
    assert result.exit_code == 0, result.output
    assert seen == [(tmp_path / "lib", 1)]
    # The root CLI is what wires the editorial workflow to the ingest.
    assert articles_cli.report_stale_articles in hooks.after_ingest.subscribers
