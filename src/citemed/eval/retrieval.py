"""Retrieval evaluation on public benchmarks, with a plain BM25 baseline in the same run.

Each benchmark corpus is ingested through the real readers into a temporary library, so the
figures measure the library a user would get. The baseline is what a user would otherwise pick:
`bm25s` with its English stop words and PyStemmer's English stemmer, default parameters, over the
same documents (title, then every section). Optionally every set is also run inside a whole
library (the demo library), where the other corpora act as distractors.

Relevance is matched on a document *key*: `pmid:<PMID>` when the document has a PMID, else its id,
so the same paper ingested by two readers (BioASQ and PubMedQA) counts once.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from citemed.errors import CiteMedError
from citemed.library import Library
from citemed.model import Audience, Document
from citemed.settings import Settings
from citemed.sources.base import ReadItem

K = 10


@dataclass
class Query:
    id: str
    text: str
    relevant: dict[str, int]  # document key -> graded relevance (>= 1)


@dataclass
class EvalSet:
    name: str
    description: str
    corpus: Callable[[], Iterable[ReadItem]]
    queries: list[Query]
    metrics: tuple[str, ...]
    # Who asks: LiveQA questions come from consumers, the other sets from researchers.
    audience: Audience = "clinician"


@dataclass
class SetResult:
    name: str
    where: str  # "own corpus" or "library"
    documents: int
    queries: int
    citemed: dict[str, float]
    baseline: dict[str, float]
    seconds: float
    details: dict[str, object] = field(default_factory=dict)


def document_key(doc: Document) -> str:
    return f"pmid:{doc.pmid}" if doc.pmid else doc.id


# ---------------------------------------------------------------- benchmark sets


def bioasq_set(data: Path) -> EvalSet:
    """BioASQ 7B-11B: snippets grouped by PMID as the corpus, question bodies as queries."""
    from citemed.sources.bioasq import BioASQReader

    folder = data / "bioasq"
    files = sorted(folder.rglob("*_golden.json"))
    if not files:
        raise CiteMedError(f"no BioASQ golden files under {folder}")
    corpus_pmids = {doc.pmid for doc in _documents(BioASQReader().read(folder))}
    queries: list[Query] = []
    for file in files:
        for question in json.loads(file.read_text(encoding="utf-8"))["questions"]:
            gold = {url.rstrip("/").rsplit("/", 1)[-1] for url in question.get("documents") or []}
            relevant = {f"pmid:{p}": 1 for p in sorted(gold & corpus_pmids)}
            if relevant:
                queries.append(Query(str(question["id"]), str(question["body"]), relevant))
    return EvalSet("bioasq", "BioASQ 7B-11B questions over their snippet corpus", lambda:
                   BioASQReader().read(folder), queries, ("recall@10", "map@10", "ndcg@10"))


def pubmedqa_set(data: Path, split: str = "test") -> EvalSet:
    """PubMedQA: which of the 1,000 abstracts (conclusions held out) answers each question."""
    from citemed.sources.pubmedqa import PubMedQAReader

    path = data / "pubmedqa" / "ori_pqal.json"
    records = json.loads(path.read_text(encoding="utf-8"))
    split_pmids = json.loads((data / "pubmedqa" / "pqal_split_pmids.json").read_text())[split]
    queries = [Query(p, records[p]["QUESTION"], {f"pmid:{p}": 1}) for p in split_pmids]

    def corpus() -> Iterator[ReadItem]:
        for item in PubMedQAReader(include_conclusions=False).read(path):
            if isinstance(item, Document):
                # The reader uses the question as the title (PubMedQA has none); keeping it
                # would hand every query its own answer.
                item.title = ""
            yield item

    return EvalSet(f"pubmedqa-{split}".replace("-test", ""),
                   f"PubMedQA {split} questions over the 1,000 contexts (no conclusions)",
                   corpus, queries, ("recall@1", "recall@5"))


def scifact_set(data: Path, split: str = "dev") -> EvalSet:
    """SciFact: claims with evidence over the 5,183 abstracts (title + abstract)."""
    folder = data / "scifact"
    queries = []
    for line in (folder / f"claims_{split}.jsonl").read_text(encoding="utf-8").splitlines():
        claim = json.loads(line)
        if claim.get("evidence"):
            queries.append(Query(str(claim["id"]), claim["claim"],
                                 {f"scifact:{doc_id}": 1 for doc_id in claim["evidence"]}))
    return EvalSet("scifact", f"SciFact {split} claims with evidence over the abstracts",
                   lambda: _reader("scifact").read(folder / "corpus.jsonl"), queries,
                   ("ndcg@10", "recall@10"))


def liveqa_set(data: Path) -> EvalSet:
    """LiveQA-Med 2017 consumer questions over MedQuAD; relevant = judged 3 or 4 (of 4)."""
    folder = data / "liveqa_med_trec2017"
    linked = {}
    for line in (folder / "medquad_judged_answers_2479.jsonl").read_text().splitlines():
        answer = json.loads(line)
        if answer.get("medquad_id"):
            linked[answer["answer_id"]] = f"medquad:{answer['medquad_id']}"
    relevant: dict[str, dict[str, int]] = {}
    for line in (folder / "medquad_judged_answers_qrels_2479.txt").read_text().splitlines():
        number, judgment, answer_id = line.split()
        grade = int(judgment.split("-", 1)[0])
        if grade >= 3 and answer_id in linked:
            relevant.setdefault(f"TQ{number}", {})[linked[answer_id]] = grade - 2
    queries = []
    for line in (folder / "liveqa_med_test.jsonl").read_text(encoding="utf-8").splitlines():
        question = json.loads(line)
        if question["qid"] in relevant:
            text = " ".join(filter(None, [question.get("subject"), question.get("message")]))
            queries.append(Query(question["qid"], text, relevant[question["qid"]]))
    return EvalSet("liveqa", "LiveQA-Med 2017 questions over MedQuAD (judged 3-4 relevant)",
                   lambda: _reader("medquad").read(data / "medquad" / "medquad_answered.jsonl"),
                   queries, ("p@1", "p@5", "ndcg@10"), audience="patient")


def _reader(name: str):
    from citemed.sources import reader_for

    return reader_for(Path("."), name)


def _has_reader(name: str) -> bool:
    from citemed.sources import all_readers

    return any(reader.name == name for reader in all_readers())


def available_sets(data: Path) -> dict[str, Callable[[], EvalSet]]:
    """Every set whose data and reader are present (SciFact and MedQuAD need their readers)."""
    sets: dict[str, Callable[[], EvalSet]] = {
        "bioasq": lambda: bioasq_set(data),
        "pubmedqa": lambda: pubmedqa_set(data),
    }
    if _has_reader("scifact") and (data / "scifact").exists():
        sets["scifact"] = lambda: scifact_set(data)
    if _has_reader("medquad") and (data / "liveqa_med_trec2017").exists():
        sets["liveqa"] = lambda: liveqa_set(data)
    return sets


def _documents(items: Iterable[ReadItem]) -> Iterator[Document]:
    return (item for item in items if isinstance(item, Document))


# ---------------------------------------------------------------- metrics


def metric(name: str, ranked: list[str], relevant: dict[str, int]) -> float:
    """recall@k, map@k, ndcg@k, p@k (relevant = grade >= 1) for one ranked key list."""
    kind, _, cutoff = name.partition("@")
    k = int(cutoff)
    top = ranked[:k]
    if kind == "recall":
        return sum(1 for key in top if key in relevant) / len(relevant)
    if kind == "p":
        return sum(1 for key in top if key in relevant) / k
    if kind == "map":
        found, total = 0, 0.0
        for rank, key in enumerate(top, start=1):
            if key in relevant:
                found += 1
                total += found / rank
        return total / min(len(relevant), k)
    if kind == "ndcg":
        dcg = sum((2 ** relevant.get(key, 0) - 1) / math.log2(rank + 1)
                  for rank, key in enumerate(top, start=1))
        ideal = sorted(relevant.values(), reverse=True)[:k]
        idcg = sum((2 ** g - 1) / math.log2(rank + 1) for rank, g in enumerate(ideal, start=1))
        return dcg / idcg if idcg else 0.0
    raise ValueError(f"unknown metric {name!r}")


def mean_metrics(names: tuple[str, ...], runs: list[list[str]], queries: list[Query]
                 ) -> dict[str, float]:
    return {name: round(sum(metric(name, run, q.relevant) for run, q in zip(runs, queries,
                                                                             strict=True))
                        / max(len(queries), 1), 4)
            for name in names}


def _dedupe(keys: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(keys))  # first occurrence of each, in order


# ---------------------------------------------------------------- runners


def citemed_runs(library: Library, queries: list[Query], depth: int = K,
                 audience: Audience = "clinician") -> list[list[str]]:
    from citemed.retrieve import search

    runs = []
    for query in queries:
        hits = search(library, query.text, k=depth, audience=audience, sentences_per_hit=1)
        runs.append(_dedupe(document_key(hit.document) for hit in hits))
    return runs


def baseline_runs(documents: list[Document], queries: list[Query], depth: int = K
                  ) -> list[list[str]]:
    """bm25s, English stop words, PyStemmer English, default parameters, same documents."""
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    texts = [document_text(doc) for doc in documents]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False),
                    show_progress=False)
    query_tokens = bm25s.tokenize([q.text for q in queries], stopwords="en", stemmer=stemmer,
                                  return_ids=False, show_progress=False)
    k = min(depth, len(documents))
    rows, _scores = retriever.retrieve(query_tokens, k=k, show_progress=False, n_threads=1)
    keys = [document_key(doc) for doc in documents]
    return [_dedupe(keys[i] for i in row) for row in rows.tolist()]


def document_text(doc: Document) -> str:
    return "\n".join([doc.title, *(section.text for section in doc.sections)])


def build_library(folder: Path, eval_set: EvalSet, settings: Settings) -> Library:
    library = Library(settings.model_copy(update={"library": folder}), create=True)
    library.ingest_documents(eval_set.corpus(), source_name=eval_set.name)
    library.refresh_indexes()
    return library


def run_set(eval_set: EvalSet, settings: Settings, *, limit: int | None = None,
            library: Library | None = None) -> SetResult:
    """Run one set in its own temporary corpus, or inside `library` when given."""
    queries = eval_set.queries[:limit] if limit else eval_set.queries
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"citemed-eval-{eval_set.name}-") as tmp:
        own = library is None
        lib = build_library(Path(tmp) / "library", eval_set, settings) if own else library
        assert lib is not None
        try:
            documents = list(lib.store.iter_documents())
            ours = mean_metrics(eval_set.metrics,
                                citemed_runs(lib, queries, audience=eval_set.audience), queries)
            base = mean_metrics(eval_set.metrics, baseline_runs(documents, queries), queries)
        finally:
            if own:
                lib.close()
    return SetResult(eval_set.name, "own corpus" if own else "library", len(documents),
                     len(queries), ours, base, round(time.perf_counter() - started, 1))


def run(settings: Settings, names: list[str], *, limit: int | None = None,
        library: Library | None = None, progress: Callable[[str], None] | None = None
        ) -> list[SetResult]:
    sets = available_sets(Path(settings.data))
    unknown = [n for n in names if n not in sets]
    if unknown:
        raise CiteMedError(f"unknown eval set(s) {', '.join(unknown)}; known: {', '.join(sets)}")
    results = []
    for name in names:
        eval_set = sets[name]()
        if progress:
            progress(f"{name}: {len(eval_set.queries)} queries")
        results.append(run_set(eval_set, settings, limit=limit))
        if library is not None:
            results.append(run_set(eval_set, settings, limit=limit, library=library))
    return results


# The fixed subset the regression test runs (set name -> query limit; None = all queries).
REGRESSION_SUBSET: dict[str, int | None] = {"bioasq": 200, "pubmedqa": None, "scifact": None}


def pin_expected(settings: Settings, path: Path, *, tolerance: float = 0.005) -> dict:
    """Measure the full sets and the regression subset and write them as expected scores."""
    sets = available_sets(Path(settings.data))
    parts: dict[str, dict[str, object]] = {"full": {}, "subset": {}}
    for name, make in sets.items():
        eval_set = make()
        for part, limit in [("full", None), ("subset", REGRESSION_SUBSET.get(name, -1))]:
            if limit == -1:
                continue
            result = run_set(eval_set, settings, limit=limit)
            parts[part][name] = {"limit": limit, "queries": result.queries,
                                 "citemed": result.citemed, "baseline": result.baseline}
    expected = {"tolerance": tolerance, **parts}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(expected, indent=2) + "\n")
    tmp.replace(path)
    return expected
