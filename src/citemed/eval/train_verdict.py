"""Train the yes/no/maybe stance model shipped as compose/stance_weights.json.

Training data, and only this (the evaluation splits are never read):
- PubMedQA train_dev (the 500 PMIDs listed under "train_dev" in pqal_split_pmids.json): the
  question is asked of a library of those 500 abstracts, without their conclusions (the test
  setting), through the real retrieval and sentence selection; the features come from the
  gold abstract's selected finding sentences; the label is `final_decision`.
- Optionally (`--scifact`), SciFact train claims with SUPPORT (yes) or CONTRADICT (no) evidence,
  the same selection run over the cited abstract. Off by default: adding them lowered the
  cross-validated PubMedQA train_dev accuracy from 0.628 to 0.586.

The regularisation strength and the verdict threshold (`min_confidence`) are chosen by 5-fold cross-validation on this training data only.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from citemed.compose.question import analyze_question
from citemed.compose.select import Relevance, candidates, evidence_by_document
from citemed.compose.verdict import CLASSES, WEIGHTS_FILE, stance_features
from citemed.errors import CiteMedError
from citemed.model import Document, Hit, Kind
from citemed.settings import Settings
from citemed.sources.base import make_section
from citemed.sources.pubmedqa import PubMedQAReader

MAX_NGRAMS = 1500
MIN_NGRAM_DOCS = 4
MAX_DOCUMENTS = 8
# Candidate verdict thresholds, lowest first (ties keep the lower one: fewer non-answers).
MIN_CONFIDENCE_GRID = (0.0, 0.4, 0.45, 0.5, 0.55)


def gold_evidence(question: str, hits: list[Hit], gold_id: str) -> list[str] | None:
    """The gold document's finding sentences, selected exactly as compose selects them."""
    analysis = analyze_question(question)
    pool = candidates(analysis, hits[:MAX_DOCUMENTS], Relevance(analysis, hits[:MAX_DOCUMENTS]),
                      max_documents=MAX_DOCUMENTS)
    for doc_id, _, texts in evidence_by_document(pool):
        if doc_id == gold_id:
            return texts
    return None


def pubmedqa_examples(data: Path, log: Callable[[str], None]) -> list[tuple[dict, str]]:
    from citemed.eval.answers import temporary_library

    split = json.loads((data / "pubmedqa" / "pqal_split_pmids.json").read_text())
    train = set(split["train_dev"])
    records = json.loads((data / "pubmedqa" / "ori_pqal.json").read_text())
    reader = PubMedQAReader(include_conclusions=False)
    docs = [d for d in reader.read(data / "pubmedqa" / "ori_pqal.json")
            if isinstance(d, Document) and d.pmid in train]
    examples: list[tuple[dict, str]] = []
    missing = 0
    with tempfile.TemporaryDirectory(prefix="citemed-train-") as tmp:
        with temporary_library(Path(tmp), docs, "pubmedqa") as engine:
            for pmid in sorted(train):
                question = records[pmid]["QUESTION"]
                hits = engine.search(question)
                evidence = gold_evidence(question, hits, f"pubmedqa:{pmid}")
                if evidence is None:
                    missing += 1
                    evidence = []
                examples.append((stance_features(question, evidence),
                                 records[pmid]["final_decision"]))
    log(f"PubMedQA train_dev: {len(examples)} examples ({missing} without selected evidence)")
    return examples


