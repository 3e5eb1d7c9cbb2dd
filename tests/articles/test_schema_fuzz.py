"""A bounded schemathesis run (every check, every phase) against a real server, anonymous and
with an editor's API token: the OpenAPI schema must describe what the server really accepts
and answers, and no input may produce a 5xx. Bounded by examples per operation and a fixed
seed, so a CI run is repeatable and takes about a minute."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.articles.live import Live, live_server

EXAMPLES = 5  # per operation and phase; the coverage phase adds its boundary cases
CONFIG = Path(__file__).with_name("schemathesis.toml")  # one documented exception, see there


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[Live]:
    with live_server("sqlite", tmp_path_factory.mktemp("fuzz")) as server:
        yield server


def schemathesis(live: Live, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run",
         f"{live.base}/api/v1/openapi.json",
         "--checks", "all", "--max-examples", str(EXAMPLES), "--seed", "1",
         "--generation-database", "none", "--no-color", "--workers", "1",
         "--request-timeout", "60", *options],
        capture_output=True, text=True, timeout=600)


@pytest.mark.slow
@pytest.mark.parametrize("who", [None, "edna"])
def test_schemathesis_finds_nothing(live, who):
    options = ["-H", f"Authorization: Bearer {live.tokens[who]}"] if who else []
    run = schemathesis(live, *options)
    assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-3000:]
    assert "Tested: 17" in run.stdout, run.stdout[-3000:]
