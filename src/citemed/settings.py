"""One settings object for the whole engine (env prefix CITEMED_), passed down explicitly."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_library_dir() -> Path:
    """Per-user default: $XDG_DATA_HOME/citemed/library (~/.local/share/citemed/library)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "citemed" / "library"


def default_vector_cache() -> Path:
    """$XDG_CACHE_HOME/citemed/vectors.sqlite (~/.cache/citemed/vectors.sqlite)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "citemed" / "vectors.sqlite"


def default_data_dir() -> Path:
    """The shared open corpora live beside the checkout: ../shared/data."""
    return Path("../shared/data")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITEMED_", extra="ignore")

    library: Path = Field(default_factory=default_library_dir)
    data: Path = Field(default_factory=default_data_dir)

    # Retrieval
    search_k: int = 10
    sentences_per_hit: int = 3
    dense: bool = True
    # Head vectors by text, shared by libraries (None: no cache); see citemed.library.embed.
    dense_cache: Path | None = Field(default_factory=default_vector_cache)
    dense_ann_min_documents: int = Field(
        50_000, description="From this many documents the dense index also keeps an HNSW graph "
        "(usearch) and searches it approximately; below, every document head is scored exactly "
        "(a few milliseconds). 0 = always approximate.")
    kind_prior: bool = True
    recency_prior: bool = True
    audience_prior: bool = True

    # Composition
    max_references: int = 8
    max_bullets_per_section: int = 4
    min_relevance: float = 0.0

    # Ingest
    batch_size: int = 500
    max_field_chars: int = 200_000

    # Optional LLM, only through an OpenAI-compatible endpoint; off unless configured.
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout_seconds: float = 30.0

    # Web / articles
    # How often a running server looks for a new ingest (one stat() of manifest.json).
    library_check_seconds: float = 2.0
    database: str | None = None  # SQLAlchemy URL; default is a SQLite file in the library folder
    secret_key: str | None = None
    # Secure flag on login cookies: None = set it whenever the request arrived over https.
    cookie_secure: bool | None = None

    def database_url(self) -> str:
        if self.database:
            return self.database
        return f"sqlite:///{(self.library / 'articles.sqlite').resolve()}"