def scifact_examples(data: Path, log: Callable[[str], None]) -> list[tuple[dict, str]]:
    folder = data / "scifact"
    corpus = {}
    for line in (folder / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        corpus[str(row["doc_id"])] = row
    examples: list[tuple[dict, str]] = []
    for line in (folder / "claims_train.jsonl").read_text(encoding="utf-8").splitlines():
        claim = json.loads(line)
        for doc_id, evidence_sets in (claim.get("evidence") or {}).items():
            labels = {e["label"] for e in evidence_sets}
            if len(labels) != 1 or str(doc_id) not in corpus:
                continue
            label = "yes" if labels == {"SUPPORT"} else "no"
            row = corpus[str(doc_id)]
            doc = Document(id=f"scifact:{doc_id}", collection="scifact", kind=Kind.OTHER,
                           title=row["title"],
                           sections=[make_section("ABSTRACT", " ".join(row["abstract"]))])
            hit = Hit(document=doc, score=1.0, rank=1)
            evidence = gold_evidence(claim["claim"], [hit], doc.id)
            if evidence is None:  # fall back to the annotated rationale sentences
                evidence = [row["abstract"][i] for e in evidence_sets for i in e["sentences"]]
            examples.append((stance_features(claim["claim"], evidence), label))
    log(f"SciFact train: {len(examples)} examples")
    return examples


def train(settings: Settings, *, output: Path = WEIGHTS_FILE, use_scifact: bool = False,
          log: Callable[[str], None] = print) -> dict[str, object]:
    """Fit, cross-validate on training data, and write the weights file; returns a report."""
    import numpy as np
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    from citemed.eval.answer_metrics import macro_f1

    data = Path(settings.data)
    if not (data / "pubmedqa" / "pqal_split_pmids.json").exists():
        raise CiteMedError(f"no PubMedQA split file under {data}/pubmedqa")
    pubmedqa = pubmedqa_examples(data, log)
    extra = scifact_examples(data, log) if use_scifact else []
    rows = [f for f, _ in pubmedqa + extra]
    labels = np.array([y for _, y in pubmedqa + extra])
    rows = _prune(rows, MAX_NGRAMS, MIN_NGRAM_DOCS)
    vec = DictVectorizer()
    x = vec.fit_transform(rows).tocsc()
    scale = {}
    for j, name in enumerate(vec.feature_names_):
        if not name.startswith("w:"):
            column = x[:, j].toarray().ravel()
            scale[name] = float(column.std()) or 1.0
            x[:, j] = column[:, None] / scale[name]
    x = x.tocsr()
    # Cross-validation scores only the PubMedQA rows (SciFact rows always stay in training).
    n_pq = len(pubmedqa)
    best: tuple[float, float, float] | None = None
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=13)
    for c in (0.03, 0.1, 0.3, 1.0):
        predictions = np.empty(n_pq, dtype=object)
        for train_idx, test_idx in folds.split(np.zeros(n_pq), labels[:n_pq]):
            fit_idx = np.concatenate([train_idx, np.arange(n_pq, len(labels))])
            model = LogisticRegression(C=c, max_iter=2000).fit(x[fit_idx], labels[fit_idx])
            predictions[test_idx] = model.predict(x[test_idx])
        accuracy = float((predictions == labels[:n_pq]).mean())
        f1 = macro_f1(list(labels[:n_pq]), list(predictions))
        log(f"C={c}: cross-validated PubMedQA train_dev accuracy {accuracy:.3f}, macro-F1 {f1:.3f}")
        if best is None or accuracy > best[1]:
            best = (c, accuracy, f1)
    assert best is not None
    min_confidence, threshold_accuracy = _choose_min_confidence(x, labels, n_pq, best[0], folds)
    log(f"min_confidence={min_confidence}: cross-validated accuracy {threshold_accuracy:.3f}")
    model = LogisticRegression(C=best[0], max_iter=2000).fit(x, labels)
    order = [list(model.classes_).index(c) for c in CLASSES]
    weights = {}
    for j, name in enumerate(vec.feature_names_):
        w = [float(model.coef_[i, j]) for i in order]
        if any(abs(v) > 1e-4 for v in w):
            weights[name] = [round(v, 5) for v in w]
    payload = {
        "classes": list(CLASSES),
        "bias": [round(float(model.intercept_[i]), 5) for i in order],
        "scale": {k: round(v, 6) for k, v in scale.items()},
        "weights": weights,
        "trained_on": {"pubmedqa_train_dev": n_pq, "scifact_train": len(extra)},
        "cross_validation": {"C": best[0], "accuracy": round(best[1], 4),
                             "macro_f1": round(best[2], 4),
                             "accuracy_at_min_confidence": round(threshold_accuracy, 4)},
        "min_confidence": min_confidence,
    }
    output.write_text(json.dumps(payload, sort_keys=True) + "\n", encoding="utf-8")
    log(f"wrote {output} ({len(weights)} weights, C={best[0]})")
    return payload


def _choose_min_confidence(x, labels, n_pq: int, c: float, folds) -> tuple[float, float]:
    """The verdict threshold (below it a verdict is "uncertain") with the best cross-validated
    PubMedQA train_dev accuracy, from out-of-fold class probabilities at regularisation `c`."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    proba = np.zeros((n_pq, len(CLASSES)))
    for train_idx, test_idx in folds.split(np.zeros(n_pq), labels[:n_pq]):
        fit_idx = np.concatenate([train_idx, np.arange(n_pq, len(labels))])
        model = LogisticRegression(C=c, max_iter=2000).fit(x[fit_idx], labels[fit_idx])
        order = [list(model.classes_).index(name) for name in CLASSES]
        proba[test_idx] = model.predict_proba(x[test_idx])[:, order]
    best = (0.0, -1.0)
    for threshold in MIN_CONFIDENCE_GRID:
        predicted = np.array(CLASSES)[proba.argmax(axis=1)]
        predicted[proba.max(axis=1) < threshold] = "maybe"
        score = float((predicted == labels[:n_pq]).mean())
        if score > best[1]:
            best = (threshold, score)
    return best


def _prune(rows: list[dict], keep: int, min_docs: int) -> list[dict]:
    """Keep cue features and the `keep` n-grams with the most documents (at least min_docs)."""
    counts: dict[str, int] = {}
    for row in rows:
        for name in row:
            if name.startswith("w:"):
                counts[name] = counts.get(name, 0) + 1
    ranked = sorted((n for n, c in counts.items() if c >= min_docs),
                    key=lambda n: (-counts[n], n))[:keep]
    allowed = set(ranked)
    return [{k: v for k, v in row.items() if not k.startswith("w:") or k in allowed}
            for row in rows]
