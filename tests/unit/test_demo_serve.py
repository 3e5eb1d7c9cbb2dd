"""`citemed demo --serve`, the README's main command: build, answer, serve, print the page URL."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from citemed.demo import SAMPLE_QUESTION, answer_page_url
from citemed.web.server import free_port

DEMO_DATA = Path(__file__).parents[1] / "fixtures" / "demo_data"
SRC = Path(__file__).parents[2] / "src"


def read_lines(process: subprocess.Popen) -> queue.Queue[str]:
    """stdout lines, fed to a queue by a reader thread (a hung demo fails on a timeout)."""
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout],
                     daemon=True).start()
    return lines


def wait_for_line(lines: queue.Queue[str], prefix: str, timeout: float,
                  seen: list[str] | None = None) -> str:
    """The rest of the next stdout line starting with `prefix` (lines passed go to `seen`)."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if seen is not None:
            seen.append(line)
        if line.startswith(prefix):
            return line[len(prefix):].strip()
    raise AssertionError(f"`citemed demo --serve` printed no line starting {prefix!r}")


def fetch_when_up(url: str, timeout: float) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url, timeout=10)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_demo_serve_prints_the_answer_page_url_and_serves_it(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    # uvicorn's log goes to a file: an unread pipe would fill up and stall the server.
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "citemed.cli", "demo", "--serve", "--data", str(DEMO_DATA),
             "--library", str(tmp_path / "lib"), "--port", str(port)],
            env=env, stdout=subprocess.PIPE, stderr=log, text=True,
        )
        try:
            lines = read_lines(process)
            url = wait_for_line(lines, "Open the answer page: ", timeout=120)
            assert url == answer_page_url("127.0.0.1", port, SAMPLE_QUESTION)
            response = fetch_when_up(url, timeout=60)
            # The dense index is built in the background, with plain progress lines on a pipe.
            progress: list[str] = []
            ready = wait_for_line(lines, "dense index ready: ", timeout=600, seen=progress)
            assert ready.startswith("3 documents")
            assert any(line.startswith("dense: embedding document heads: 3 / 3 (100%)")
                       for line in progress), progress
        finally:
            process.terminate()
            process.wait(timeout=15)
            log.seek(0)
            server_log = log.read()
    assert response.status_code == 200, server_log[-2000:]
    page = response.text
    assert f"<h1>{SAMPLE_QUESTION}</h1>" in page
    # The cited answer comes from the fixture's PubMedQA record, only one of the demo's sets.
    assert "mainly joint pain" in page
    assert "PMID 90000001" in page or "pubmed.ncbi.nlm.nih.gov/90000001" in page
    # The fixture folder holds two PubMedQA records and one MedQuAD page, nothing else.
    manifest = json.loads((tmp_path / "lib" / "manifest.json").read_text())
    assert manifest["documents"] == 3


def test_answer_page_url_is_openable_for_wildcard_binds() -> None:
    assert answer_page_url("0.0.0.0", 8000, "a b?") == "http://127.0.0.1:8000/ask?q=a+b%3F"
    assert answer_page_url("::", 9000, "x").startswith("http://[::1]:9000/ask?q=x")
