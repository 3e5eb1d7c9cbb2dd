"""Making a library folder read-only the way an operator would (`chmod -R a-w`), and proving
that nothing wrote into it. Tests may run as root, whom file modes do not stop, so the proof is
a snapshot of every path's size, mtime and SHA-256, compared before and after."""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

Snapshot = dict[str, tuple[int, int, str]]


def snapshot(folder: Path) -> Snapshot:
    """Every path under `folder` -> (size, mtime in ns, SHA-256); folders too (a file created
    and removed again still changes its folder's mtime)."""
    found: Snapshot = {".": (0, folder.stat().st_mtime_ns, "folder")}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "folder"
        found[str(path.relative_to(folder))] = (info.st_size if path.is_file() else 0,
                                                info.st_mtime_ns, digest)
    return found


def set_writable(folder: Path, writable: bool) -> None:
    """`chmod -R a-w` (or `u+w` back, so that pytest can remove the temporary folder)."""
    for path in [folder, *folder.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        path.chmod(mode | stat.S_IWUSR if writable else mode & ~0o222)


@contextmanager
def read_only(folder: Path) -> Iterator[Snapshot]:
    """`folder` made read-only for the block; yields its snapshot from before."""
    set_writable(folder, False)
    try:
        yield snapshot(folder)
    finally:
        set_writable(folder, True)
