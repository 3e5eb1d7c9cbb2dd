"""Verdicts for yes/no questions from the stance of the evidence towards the question.

Each relevant document's finding sentences are read by a small multinomial logistic model
(yes / no / maybe) over cue features (negation, hedging, significance, p-values) and selected
word n-grams. The weights in `stance_weights.json` were learned only from training splits
(PubMedQA's 500 train_dev questions and SciFact train) by `citemed eval train-verdict`.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from citemed.compose.question import QuestionAnalysis
from citemed.model import EvidenceSummary, Verdict
from citemed.text import raw_tokens

WEIGHTS_FILE = Path(__file__).with_name("stance_weights.json")
CLASSES = ("yes", "no", "maybe")

_CUES: dict[str, re.Pattern[str]] = {
    "negated_finding": re.compile(r"\b(no (?:significant|statistically significant|difference|"
                                  r"association|evidence|effect|benefit|relationship|correlation|"
                                  r"change|improvement)|not (?:significant|significantly|"
                                  r"associated|related|correlated|different|predictive|"
                                  r"effective|improve|reduce|increase)|did not|does not|do not|"
                                  r"was not|were not|failed to|neither|nor|unrelated|"
                                  r"independent of|similar (?:in|between|to)|comparable)", re.I),
    "hedge": re.compile(r"\b(may|might|could|possibly|potential(?:ly)?|suggest|unclear|"
                        r"uncertain|controversial|inconclusive|further|warrant|larger|"
                        r"trend|tended|limited|preliminary|need(?:s|ed)? to be)\b", re.I),
    "positive_finding": re.compile(r"\b(significant(?:ly)? (?:higher|lower|increased|decreased|"
                                   r"reduced|improved|associated|better|greater|more|less)|"
                                   r"associated with|independent(?:ly)? (?:predict|associated|"
                                   r"risk)|effective|improved|reduced|increased|predict(?:s|ed|or)|"
                                   r"correlated with|superior|beneficial)\b", re.I),
    "recommend": re.compile(r"\b(recommend|should be (?:considered|offered|used)|is "
                            r"(?:safe|feasible|useful|effective))\b", re.I),
    "question_negation": re.compile(r"\b(not|no|without|never)\b", re.I),
}
_P_VALUE = re.compile(r"\bp\s*(<|<=|=|>|>=|\u2264|\u2265)\s*(0?\.\d+)", re.I)


def _p_value_features(text: str) -> tuple[float, float]:
    """Counts of significant and non-significant reported p-values."""
    sig = nonsig = 0
    for op, value in _P_VALUE.findall(text):
        p = float(value)
        if op in ("<", "<=", "\u2264") and p <= 0.05 or op == "=" and p < 0.05:
            sig += 1
        elif op in (">", ">=", "\u2265") or p >= 0.05:
            nonsig += 1
    return float(sig), float(nonsig)


def stance_features(question: str, evidence: list[str]) -> dict[str, float]:
    """Feature vector (sparse dict) for one document's finding sentences vs the question."""
    text = " ".join(evidence)
    feats: dict[str, float] = {"bias_evidence": 1.0 if evidence else 0.0}
    n = max(1, len(evidence))
    for name, pattern in _CUES.items():
        source = question if name == "question_negation" else text
        count = len(pattern.findall(source))
        feats[f"cue:{name}"] = math.log1p(count) if name == "question_negation" else count / n
    sig, nonsig = _p_value_features(text)
    feats["cue:p_significant"] = sig / n
    feats["cue:p_nonsignificant"] = nonsig / n
    q_tokens = set(raw_tokens(question))
    e_tokens = raw_tokens(text)
    feats["cue:claim_overlap"] = (len(q_tokens & set(e_tokens)) / len(q_tokens)) if q_tokens else 0
    for gram in _ngrams(e_tokens):
        feats[f"w:{gram}"] = 1.0
    return feats


def _ngrams(tokens: list[str]) -> set[str]:
    grams = set(tokens)
    grams.update(f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))
    return grams


