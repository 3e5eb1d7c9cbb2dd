"""The `citemed` command: the root Typer app, a thin layer over the library API.

It registers the sub-apps (`eval`, `models`, `users`, `articles`, `backup`, `restore`) and wires the
post-ingest hook; sub-apps import `citemed.cliutil`, never this module. Heavy modules (engine,
library, web) are imported inside the commands so `citemed --help` starts fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from citemed import hooks
from citemed.articles import cli as articles_cli
from citemed.audience.vocabulary import cache_library_vocabulary
from citemed.cliutil import (
    DataOpt,
    DeviceOpt,
    LibraryOpt,
    console,
    fail,
    make_settings,
    settings_problem,
)
from citemed.demo import SAMPLE_QUESTION
from citemed.errors import CiteMedError
from citemed.eval.cli import eval_app
from citemed.readers.cli import models_app
from citemed.settings import Settings, settings_reference

if TYPE_CHECKING:
    from citemed.library import IngestReport
    from citemed.model import Audience, Hit

app = typer.Typer(help="CiteMed: cited answers to medical questions from your evidence library.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
library_app = typer.Typer(help="Inspect the evidence library.", no_args_is_help=True)
app.add_typer(library_app, name="library")
app.add_typer(eval_app, name="eval")
app.add_typer(models_app, name="models")


class _Progress:
    """Rich progress bar with documents, rate and ETA, one task per source file."""

    def __init__(self) -> None:
        self.bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("[progress.data.speed]{task.fields[rate]}"),
            TimeRemainingColumn(), console=console, transient=False,
        )

    def __enter__(self) -> _Progress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.bar.__exit__(*exc)

    def task(self, description: str, total: int | None = None) -> Callable[[int], None]:
        task_id = self.bar.add_task(description, total=total, rate="")

        def advance(n: int) -> None:
            self.bar.advance(task_id, n)
            task = self.bar.tasks[task_id]
            if task.speed:
                self.bar.update(task_id, rate=f"{task.speed:,.0f} docs/s")

        return advance


def print_report(report: IngestReport) -> None:
    table = Table(title=f"Ingest summary ({report.seconds:.1f} s)")
    for col in ["source", "added", "updated", "unchanged", "deleted", "rejected"]:
        table.add_column(col, justify="left" if col == "source" else "right")
    columns = ["added", "updated", "unchanged", "deleted", "rejected"]
    for name, rep in [*report.by_source.items(), ("[bold]total[/]", report.total)]:
        table.add_row(name, *(f"{getattr(rep, c):,}" for c in columns))
    console.print(table)
    if report.unchanged_files:
        console.print(f"{len(report.unchanged_files)} path(s) unchanged since the last ingest, "
                      "not read again (--force reads them)")
    # Messages quote file content and "[record N]" positions: escape them from Rich markup.
    for warning in report.warnings[:20]:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    if len(report.warnings) > 20:
        console.print(f"[yellow]... and {len(report.warnings) - 20} more warnings[/]")
    for error in report.errors[:20]:
        console.print(f"[red]rejected:[/] {escape(error)}")
    if len(report.errors) > 20:
        console.print(f"[red]... and {len(report.errors) - 20} more rejected records[/]")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest.")],
    library: LibraryOpt = None,
    format: Annotated[str | None, typer.Option("--format", "-f", help="Reader name.")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Read files again even if unchanged since the last ingest.")] = False,
    cluster: Annotated[str | None, typer.Option(
        "--cluster", "--ray", help="Read and embed on a Ray cluster: ray://HOST:PORT (Ray "
        "Client), HOST:PORT (the head's GCS) or auto; this process writes the library. Input "
        "files must be at the same path on every node. Needs the 'cluster' extra.")] = None,
    device: DeviceOpt = None,
) -> None:
    """Add documents from PubMed XML, JATS, the open sets, Markdown/HTML or PDF files."""
    from citemed.library import Library

    try:
        for path in paths:
            if not path.exists():
                raise CiteMedError(f"{path}: no such file or folder")
        lib = Library(make_settings(library, embed_device=device), create=True)
        with _Progress() as progress:
            if cluster:
                from citemed.cluster import ingest_on_cluster

                report = ingest_on_cluster(lib, paths, address=cluster, format=format,
                                           progress=progress.task, force=force)
            else:
                report = lib.ingest_paths(paths, format=format, progress=progress.task,
                                          force=force)
        print_report(report)
        hooks.after_ingest.emit(lib, report)
        lib.close()
    except CiteMedError as error:
        fail(error)


@library_app.command("merge")
def library_merge(library: LibraryOpt = None) -> None:
    """Merge the keyword index's segments into one (updates add a segment each); an index of
    the previous format is upgraded in place first. A running server switches to the merged
    index by itself."""
    from citemed.library import Library

    try:
        lib = Library(make_settings(library))
        before = len((lib.writable_lexical() or lib.lexical).segments)  # upgraded if older
        merged = lib.merge_lexical()
        lib.write_manifest()  # the server's cue to reopen (Engine.follow_library)
        lib.close()
    except CiteMedError as error:
        fail(error)
        return
    console.print(f"Keyword index: {before} segment(s) merged into {len(merged.segments)}, "
                  f"{merged.live_count:,} documents")


@library_app.command("stats")
def library_stats(
    library: LibraryOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Counts by source and kind, with the total number of documents."""
    from citemed.library import Library

    try:
        stats = Library(make_settings(library)).stats()
    except CiteMedError as error:
        fail(error)
        return
    if as_json:
        print(json.dumps(stats, indent=2))
        return
    console.print(f"Library {stats['library']} (version {stats['version']})")
    for title, key in [("source", "by_source"), ("kind", "by_kind")]:
        table = Table(title=f"Documents by {title}")
        table.add_column(title)
        table.add_column("documents", justify="right")
        for name, count in cast(dict[str, int], stats[key]).items():
            table.add_row(name, f"{count:,}")
        table.add_row("[bold]total[/]", f"[bold]{stats['documents']:,}[/]")
        console.print(table)
    size = cast(int, stats["size_bytes"])
    console.print(f"{stats['sentences']:,} sentences, {size / 1e6:,.1f} MB on disk")


