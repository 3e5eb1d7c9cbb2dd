"""Shared bits of the web bench scripts: machine description and JSON-line output."""

from __future__ import annotations

import json
import os
import platform


def machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} cpu, {platform.python_version()}"


def emit(name: str, value: float, unit: str, **extra: object) -> None:
    print(json.dumps({"name": name, "value": value, "unit": unit, "machine": machine(), **extra}),
          flush=True)
