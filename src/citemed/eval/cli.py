"""`citemed eval ...`: the evaluation sub-commands."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from citemed.cliutil import console, make_settings, run_or_fail

if TYPE_CHECKING:
    from citemed.library import Library
    from citemed.settings import Settings

eval_app = typer.Typer(help="Measure CiteMed on public benchmarks.", no_args_is_help=True)

# Options every evaluation shares.
DataOption = Annotated[Path | None, typer.Option("--data", help="Shared data folder.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
LimitOption = Annotated[int | None, typer.Option("--limit", help="First N queries per set.")]


def _load_library(path: Path | None) -> Library | None:
    """The optional whole library (e.g. the demo library) to run every set inside."""
    from citemed.library import Library

    return Library(make_settings(path)) if path is not None else None


def _pin_or_measure(settings: Settings, pin: Path | None,
                    pin_expected: Callable[[Settings, Path], Any],
                    measure: Callable[[], list[Any]]) -> list[Any] | None:
    """With --pin, write the expected-scores file; otherwise run the measurement.

    None when there is nothing left to print (pinned).
    """
    if pin is not None:
        print(json.dumps(pin_expected(settings, pin), indent=2))
        return None
    return run_or_fail(measure)


def _progress(message: str) -> None:
    console.print(f"[dim]{message}[/]")


@eval_app.command("retrieval")
def retrieval(
    library: Annotated[Path | None, typer.Option(
        "--library", "-l", help="Also run every set inside this library (e.g. the demo library)."
    )] = None,
    data: DataOption = None,
    as_json: JsonOption = False,
    sets: Annotated[list[str] | None, typer.Option(
        "--sets", help="Sets to run (repeatable); default all available.")] = None,
    limit: LimitOption = None,
    pin: Annotated[Path | None, typer.Option(
        "--pin", help="Write full and regression-subset scores to this expected-scores file.")
    ] = None,
) -> None:
    """Retrieval quality per benchmark, CiteMed beside the plain bm25s baseline."""
    from citemed.eval.retrieval import available_sets, pin_expected, run

    settings = make_settings(None, data)
    results = _pin_or_measure(settings, pin, pin_expected, lambda: run(
        settings, sets or list(available_sets(Path(settings.data))), limit=limit,
        library=_load_library(library), progress=_progress))
    if results is None:
        return
    if as_json:
        print(json.dumps([vars(r) for r in results], indent=2))
        return
    table = Table(title="Retrieval: CiteMed vs bm25s baseline")
    for col in ["set", "where", "docs", "queries", "metric", "citemed", "baseline", "delta"]:
        table.add_column(col, justify="left" if col in ("set", "where", "metric") else "right")
    for r in results:
        for name, ours in r.citemed.items():
            base = r.baseline[name]
            table.add_row(r.name, r.where, f"{r.documents:,}", str(r.queries), name,
                          f"{ours:.3f}", f"{base:.3f}", f"{ours - base:+.3f}")
    Console(width=120).print(table)


@eval_app.command("answers")
def answers(
    library: Annotated[Path | None, typer.Option(
        "--library", "-l", help="Ask every set of this library instead of per-set libraries."
    )] = None,
    data: DataOption = None,
    as_json: JsonOption = False,
    limit: LimitOption = None,
    sets: Annotated[list[str] | None, typer.Option(
        "--sets", help="pubmedqa, bioasq_yesno, bioasq_summary, answerability (default: all "
        "four), or the training-split development sets scifact_train, bioasq_dev_yesno, "
        "bioasq_dev_summary, answerability_dev; repeatable.")
    ] = None,
    with_conclusions: Annotated[bool, typer.Option(
        "--with-conclusions", help="Also run PubMedQA with conclusions in the library.")
    ] = False,
    pin: Annotated[Path | None, typer.Option(
        "--pin", help="Run the regression subset (PIN_LIMIT questions per set) and write the "
        "expected-scores file here.")
    ] = None,
) -> None:
    """Verdict accuracy, ROUGE, citation and traceability scores of `ask` on benchmarks."""
    from citemed.eval.answers import SETS, pin_expected, result_dict, run

    settings = make_settings(None, data)
    results = _pin_or_measure(settings, pin, pin_expected, lambda: run(
        settings, sets or SETS, limit=limit, with_conclusions=with_conclusions,
        library=_load_library(library), progress=_progress))
    if results is None:
        return
    if as_json:
        print(json.dumps([result_dict(r) for r in results], indent=2))
        return
    table = Table(title="Answer evaluation")
    for col in ["set", "setting", "questions", "metric", "value", "anchors"]:
        table.add_column(col)
    for r in results:
        for i, (name, value) in enumerate(r.metrics.items()):
            table.add_row(r.name if i == 0 else "", r.setting if i == 0 else "",
                          str(r.questions) if i == 0 else "", name,
                          f"{value:.4f}" if name != "statements" else f"{value:.0f}",
                          r.anchors if i == 0 else "")
    console.print(table)