@dataclass(frozen=True)
class StanceModel:
    weights: dict[str, tuple[float, float, float]]
    bias: tuple[float, float, float]
    # Scale per cue feature, so learned weights apply to standardised values.
    scale: dict[str, float]
    # Below this pooled probability for its best class, a verdict is "uncertain" rather than
    # yes or no; chosen by cross-validation on the training data with the weights.
    min_confidence: float = 0.45

    def proba(self, feats: dict[str, float]) -> dict[str, float]:
        logits = list(self.bias)
        for name, value in feats.items():
            w = self.weights.get(name)
            if w is None:
                continue
            v = value / self.scale.get(name, 1.0)
            for i in range(3):
                logits[i] += w[i] * v
        top = max(logits)
        exps = [math.exp(x - top) for x in logits]
        total = sum(exps)
        return {c: e / total for c, e in zip(CLASSES, exps, strict=True)}


@lru_cache(maxsize=2)
def load_model(path: Path = WEIGHTS_FILE) -> StanceModel:
    data = json.loads(path.read_text(encoding="utf-8"))
    return StanceModel(
        weights={k: tuple(v) for k, v in data["weights"].items()},  # type: ignore[misc]
        bias=tuple(data["bias"]),  # type: ignore[arg-type]
        scale=data.get("scale", {}),
        min_confidence=float(data.get("min_confidence", 0.45)),
    )


# Evidence that explicitly advises against, or finds no worthwhile benefit. A learned "yes"
# never stands on it: a wrong "yes" to "should I use X?" can harm, a withheld one cannot.
_CONTRARY = re.compile(
    r"\b(recommends? against|recommended against|(?:is|are) not recommended|should not be|"
    r"must not be|do not (?:use|offer|prescribe|start|initiate)|falls? short of|"
    r"insufficient evidence to recommend|no (?:clinically )?(?:important|meaningful|worthwhile) "
    r"(?:benefit|effect|improvement|difference))", re.I)
CONTRARY_NOTICE = ("Part of the cited evidence advises against this or finds no worthwhile "
                   "benefit, so no \"yes\" is given: read the sources below.")


@dataclass(frozen=True)
class DocumentStance:
    document_id: str
    weight: float  # relevance x evidence kind: how much this document counts
    proba: dict[str, float]
    contrary: bool = False

    @property
    def stance(self) -> str:
        return max(self.proba, key=self.proba.get)  # type: ignore[arg-type]


# The best document leads: it counts this many times a document of equal weight.
LEAD_FACTOR = 2.0


def document_stance(analysis: QuestionAnalysis, document_id: str, weight: float,
                    evidence: list[str]) -> DocumentStance:
    return DocumentStance(document_id, weight,
                          load_model().proba(stance_features(analysis.text, evidence)),
                          contrary=any(_CONTRARY.search(text) for text in evidence))


def decide(stances: list[DocumentStance]) -> tuple[Verdict, EvidenceSummary, dict[str, float]]:
    """Verdict, per-document counts and pooled class probabilities (stances best-first)."""
    if not stances:
        return "insufficient", EvidenceSummary(), {}
    pooled = dict.fromkeys(CLASSES, 0.0)
    total = 0.0
    for position, s in enumerate(stances):
        w = s.weight * (LEAD_FACTOR if position == 0 else 1.0)
        total += w
        for c in CLASSES:
            pooled[c] += w * s.proba[c]
    pooled = {c: v / total for c, v in pooled.items()}
    summary = EvidenceSummary(
        supporting=sum(1 for s in stances if s.stance == "yes"),
        opposing=sum(1 for s in stances if s.stance == "no"),
        neutral=sum(1 for s in stances if s.stance == "maybe"),
    )
    best = max(pooled, key=pooled.get)  # type: ignore[arg-type]
    verdict: Verdict
    if best == "maybe" or pooled[best] < load_model().min_confidence:
        verdict = "uncertain"
    elif best == "yes":
        verdict = "uncertain" if any(s.contrary for s in stances) else "yes"
    else:
        verdict = "no"
    return verdict, summary, {c: round(v, 4) for c, v in pooled.items()}
