"""Background index builds: embedding a library's heads takes minutes on 2 cores, so a server
answers with BM25 while a separate, lower-priority process builds the dense index.

    python -m citemed.library.builder --library DIR     (started by `citemed demo --serve`)

The builder prints plain progress lines (the terminal need not be a TTY), keeps
`index/status.json` current for the answer page, and writes the manifest when done; a running
server reopens the library when the manifest changes (Engine.follow_library), which swaps the
dense index in.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from citemed.settings import Settings

STATUS = "status.json"
# A progress line at most this often (and at the end): readable in a log, alive on a terminal.
LINE_SECONDS = 10.0


def read_status(folder: Path) -> dict:
    """The last status the builder wrote ({} when none): {"dense": {"state": ..., "done": n,
    "total": n, "per_second": r, "eta_seconds": s}}."""
    try:
        return json.loads((Path(folder) / "index" / STATUS).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def building_notice(folder: Path) -> str | None:
    """One sentence for the page while a dense build runs, else None."""
    dense = read_status(folder).get("dense", {})
    if dense.get("state") != "building":
        return None
    done, total = dense.get("done", 0), dense.get("total") or 0
    share = f" {100 * done // total}% done" if total else ""
    eta = dense.get("eta_seconds")
    left = f", about {max(1, round(eta / 60))} min left" if eta else ""
    return (f"Semantic search is still being prepared ({share.strip() or 'starting'}{left}); "
            "until then answers come from keyword search only.")


class StatusWriter:
    """A progress factory (as Library.refresh_dense takes) that prints plain lines and keeps
    status.json current."""

    def __init__(self, folder: Path, echo: Callable[[str], None] | None = None) -> None:
        self.path = Path(folder) / "index" / STATUS
        self.echo = echo or (lambda line: print(line, flush=True))
        self.label, self.done = "", 0
        self.total: int | None = None
        self.started = self.last_line = 0.0

    def write(self, state: str, **extra: object) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed if self.done else None
        eta = (self.total - self.done) / rate if rate and self.total else None
        status = {"dense": {"state": state, "step": self.label, "done": self.done,
                            "total": self.total, "per_second": rate and round(rate, 1),
                            "eta_seconds": eta and round(eta), "updated": time.time(), **extra}}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(status))
        os.replace(tmp, self.path)

    def __call__(self, label: str, total: int | None) -> Callable[[int], None]:
        self.label, self.total, self.done = label, total, 0
        self.started = self.last_line = time.monotonic()
        self.echo(f"{label}: 0 / {total:,}" if total else f"{label} ...")
        self.write("building")

        def tick(count: int) -> None:
            self.done += count
            self.write("building")
            now = time.monotonic()
            if now - self.last_line >= LINE_SECONDS or (self.total and self.done >= self.total):
                self.last_line = now
                self.echo(self.line())

        return tick

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed
        text = f"{self.label}: {self.done:,}"
        if self.total:
            text += f" / {self.total:,} ({100 * self.done // self.total}%)"
        text += f", {rate:.0f}/s"
        if self.total and rate > 0 and self.done < self.total:
            text += f", about {max(1, round((self.total - self.done) / rate / 60))} min left"
        return text


def build_dense(settings: Settings, echo: Callable[[str], None] | None = None) -> None:
    """Bring the dense index up to date and write the manifest (the server's cue)."""
    from citemed.library import Library

    status = StatusWriter(settings.library, echo)
    library = Library(settings)
    try:
        started = time.monotonic()
        status.write("building")
        index = library.refresh_dense(progress=status)
        library.write_manifest()
        status.write("ready", seconds=round(time.monotonic() - started, 1))
        status.echo(f"dense index ready: {index.live if index else 0:,} documents; "
                    "answers now use keyword and semantic search")
    except BaseException as exc:
        status.write("failed", error=str(exc))
        raise
    finally:
        library.close()


def start_background_build(library: Path, device: str = "auto") -> subprocess.Popen:
    """The builder as a child process (its output goes to ours), at a lower CPU priority so the
    server's answers come first."""
    return subprocess.Popen([sys.executable, "-m", "citemed.library.builder",
                             "--library", str(library), "--device", device])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=Path, required=True)
    parser.add_argument("--nice", type=int, default=10, help="CPU priority increment")
    parser.add_argument("--device", help="embedding device (Settings.embed_device)")
    args = parser.parse_args(argv)
    if args.nice and hasattr(os, "nice"):
        os.nice(args.nice)
    extra = {"embed_device": args.device} if args.device else {}
    build_dense(Settings(library=args.library, **extra))


if __name__ == "__main__":
    main()
