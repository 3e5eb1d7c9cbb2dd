"""Shared bits of the web bench scripts: machine description and JSON-line output."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path


def machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} cpu, {platform.python_version()}"


def emit(name: str, value: float, unit: str, **extra: object) -> None:
    print(json.dumps({"name": name, "value": value, "unit": unit, "machine": machine(), **extra}),
          flush=True)


def pubmedqa_questions(data: Path, split: str = "train_dev") -> list[str]:
    """PubMedQA questions of one split (benches load pages with train_dev questions)."""
    records = json.loads((data / "pubmedqa" / "ori_pqal.json").read_text())
    pmids = json.loads((data / "pubmedqa" / "pqal_split_pmids.json").read_text())[split]
    return [records[p]["QUESTION"] for p in pmids if p in records]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]
