"""Dense embeddings index (owned by the hybrid-retrieval work; see issue 6)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from citemed.library import Library


def refresh_dense_index(library: Library, *, force: bool = False) -> None:
    """Build or refresh the dense index when enabled; lexical-only libraries skip it."""
    if not library.settings.dense:
        return
    raise NotImplementedError("dense retrieval is not built yet")
