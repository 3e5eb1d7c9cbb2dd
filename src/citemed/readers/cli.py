"""`citemed models ...`: train and inspect the evidence reader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

models_app = typer.Typer(help="Train and inspect the evidence reader.", no_args_is_help=True)


@models_app.command("train")
def train_command(
    data: Annotated[Path, typer.Option("--data", help="Shared data folder (training splits "
                                       "are read from it).")] = Path("../shared/data"),
    out: Annotated[Path, typer.Option("--out", help="Where the weights, configuration and "
                                      "model card go.")] = Path("src/citemed/readers/weights"),
    work: Annotated[Path, typer.Option("--work", help="Checkpoints (a killed run resumes "
                                       "from the last one).")] = Path("build/reader-work"),
    seed: Annotated[int, typer.Option("--seed")] = 13,
    epochs: Annotated[float, typer.Option("--epochs")] = 1.0,
    limit: Annotated[int | None, typer.Option("--limit", help="First N pairs (a smoke run).")
                     ] = None,
    init: Annotated[Path | None, typer.Option("--init", help="Start from these weights (a "
                                              "second, stance-focused stage).")] = None,
    relevance_share: Annotated[float, typer.Option(
        "--relevance-share", help="Share of relevance-only pairs kept (1 = all).")] = 1.0,
    lr: Annotated[float, typer.Option("--lr")] = 5e-5,
    task: Annotated[str, typer.Option(
        "--task", help="passage: the sentence reader; evidence: the evidence-set reader that "
        "reads the cited sentences together (train it with --init from the sentence reader, "
        "--max-tokens 256).")] = "passage",
    max_tokens: Annotated[int, typer.Option("--max-tokens")] = 128,
) -> None:
    """Fine-tune the reader on the training splits only (about 60 minutes on 2 cores).

    The shipped weights are one stage with the defaults. `--init DIR --relevance-share 0.2`
    continues from DIR on the stance-labelled pairs and a fifth of the rest (tried: it did not
    beat one stage, docs/notes/issue-13.md)."""
    from citemed.readers.card import write_card
    from citemed.readers.train import TASKS, TrainOptions, train

    if task not in TASKS:
        raise typer.BadParameter(f"--task must be one of {', '.join(TASKS)}, not {task!r}")

    options = TrainOptions(data=data, out=out, work=work, seed=seed, epochs=epochs, limit=limit,
                           init=init, relevance_share=relevance_share, lr=lr, task=task,
                           max_tokens=max_tokens)
    meta = train(options, log=lambda line: typer.echo(line))
    write_card(out, meta)
    typer.echo(f"weights, reader.json and MODEL_CARD.md written to {out}")


@models_app.command("show")
def show_command(
    folder: Annotated[Path | None, typer.Option("--folder", help="Weights folder.")] = None,
) -> None:
    """Print the reader's configuration and training figures."""
    from citemed.readers import WEIGHTS_DIR
    from citemed.readers.model import CONFIG_FILE

    path = (folder or WEIGHTS_DIR) / CONFIG_FILE
    typer.echo(json.dumps(json.loads(path.read_text(encoding="utf-8")), indent=2))
