"""Stance-model variants, cross-validated on training splits only (issue 3, round 3).

    python bench/verdict_cv.py --data DATA [--embeddings]

Every variant is scored by the same 5-fold cross-validation on PubMedQA's 500 train_dev
questions (the folds `citemed eval train-verdict` uses) and, trained on all 500, on SciFact
train claim/rationale pairs labelled SUPPORT (yes) or CONTRADICT (no). Evaluation splits
(PubMedQA test, SciFact dev, BioASQ) are never read. `--embeddings` adds the MiniLM variant
(slow on 2 shared cores: several minutes).
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix, hstack, vstack
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from citemed.compose.verdict import stance_features
from citemed.eval.answers import macro_f1, temporary_library
from citemed.eval.train_verdict import MAX_NGRAMS, MIN_NGRAM_DOCS, _prune, gold_evidence
from citemed.model import Document
from citemed.sources.pubmedqa import PubMedQAReader
from citemed.text import split_sentences

Features = Callable[[dict], dict[str, float]]


def pubmedqa_train(data: Path) -> list[dict]:
    """Question, selected gold evidence (as compose selects it), abstract, conclusion, label."""
    split = json.loads((data / "pubmedqa" / "pqal_split_pmids.json").read_text())
    train = set(split["train_dev"])
    records = json.loads((data / "pubmedqa" / "ori_pqal.json").read_text())
    docs = [d for d in PubMedQAReader(include_conclusions=False).read(
        data / "pubmedqa" / "ori_pqal.json") if isinstance(d, Document) and d.pmid in train]
    out = []
    with tempfile.TemporaryDirectory(prefix="verdict-cv-") as tmp, \
            temporary_library(Path(tmp), docs, "pubmedqa") as engine:
        for pmid in sorted(train):
            r = records[pmid]
            evidence = gold_evidence(r["QUESTION"], engine.search(r["QUESTION"]),
                                     f"pubmedqa:{pmid}") or []
            sentences = [(label, s.text) for text, label in zip(r["CONTEXTS"], r["LABELS"],
                                                                  strict=True)
                         for s in split_sentences(text)]
            out.append({"q": r["QUESTION"], "ev": evidence, "sentences": sentences,
                        "long": r["LONG_ANSWER"], "label": r["final_decision"]})
    return out


def scifact_pairs(data: Path) -> list[dict]:
    corpus = {str(row["doc_id"]): row for row in map(json.loads, (
        data / "scifact" / "corpus.jsonl").read_text(encoding="utf-8").splitlines())}
    pairs = []
    for line in (data / "scifact" / "claims_train.jsonl").read_text().splitlines():
        claim = json.loads(line)
        for doc_id, sets in (claim.get("evidence") or {}).items():
            labels = {s["label"] for s in sets}
            if len(labels) == 1 and doc_id in corpus:
                pairs.append({"q": claim["claim"], "label": "yes" if labels == {"SUPPORT"} else "no",
                              "ev": [corpus[doc_id]["abstract"][i] for s in sets
                                     for i in s["sentences"]]})
    return pairs


# ---------------------------------------------------------------- feature variants

_CI = re.compile(r"95\s?%\s*(?:CI|confidence interval)\s*[,:=]?\s*\[?\(?\s*(-?\d+(?:\.\d+)?)\s*"
                 r"(?:-|\u2013|to|,|;)\s*(-?\d+(?:\.\d+)?)", re.I)
_UP = re.compile(r"\b(increas\w*|higher|elevat\w*|more|greater|improv\w*|enhanc\w*|promot\w*|"
                 r"activat\w*|induc\w*|up-?regulat\w*|better)\b", re.I)
_DOWN = re.compile(r"\b(decreas\w*|lower\w*|reduc\w*|less|fewer|declin\w*|inhibit\w*|"
                   r"suppress\w*|down-?regulat\w*|attenuat\w*|impair\w*|prevent\w*|worse)\b", re.I)
_NEG = re.compile(r"\b(not|no|neither|nor|without|failed to|lack of)\b", re.I)


def base(o: dict) -> dict[str, float]:
    return stance_features(o["q"], o["ev"])


def cues_only(o: dict) -> dict[str, float]:
    return {k: v for k, v in base(o).items() if not k.startswith("w:")}


def with_ci(o: dict) -> dict[str, float]:
    """Confidence intervals that include the null (1 for ratios, 0 for differences) or not."""
    f = base(o)
    null = effect = 0
    for lo, hi in _CI.findall(" ".join(o["ev"])):
        low, high = float(lo), float(hi)
        if low <= high:
            null += low < 0 < high or 0 < low <= 1 <= high
            effect += not (low < 0 < high or 0 < low <= 1 <= high)
    f["cue:ci_null"], f["cue:ci_effect"] = null, effect
    return f


def with_direction(o: dict) -> dict[str, float]:
    """Does each evidence sentence move the outcome the way the question says (up/down)?"""
    f = base(o)
    asked = np.sign(len(_UP.findall(o["q"])) - len(_DOWN.findall(o["q"])))
    agree = disagree = 0
    for s in o["ev"]:
        found = np.sign(len(_UP.findall(s)) - len(_DOWN.findall(s))) * (-1 if _NEG.search(s) else 1)
        if asked and found:
            agree += asked == found
            disagree += asked != found
    f["cue:direction_agree"], f["cue:direction_disagree"] = agree, disagree
    return f


def evidence_from(pick: Callable[[dict], list[str]]) -> Features:
    return lambda o: stance_features(o["q"], pick(o) or o["ev"])


VARIANTS: dict[str, Features] = {
    "shipped (cues + 1,500 n-grams, compose-selected evidence)": base,
    "cues only, no n-grams": cues_only,
    "+ confidence-interval cues": with_ci,
    "+ question/evidence direction agreement": with_direction,
    "evidence = last 3 abstract sentences": evidence_from(
        lambda o: [t for _, t in o.get("sentences", [])[-3:]]),
    "evidence = RESULTS-labelled sentences": evidence_from(
        lambda o: [t for label, t in o.get("sentences", []) if "RESULT" in label.upper()]),
}


# ---------------------------------------------------------------- scoring


def matrix(rows: list[dict], fitted=None):
    """Sparse matrix with cue features standardised, as train-verdict does."""
    if fitted is None:
        vec = DictVectorizer().fit(rows)
        x = vec.transform(rows).tocsc().astype(float)
        scale = {j: float(x[:, j].toarray().std()) or 1.0
                 for j, name in enumerate(vec.feature_names_) if not name.startswith("w:")}
        fitted = (vec, scale)
    vec, scale = fitted
    x = vec.transform(rows).tocsc().astype(float)
    for j, s in scale.items():
        x[:, j] = x[:, j].toarray() / s
    return x.tocsr(), fitted


def cross_validate(x, y, extra=None, extra_y=None, c: float = 0.03) -> tuple[float, float]:
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=13)
    predicted = np.empty(len(y), dtype=object)
    for train, test in folds.split(np.zeros(len(y)), y):
        fit_x, fit_y = x[train], y[train]
        if extra is not None:
            keep = [i for i, owner in enumerate(extra[1]) if owner is None or owner in set(train)]
            fit_x, fit_y = vstack([fit_x, extra[0][keep]]), np.concatenate([fit_y, extra_y[keep]])
        predicted[test] = LogisticRegression(C=c, max_iter=3000).fit(fit_x, fit_y).predict(x[test])
    return float((predicted == y).mean()), macro_f1(list(y), list(predicted))


def scifact_transfer(features: Features, pq: list[dict], pairs: list[dict], c: float = 0.03
                     ) -> float:
    rows = _prune([features(o) for o in pq], MAX_NGRAMS, MIN_NGRAM_DOCS)
    x, fitted = matrix(rows)
    model = LogisticRegression(C=c, max_iter=3000).fit(x, [o["label"] for o in pq])
    xs, _ = matrix([features(p) for p in pairs], fitted)
    return float((model.predict(xs) == np.array([p["label"] for p in pairs])).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--embeddings", action="store_true")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    pq = pubmedqa_train(args.data)
    pairs = scifact_pairs(args.data)
    y = np.array([o["label"] for o in pq])
    majority = max(np.mean(y == c) for c in set(y))
    sf_majority = max(np.mean([p["label"] == c for p in pairs]) for c in ("yes", "no"))
    print(f"PubMedQA train_dev n={len(y)} majority {majority:.3f}; "
          f"SciFact train pairs n={len(pairs)} majority {sf_majority:.3f}")

    def report(name: str, acc: float, f1: float, transfer: float | None = None) -> None:
        tail = f", SciFact train pairs {transfer:.3f}" if transfer is not None else ""
        print(f"{name}: CV accuracy {acc:.3f}, macro-F1 {f1:.3f}{tail}", flush=True)

    for name, features in VARIANTS.items():
        x, _ = matrix(_prune([features(o) for o in pq], MAX_NGRAMS, MIN_NGRAM_DOCS))
        report(name, *cross_validate(x, y), scifact_transfer(features, pq, pairs))

    # Extra training rows: a held-out question's rows never train its own fold.
    base_rows = [base(o) for o in pq]
    for name, extra_rows, extra_y, owners in [
        ("+ train_dev conclusions as extra rows", [stance_features(o["q"], [o["long"]])
                                                   for o in pq], y, list(range(len(pq)))),
        ("+ SciFact train pairs as extra rows", [base(p) for p in pairs],
         np.array([p["label"] for p in pairs]), [None] * len(pairs)),
    ]:
        x, _ = matrix(_prune(base_rows + extra_rows, MAX_NGRAMS, MIN_NGRAM_DOCS))
        report(name, *cross_validate(x[:len(pq)], y, (x[len(pq):], owners), extra_y))

    if args.embeddings:
        from citemed.library.embed import encoder

        enc = encoder()
        q = enc.encode([o["q"] for o in pq], max_tokens=128)
        e = np.stack([enc.encode(o["ev"], max_tokens=128).mean(0) if o["ev"]
                      else np.zeros(384, dtype=np.float32) for o in pq])
        e /= np.linalg.norm(e, axis=1, keepdims=True) + 1e-9
        dense = csr_matrix(np.hstack([e, q * e]))
        x, _ = matrix(_prune(base_rows, MAX_NGRAMS, MIN_NGRAM_DOCS))
        report("MiniLM evidence and question*evidence embeddings alone", *cross_validate(dense, y))
        report("shipped + MiniLM embeddings", *cross_validate(hstack([x, dense]).tocsr(), y))


if __name__ == "__main__":
    main()
