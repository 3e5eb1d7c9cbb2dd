"""The embedding device: auto, cpu and cuda resolve as documented, and a bad value is refused
with the setting's name (no silent CPU run when a GPU was asked for)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from citemed.errors import LibraryError
from citemed.library.embed import resolve_device
from citemed.settings import Settings


class FakeTorch:
    """Only what resolve_device reads: whether CUDA is there, and the version for the error."""

    __version__ = "2.x+cpu"

    def __init__(self, has_cuda: bool) -> None:
        self.cuda = type("cuda", (), {"is_available": staticmethod(lambda: has_cuda)})


@pytest.mark.parametrize(("requested", "has_cuda", "expected"), [
    ("auto", False, "cpu"),
    ("auto", True, "cuda"),
    ("cpu", True, "cpu"),
    ("cuda", True, "cuda"),
    ("cuda:1", True, "cuda:1"),
])
def test_devices_resolve(requested, has_cuda, expected):
    assert resolve_device(FakeTorch(has_cuda), requested) == expected


def test_cuda_without_a_gpu_is_an_error_naming_the_fix():
    with pytest.raises(LibraryError, match=r"'cuda'.*no CUDA GPU.*--device cpu"):
        resolve_device(FakeTorch(False), "cuda")


def test_the_installed_torch_agrees_with_auto():
    torch = pytest.importorskip("torch")
    assert resolve_device(torch, "auto") == ("cuda" if torch.cuda.is_available() else "cpu")


def test_an_unknown_device_is_refused_by_the_settings():
    with pytest.raises(ValidationError, match="embed_device"):
        Settings(embed_device="gpu")


def test_the_cli_names_a_bad_setting_instead_of_a_traceback(tmp_path):
    run = subprocess.run([sys.executable, "-m", "citemed", "ingest", str(tmp_path),
                          "--library", str(tmp_path / "lib"), "--device", "gpu"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert "embed_device (CITEMED_EMBED_DEVICE)" in run.stderr and "Traceback" not in run.stderr
