"""One settings object for the whole engine (env prefix CITEMED_), passed down explicitly."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict

from citemed.errors import LibraryError
from citemed.model import FocusAbstains, VerdictConcepts


def default_library_dir() -> Path:
    """$XDG_DATA_HOME/citemed/library (~/.local/share/citemed/library)"""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "citemed" / "library"


def default_vector_cache() -> Path:
    """$XDG_CACHE_HOME/citemed/vectors.sqlite (~/.cache/citemed/vectors.sqlite)"""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "citemed" / "vectors.sqlite"


def default_state_dir() -> Path:
    """$XDG_STATE_HOME/citemed (~/.local/state/citemed)"""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "citemed"


def folder_is_read_only(folder: Path) -> bool:
    """True when `folder` is on a read-only mount, has no write permission bit at all (`chmod
    a-w`: the mode bits say so even to root, whose writes the kernel would let through) or this
    process may not write it. A folder that does not exist yet is not read-only."""
    try:
        mode = os.stat(folder).st_mode
        mounted_read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except FileNotFoundError:
        return False
    return mounted_read_only or not mode & 0o222 or not os.access(folder, os.W_OK)


def default_data_dir() -> Path:
    """../shared/data (the shared open corpora live beside the checkout)"""
    return Path("../shared/data")


ENV_PREFIX = "CITEMED_"


class Settings(BaseSettings):
    """Every field is read from the environment as CITEMED_<NAME> (e.g. CITEMED_SEARCH_K=20).

    Each field carries a description: `citemed settings --markdown` renders them into
    docs/settings.md, and tests/unit/test_settings.py fails on a field without one.
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    library: Path = Field(
        default_factory=default_library_dir,
        description="The library folder (evidence store, indexes, manifest); `--library` "
                    "overrides it.")
    library_read_only: bool | None = Field(
        None, description="Serve the library folder without writing anything into it (replica "
                          "servers over one shared folder, docs/replicas.md): its SQLite files "
                          "are opened immutable, no cache is written there. Unset = read-only "
                          "when the folder is: a read-only mount, no write permission bits "
                          "(`chmod -R a-w`) or not writable by this user.")
    threads: Path | None = Field(
        None, description="SQLite file of conversation threads (follow-up questions); per "
                          "server. Unset = threads.sqlite in the library folder, or "
                          "$XDG_STATE_HOME/citemed/threads.sqlite when the library is read-only.")
    data: Path = Field(
        default_factory=default_data_dir,
        description="The shared open corpora that `citemed demo` and `citemed eval` read.")

    # Retrieval
    search_k: int = Field(10, description="Documents a search returns and an answer considers.")
    sentences_per_hit: int = Field(
        3, description="Best-matching sentences shown under each search hit.")
    dense: bool = Field(
        True, description="Build and use the MiniLM dense index beside BM25; 0 = BM25 only.")
    dense_cache: Path | None = Field(
        default_factory=default_vector_cache,
        description="SQLite cache of head vectors keyed by their text, shared by libraries so "
                    "the same text is never embedded twice (None, from code, = no cache).")
    embed_device: str = Field(
        "auto", pattern=r"^(auto|cpu|cuda(:[0-9]+)?)$", description="Where MiniLM embeds heads "
        "and questions: auto (a CUDA GPU when torch sees one, else the CPU), cpu, cuda or "
        "cuda:N. cuda without a GPU is an error. `--device` on ingest and demo.")
    dense_ann_min_documents: int = Field(
        50_000, description="From this many documents the dense index also keeps an HNSW graph "
        "(usearch) and searches it approximately; below, every document head is scored exactly "
        "(a few milliseconds). 0 = always approximate.")
    dense_graph_resident_mib: int = Field(
        768, ge=0, description="Memory (MiB) a serving process lets the dense graph's mapped pages "
        "take, measured as resident growth since they were last dropped; past it a search drops "
        "them (they stay in the shared page cache, so later searches re-map them cheaply). The "
        "int8 graph of 1M documents is ~560 MiB. 0 = never drop them.")
    dense_weight: float = Field(
        0.75, ge=0.0, description="Weight of the dense cosine added to the BM25 score (normalised "
        "by the query's best match); 0.6-0.9 score alike on SciFact and PubMedQA train "
        "(docs/notes/issue-6.md). 0 = rank by BM25 alone.")
    prior_candidates: int = Field(
        100, ge=1, description="Best-matching documents the priors (kind, recency, audience) may "
        "reorder; a document ranked below them is never lifted into the results.")
    kind_prior: bool = Field(
        True, description="Rank by evidence kind too (guidelines and reviews above case reports).")
    recency_prior: bool = Field(True, description="Prefer recent documents slightly.")
    audience_prior: bool = Field(
        True, description="For patient questions, prefer consumer-health pages slightly.")

    # Composition
    reader: Path | None = Field(
        default=None,
        description="Folder of evidence-reader weights (reader.safetensors, reader.json) that "
        "decide relevance and stance; default: the weights shipped in citemed/readers/weights.")
    evidence_reader: Path | None = Field(
        default=None,
        description="Folder of the evidence-set reader's weights, which reads a yes/no "
        "question with all its cited passages at once for the verdict; default: the weights "
        "shipped in citemed/readers/evidence_weights.")
    evidence_verdict: bool = Field(
        True, description="Let the evidence-set reader join the yes/no verdict (when its "
        "weights are installed); off = the verdict is pooled from single-sentence readings.")
    evidence_answers: float = Field(
        0.0, ge=0.0, le=1.0, description="Least the evidence-set reader must find that the "
        "cited passages, read together, answer the question (0-1); below it the page says the "
        "library holds no direct evidence. 0 = off.")
    focus_abstains: FocusAbstains = Field(
        "closed", description="Which questions get a 'no direct evidence' page when no quoted "
        "passage names their most specific concept (the rarest in the library, e.g. 'stiff' in "
        "'fever and a stiff neck') or, under the subject rule, a key concept of a yes/no "
        "question's subject: 'off', 'closed' (yes/no and advice questions; chosen on training "
        "questions by bench/relevance_threshold.py) or 'all'.")
    reader_threshold: float | None = Field(
        default=None, ge=0.0, le=1.0,
        description="Relevance a sentence needs from the evidence reader to be shown (0-1); "
        "higher abstains more often. Default: the threshold stored with the weights.")
    verdict_concepts: VerdictConcepts = Field(
        "subject", description="Which of the question's concepts the quoted passages must name "
        "before a yes/no verdict is given: 'every' main concept, the most specific one and every "
        "key concept of the question's subject ('subject': 'vaccination' in 'Is HPV vaccination "
        "effective ...?'; chosen on training questions by bench/verdict_thresholds.py), only "
        "the most specific one ('focus'), or 'none' (the reader's relevance gate alone).")
    max_references: int = Field(8, description="Most documents an answer page cites.")
    max_bullets_per_section: int = Field(4, description="Most bullets in one answer section.")
    max_bullets: int = Field(14, ge=1, description="Most bullets on one answer page, all sections "
                             "together.")
    max_key_findings: int = Field(
        4, ge=0, description="Most bullets in a yes/no answer's 'Key findings' section.")
    read_budget: int = Field(
        40, ge=1, description="Most sentences the evidence reader reads per question (about 0.3 s "
        "on 2 cores); a larger budget reads further into the retrieved documents, and is slower.")
    read_per_document: int = Field(
        8, ge=1, description="Most sentences the evidence reader reads from one document, so that "
        "a long guideline does not crowd out the abstracts.")

    # Patient view
    patient_max_sections: int = Field(5, ge=1, description="Most sections on a patient page.")
    patient_max_bullets: int = Field(
        3, ge=1, description="Most bullets per section on a patient page (the easiest to read are "
        "kept), and most sub-bullets under one bullet.")

    # Ingest
    batch_size: int = Field(500, description="Documents written to the store per transaction.")
    max_field_chars: int = Field(
        200_000, description="Longest text field a source record may have; longer is rejected.")

    # Optional LLM, only through an OpenAI-compatible endpoint; off unless configured.
    llm_base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint (e.g. http://127.0.0.1:8080/v1) that "
                          "reads yes/no verdicts; unset = the evidence reader's stance.")
    llm_model: str | None = Field(None, description="Model name sent to the LLM endpoint.")
    llm_api_key: str | None = Field(None, description="Bearer key for the LLM endpoint, if any.")
    llm_timeout_seconds: float = Field(
        30.0, description="A later LLM reply is dropped and the evidence reader's verdict stands.")

    # Web / articles
    library_check_seconds: float = Field(
        2.0, description="How often a running server looks for a new ingest (one stat() of "
                         "manifest.json).")
    database: str | None = Field(
        None, description="Articles database URL (e.g. postgresql://user@host/db); default: "
                          "articles.sqlite in the library folder.")
    cookie_secure: bool | None = Field(
        None, description="Secure flag on login cookies; unset = set it whenever the request "
                          "arrived over https.")
    max_body_bytes: int = Field(1_000_000, ge=1, description=(
        "Largest request body the web server reads (bytes); larger ones get 413."))
    api_token_days: int = Field(90, ge=1, description=(
        "Lifetime of a new API token, in days, when its creator does not choose one."))
    api_token_max_days: int = Field(365, ge=1, description=(
        "Longest lifetime (days) an API token may be given."))

    def read_only_library(self) -> bool:
        """Whether the library folder is served read-only (`library_read_only`, else detected)."""
        if self.library_read_only is not None:
            return self.library_read_only
        return folder_is_read_only(self.library)

    def database_url(self) -> str:
        if self.database:
            return self.database
        if self.read_only_library():
            raise LibraryError(
                f"the library folder {self.library} is read-only, so the articles database "
                "cannot live in it: give a database URL with --database "
                "postgresql://user@host/db (or CITEMED_DATABASE)")
        return f"sqlite:///{(self.library / 'articles.sqlite').resolve()}"

    def threads_file(self) -> Path:
        """Where this server keeps conversation threads (see the `threads` field)."""
        if self.threads is not None:
            return self.threads
        if self.read_only_library():
            return default_state_dir() / "threads.sqlite"
        return self.library / "threads.sqlite"


def _default_text(field: FieldInfo) -> str:
    if field.default_factory is not None:  # its docstring says what it resolves to
        return " ".join((field.default_factory.__doc__ or "computed").split())
    if field.default is None:
        return "unset"
    return f"`{field.default}`"


def settings_reference() -> str:
    """docs/settings.md: one row per field, generated from the fields' descriptions."""
    lines = [
        "# Settings",
        "",
        "<!-- Generated by `citemed settings --markdown > docs/settings.md`; do not edit. -->",
        "",
        f"Every setting is an environment variable with the prefix `{ENV_PREFIX}`. Booleans "
        "take 1/0 or true/false.",
        "",
        "| variable | type | default | what it does |",
        "|---|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        kind = getattr(field.annotation, "__name__", None) or str(field.annotation).replace(
            "pathlib.", "").replace(" | ", " or ")
        description = " ".join((field.description or "").split()).replace("|", "\\|")
        lines.append(f"| `{ENV_PREFIX}{name.upper()}` | {kind} | {_default_text(field)} "
                     f"| {description} |")
    return "\n".join(lines) + "\n"