def _audience(value: str) -> Audience:
    if value not in ("clinician", "patient"):
        fail(CiteMedError("--audience must be clinician or patient"))
    return cast("Audience", value)


@app.command()
def search(
    question: Annotated[str, typer.Argument(help="The question or query.")],
    k: Annotated[int, typer.Option("--k", help="Documents to return.")] = 10,
    library: LibraryOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    audience: Annotated[str, typer.Option("--audience")] = "clinician",
) -> None:
    """Ranked documents and the best matching sentences inside each."""
    from citemed.engine import Engine

    try:
        hits = Engine(make_settings(library)).search(question, k=k, audience=_audience(audience))
    except CiteMedError as error:
        fail(error)
        return
    if as_json:
        print(json.dumps([_hit_json(h) for h in hits], indent=2))
        return
    for hit in hits:
        doc = hit.document
        print(f"{hit.rank:>2}. [{doc.kind.label}] {doc.title} ({doc.id}, score {hit.score:.2f})")
        for s in hit.sentences:
            print(f"      {s.score:5.2f}  {s.text}  [{s.sentence_id} {s.start}-{s.end}]")


def _hit_json(hit: Hit) -> dict[str, Any]:
    doc = hit.document
    return {
        "rank": hit.rank, "score": round(hit.score, 4), "signals": hit.signals,
        "document": {"id": doc.id, "kind": str(doc.kind), "title": doc.title, "source": doc.source,
                     "year": doc.year, "pmid": doc.pmid, "doi": doc.doi, "url": doc.url},
        "sentences": [{"sentence_id": s.sentence_id, "section": s.section_label, "text": s.text,
                       "start": s.start, "end": s.end, "score": round(s.score, 4)}
                      for s in hit.sentences],
    }


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A medical question.")],
    audience: Annotated[str, typer.Option("--audience", help="clinician or patient")] = "clinician",
    format: Annotated[str, typer.Option("--format", help="md, json or text")] = "md",
    library: LibraryOpt = None,
) -> None:
    """Answer a question with a direct answer, cited sections and a typed reference list."""
    from citemed.engine import Engine
    from citemed.render import to_markdown, to_text

    reader = _audience(audience)
    if format not in ("md", "json", "text"):
        fail(CiteMedError("--format must be md, json or text"))
    try:
        answer = Engine(make_settings(library)).ask(question, audience=reader)
    except CiteMedError as error:
        fail(error)
        return
    if format == "json":
        print(answer.to_json())
    elif format == "text":
        print(to_text(answer))
    else:
        print(to_markdown(answer))


