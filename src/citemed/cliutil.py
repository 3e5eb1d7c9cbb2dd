"""What every `citemed` sub-command shares: the console, settings from options, error exit.

The root app (`citemed.cli`) and its sub-apps (`citemed.eval.cli`, `citemed.articles.cli`) import
this module; a sub-app never imports the root, so the CLI has no import circle.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from citemed.errors import CiteMedError
from citemed.settings import ENV_PREFIX, Settings

if TYPE_CHECKING:
    from pydantic import ValidationError

T = TypeVar("T")

console = Console(stderr=True)

LibraryOpt = Annotated[
    Path | None,
    typer.Option("--library", "-l", help="Library folder (default: $CITEMED_LIBRARY or per-user)."),
]
DataOpt = Annotated[
    Path | None, typer.Option("--data", help="Shared data folder (default ../shared/data).")
]

DeviceOpt = Annotated[
    str | None,
    typer.Option("--device", help="Embed on: auto (a CUDA GPU when present), cpu, cuda or cuda:N "
                 "(default: $CITEMED_EMBED_DEVICE or auto)."),
]


def make_settings(library: Path | None = None, data: Path | None = None,
                  **overrides: Any) -> Settings:
    """Settings from the environment, with the options given on the command line on top."""
    values: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
    if library is not None:
        values["library"] = library
    if data is not None:
        values["data"] = data
    return Settings(**values)


def settings_problem(error: ValidationError) -> str:
    """One line per bad setting, naming its environment variable."""
    lines = []
    for problem in error.errors():
        name = ".".join(str(part) for part in problem["loc"]) or "settings"
        lines.append(f"setting {name} ({ENV_PREFIX}{name.upper()}): {problem['msg']}, got "
                     f"{problem.get('input')!r}")
    return "; ".join(lines)


def fail(error: Exception) -> NoReturn:
    # Messages quote install commands ('citemed[dense]') and "[record N]": not Rich markup.
    console.print(f"[bold red]error:[/] {escape(str(error))}")
    raise typer.Exit(code=2)


def run_or_fail(action: Callable[[], T]) -> T:
    """Run `action`; a user-facing error is printed and exits with code 2."""
    try:
        return action()
    except CiteMedError as error:
        fail(error)