@app.command()
def demo(
    library: LibraryOpt = None,
    data: DataOpt = None,
    question: Annotated[str, typer.Option("--question")] = SAMPLE_QUESTION,
    serve: Annotated[bool, typer.Option(
        "--serve", help="Then serve the library and print the answer page's URL.")] = False,
    host: Annotated[str, typer.Option("--host", help="With --serve: interface.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="With --serve: TCP port.")] = 8000,
    device: DeviceOpt = None,
) -> None:
    """Build the demo library from the shared open data and answer a sample question."""
    from citemed.demo import answer_page_url, build_demo_library
    from citemed.engine import Engine
    from citemed.library import dense_wanted
    from citemed.library.builder import start_background_build
    from citemed.render import to_markdown

    settings = make_settings(library, data, embed_device=device)
    # With --serve, answers start as soon as BM25 is built; the dense index follows in the
    # background and the server swaps it in when it is complete.
    background = serve and dense_wanted(settings)
    try:
        with _Progress() as progress:
            report = build_demo_library(settings, progress=progress.task, dense=not background)
        print_report(report)
        answer = Engine(settings).ask(question)
    except CiteMedError as error:
        fail(error)
        return
    print(to_markdown(answer))
    if not serve:
        console.print(f"Library: {settings.library}. Try: citemed demo --serve")
        return
    from citemed.web.server import serve as run_server

    print(f"Open the answer page: {answer_page_url(host, port, question)}", flush=True)
    builder = None
    if background:
        print("Answers use keyword search until the dense index is built in the background:",
              flush=True)
        builder = start_background_build(settings.library, settings.embed_device)
    try:
        run_server(settings, host=host, port=port)
    except CiteMedError as error:
        fail(error)
    finally:
        if builder is not None and builder.poll() is None:
            builder.terminate()
            builder.wait(timeout=30)


@app.command()
def serve(
    library: LibraryOpt = None,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")] = 1,
    database: Annotated[str | None, typer.Option(
        "--database", help="Articles database URL, e.g. postgresql://user@host/db "
                           "(default: articles.sqlite in the library folder).")] = None,
) -> None:
    """Serve answer pages and the JSON API (/api/v1) over HTTP."""
    from citemed.web.server import serve as run_server

    try:
        run_server(make_settings(library, database=database), host=host, port=port,
                   workers=workers)
    except CiteMedError as error:
        fail(error)



@app.command("settings")
def settings_command(
    markdown: Annotated[bool, typer.Option(
        "--markdown", help="Print the settings reference (docs/settings.md) instead.")] = False,
) -> None:
    """Every setting with its environment variable and, here, its current value."""
    if markdown:
        print(settings_reference(), end="")
        return
    current = make_settings()
    for name in Settings.model_fields:
        print(f"CITEMED_{name.upper()}={getattr(current, name)}")


# Registered after the commands above so `citemed --help` lists the everyday commands first.
articles_cli.register(app)
# The writer mines the lay vocabulary once, so that servers over the library (read-only ones
# above all, which may not cache it in the folder) read it instead of mining it at start.
hooks.after_ingest.subscribe(cache_library_vocabulary)
# An ingest flags the approved articles its new evidence would change: the editorial workflow
# reacts to the ingest, the ingest does not call it.
hooks.after_ingest.subscribe(articles_cli.report_stale_articles)


def main() -> None:
    from pydantic import ValidationError

    try:
        app()
    except BrokenPipeError:
        sys.exit(0)
    except ValidationError as error:  # a setting from the environment or an option
        console.print(f"[bold red]error:[/] {escape(settings_problem(error))}")
        sys.exit(2)


if __name__ == "__main__":
    main()
