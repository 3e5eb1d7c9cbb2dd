"""Training pairs for the evidence reader, built from the TRAINING splits only.

Every pair is (question or claim, passage) with a relevance label (does the passage address the
question) and, where the source says so, a stance label (yes / no / neutral). Sources and what
each one teaches:

- BioASQ 1B-6B (`bioasq_train/`): gold snippets are relevant; the best BM25 snippets of OTHER
  questions are hard negatives (same entity, other question: "HPV screening" for an "HPV
  vaccination" question); yes/no questions give the stance of their snippets.
- Facet negatives (BioASQ, PubMedQA): the question with its most specific word that the gold
  passage names swapped for a word of a near-topic passage that it does not name ("Is HPV
  vaccination ..." -> "Is HPV screening ..." against a vaccination snippet): the passage no
  longer answers, so the reader learns that every concept of the question must be addressed.
- MedQuAD: a question's answer opening is relevant; the answer to another question about the same
  focus ("symptoms of X" for "treatment of X") is a hard negative.
- PubMedQA train_dev (`pqal_split_pmids.json`): the conclusion and last results paragraph carry
  the yes / no / maybe (neutral) label.
- SciFact train, HealthVer train, COVID-Fact train: rationale sentences are relevant and carry
  SUPPORT (yes) or CONTRADICT (no); other sentences of the same abstract are negatives.

Test splits (PubMedQA test, BioASQ 7B-11B, SciFact dev, HealthVer dev/test, COVID-Fact test) are
never read here. A fixed hash of each question id puts 10% of questions in a development split
used for thresholds and the model card's figures.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from citemed.errors import CiteMedError
from citemed.text import STOPWORDS, split_sentences, token_stems, tokenize

STANCES = ("yes", "no", "neutral")
DEV_SHARE = 0.1


@dataclass(frozen=True)
class Pair:
    """One training example. `stance` is None where the source says nothing about it."""

    source: str
    group: str  # the question's id: a question's pairs stay in one split
    query: str
    passage: str
    relevant: bool
    stance: str | None = None
    weight: float = 1.0

    @property
    def dev(self) -> bool:
        return is_dev(self.group)


def is_dev(group: str) -> bool:
    digest = hashlib.sha1(group.encode("utf-8")).digest()
    return digest[0] < 256 * DEV_SHARE


def passage(title: str, sentence: str) -> str:
    """What the reader sees of a candidate: the document title, then the sentence."""
    title = " ".join(title.split())
    sentence = " ".join(sentence.split())
    return f"{title} | {sentence}" if title and title != sentence else sentence


def evidence_text(items: list[tuple[str, str]]) -> str:
    """What the evidence-set reader sees: passages in order, each document's title once
    before its first sentence ("Title | s1 s2 || Other title | s3")."""
    groups: dict[str, list[str]] = {}
    for title, sentence in items:
        groups.setdefault(" ".join(title.split()), []).append(" ".join(sentence.split()))
    return " || ".join(f"{title} | {' '.join(s)}" if title else " ".join(s)
                       for title, s in groups.items())


def read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CiteMedError(f"{path}: cannot read training data ({exc})") from exc


def jsonl_rows(path: Path) -> Iterator[dict]:
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except ValueError as exc:
                        raise CiteMedError(f"{path}:{number}: not JSON ({exc})") from exc
    except OSError as exc:
        raise CiteMedError(f"{path}: cannot read training data ({exc})") from exc


class Bm25:
    """A small BM25 over passages, only to find hard negatives while building pairs."""

    def __init__(self, texts: list[str]) -> None:
        import bm25s

        self.retriever = bm25s.BM25()
        self.retriever.index([tokenize(t) or ["_"] for t in texts], show_progress=False)
        self.size = len(texts)

    def top(self, query: str, k: int) -> list[int]:
        import numpy as np

        tokens = tokenize(query) or ["_"]
        scores = self.retriever.get_scores(tokens)
        k = min(k, self.size)
        best = np.argpartition(-scores, k - 1)[:k]
        return [int(i) for i in best[np.argsort(-scores[best])] if scores[i] > 0]


_WORD = re.compile(r"[A-Za-z][A-Za-z-]{3,}")


def _stems(text: str) -> set[str]:
    return set(tokenize(text))


def _word_stem(word: str) -> str | None:
    stems = token_stems(word.lower())
    return stems[0] if stems and word.lower() not in STOPWORDS else None


def swap_concept(query: str, answered: str, near: str, idf: dict[str, float],
                 rng: random.Random) -> str | None:
    """`query` with its most specific word that `answered` names replaced by a specific word
    of `near` that neither the query nor `answered` names; None when no such pair exists."""
    answered_stems, near_stems = _stems(answered), _stems(near)
    have = _stems(query) | answered_stems
    named = [(idf.get(s, 0.0), m.start(), m.group()) for m in _WORD.finditer(query)
             if (s := _word_stem(m.group())) and s in answered_stems and s not in near_stems]
    if not named:
        return None
    _, start, word = max(named)
    # As specific as the word it replaces (so "screening", not "finally" or "years").
    floor = idf.get(_word_stem(word) or "", 0.0) * 0.8
    options = sorted({w for w in _WORD.findall(near)
                      if (s := _word_stem(w)) and s not in have and not w.endswith("ly")
                      and idf.get(s, 0.0) >= floor})
    if not options:
        return None
    swap = rng.choice(options)
    swap = swap.lower() if word[0].islower() else swap
    return query[:start] + swap + query[start + len(word):]


def idf_table(texts: list[str]) -> dict[str, float]:
    frequency: Counter[str] = Counter()
    for text in texts:
        frequency.update(_stems(text))
    return {s: math.log(len(texts) / n) for s, n in frequency.items()}


def bioasq_snippets(data: Path) -> tuple[list[dict], dict[str, str],
                                          list[tuple[int, str, str]]]:
    """BioASQ 1B-6B questions, document titles (from title snippets) and the other snippets
    as (question index, document, text)."""
    path = data / "bioasq_train" / "bioasq_train_1B-6B.json"
    questions = read_json(path)["questions"]  # type: ignore[index]
    titles: dict[str, str] = {}
    snippets: list[tuple[int, str, str]] = []
    for qi, question in enumerate(questions):
        for snip in question.get("snippets") or []:
            text = " ".join(str(snip.get("text", "")).split())
            doc = str(snip.get("document", "")).rsplit("/", 1)[-1]
            if not text:
                continue
            if snip.get("beginSection") == "title":
                titles[doc] = text
            else:
                snippets.append((qi, doc, text))
    return questions, titles, snippets


def bioasq_pairs(data: Path, rng: random.Random, *, positives: int = 3,
                 hard: int = 2) -> list[Pair]:
    questions, titles, snippets = bioasq_snippets(data)
    index = Bm25([t for _, _, t in snippets])
    idf = idf_table([t for _, _, t in snippets])
    by_question: dict[int, list[int]] = defaultdict(list)
    for i, (qi, _, _) in enumerate(snippets):
        by_question[qi].append(i)
    pairs: list[Pair] = []
    for qi, question in enumerate(questions):
        body = " ".join(str(question.get("body", "")).split())
        own = by_question.get(qi, [])
        if not body or not own:
            continue
        group = f"bioasq:{question.get('id')}"
        stance = None
        if question.get("type") == "yesno":
            answer = str(question.get("exact_answer", "")).strip().lower()
            stance = answer if answer in ("yes", "no") else None
        gold_docs = {snippets[i][1] for i in own}
        chosen = rng.sample(own, min(len(own), positives + (5 if stance == "no" else 0)))
        for i in chosen:
            _, doc, text = snippets[i]
            # "No" questions are rare (18%): more of their snippets, each counting more.
            pairs.append(Pair("bioasq", group, body, passage(titles.get(doc, ""), text), True,
                              stance, 1.5 if stance == "no" else 1.0))
        negatives = [i for i in index.top(body, 40)
                     if snippets[i][0] != qi and snippets[i][1] not in gold_docs][:hard]
        if negatives:
            _, doc, text = snippets[chosen[0]]
            swapped = swap_concept(body, text, snippets[negatives[0]][2], idf, rng)
            if swapped:
                pairs.append(Pair("bioasq-facet", group, swapped,
                                  passage(titles.get(doc, ""), text), False,
                                  "neutral" if stance else None))
        negatives.append(rng.randrange(len(snippets)))
        for i in negatives:
            if snippets[i][0] == qi:
                continue
            _, doc, text = snippets[i]
            pairs.append(Pair("bioasq", group, body, passage(titles.get(doc, ""), text), False,
                              "neutral" if stance else None, 0.5 if stance else 1.0))
    return pairs


def _opening(answer: str, sentences: int = 2) -> str:
    parts = [s.text for s in split_sentences(" ".join(answer.split()))]
    return " ".join(parts[:sentences])


def medquad_pairs(data: Path, rng: random.Random, *, questions: int = 2500) -> list[Pair]:
    rows = list(jsonl_rows(data / "medquad" / "medquad_answered.jsonl"))
    rng.shuffle(rows)
    by_focus: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_focus[str(row.get("focus", "")).lower()].append(row)
    pairs: list[Pair] = []
    for row in rows[:questions]:
        query, answer = str(row.get("question", "")), str(row.get("answer", ""))
        opening = _opening(answer)
        if not query.strip() or not opening:
            continue
        group = f"medquad:{row.get('id')}"
        title = str(row.get("focus", ""))
        pairs.append(Pair("medquad", group, query, passage(title, opening), True))
        others = [o for o in by_focus[title.lower()]
                  if o.get("question_type") != row.get("question_type")]
        if others:
            other = rng.choice(others)
            text = _opening(str(other.get("answer", "")))
            if text and text != opening:
                pairs.append(Pair("medquad", group, query, passage(title, text), False))
        stranger = rng.choice(rows)
        if str(stranger.get("focus", "")).lower() != title.lower():
            text = _opening(str(stranger.get("answer", "")))
            if text:
                pairs.append(Pair("medquad", group, query,
                                  passage(str(stranger.get("focus", "")), text), False))
    return pairs


MAYBE_LABEL = {"yes": "yes", "no": "no", "maybe": "neutral"}


def pubmedqa_pairs(data: Path, rng: random.Random) -> list[Pair]:
    folder = data / "pubmedqa"
    split = read_json(folder / "pqal_split_pmids.json")
    train = set(split["train_dev"])  # type: ignore[index]
    records = read_json(folder / "ori_pqal.json")
    assert isinstance(records, dict)
    pmids = [p for p in records if p in train]
    conclusions = [" ".join(str(records[p].get("LONG_ANSWER", "")).split()) for p in pmids]
    index, idf = Bm25(conclusions), idf_table(conclusions)
    pairs: list[Pair] = []
    for number, pmid in enumerate(pmids):
        record = records[pmid]
        query = str(record.get("QUESTION", ""))
        stance = MAYBE_LABEL.get(str(record.get("final_decision", "")))
        group = f"pubmedqa:{pmid}"
        conclusion = " ".join(str(record.get("LONG_ANSWER", "")).split())
        contexts = [" ".join(str(c).split()) for c in record.get("CONTEXTS", [])]
        if conclusion:
            pairs.append(Pair("pubmedqa", group, query, conclusion, True, stance, 1.5))
            near = [i for i in index.top(query, 3) if i != number]
            swapped = near and swap_concept(query, conclusion, conclusions[near[0]], idf, rng)
            if swapped:
                pairs.append(Pair("pubmedqa-facet", group, swapped, conclusion, False,
                                  "neutral"))
        if contexts:
            # The library's copy of a test abstract has no conclusion: the results paragraph
            # is what the reader must read the answer from.
            pairs.append(Pair("pubmedqa", group, query, contexts[-1], True, stance))
        other = records[rng.choice(pmids)]
        if other is not record and other.get("LONG_ANSWER"):
            pairs.append(Pair("pubmedqa", group, query,
                              " ".join(str(other["LONG_ANSWER"]).split()), False, "neutral", 0.5))
    return pairs


CLAIM_LABEL = {"SUPPORT": "yes", "CONTRADICT": "no"}


@dataclass(frozen=True)
class ClaimEvidence:
    """One (claim, abstract) of a SciFact-format set, with the abstract's evidence sets."""

    text: str
    group: str
    title: str
    sentences: list[str]
    sets: list[dict]


def claim_documents(folder: Path, claims_file: str, name: str, rng: random.Random,
                    claims: int | None = None) -> Iterator[ClaimEvidence]:
    """Every (claim, abstract with evidence) of `claims_file`; `claims` samples that many."""
    corpus = {str(row["doc_id"]): row for row in jsonl_rows(folder / "corpus.jsonl")}
    rows = list(jsonl_rows(folder / claims_file))
    if claims is not None and claims < len(rows):
        rows = rng.sample(rows, claims)
    for claim in rows:
        text = " ".join(str(claim.get("claim", "")).split())
        for doc_id, sets in (claim.get("evidence") or {}).items():
            doc = corpus.get(str(doc_id))
            if doc and sets:
                yield ClaimEvidence(text, f"{name}:{claim.get('id')}", str(doc.get("title", "")),
                                    [" ".join(str(s).split()) for s in doc.get("abstract", [])],
                                    sets)


def claim_pairs(folder: Path, claims_file: str, name: str, rng: random.Random,
                weight: float = 1.0, *, per_document: int = 2,
                claims: int | None = None) -> list[Pair]:
    """At most `per_document` rationale sentences per (claim, abstract): HealthVer marks up to
    a whole abstract, and one claim should not outweigh a BioASQ question."""
    pairs: list[Pair] = []
    for item in claim_documents(folder, claims_file, name, rng, claims):
        text, group, title, sentences, sets = (item.text, item.group, item.title,
                                               item.sentences, item.sets)
        rationale: set[int] = set()
        for evidence in sets:
            stance = CLAIM_LABEL.get(str(evidence.get("label")))
            for index in evidence.get("sentences", []):
                if len(rationale) >= per_document:
                    break
                if 0 <= index < len(sentences) and index not in rationale:
                    rationale.add(index)
                    pairs.append(Pair(name, group, text,
                                      passage(title, sentences[index]), True, stance,
                                      weight * (1.5 if stance == "no" else 1.0)))
        marked = {i for evidence in sets for i in evidence.get("sentences", [])}
        others = [i for i in range(len(sentences)) if i not in marked]
        for index in rng.sample(others, min(1, len(others))):
            pairs.append(Pair(name, group, text, passage(title, sentences[index]), False,
                              "neutral", 0.5 * weight))
    return pairs


def clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def training_pairs(data: Path, seed: int = 13) -> list[Pair]:
    """Every training pair, in a fixed order for a fixed seed."""
    rng = random.Random(seed)
    pairs = [
        *bioasq_pairs(data, rng),
        *medquad_pairs(data, rng),
        *pubmedqa_pairs(data, rng),
        *claim_pairs(data / "scifact", "claims_train.jsonl", "scifact", rng),
        *claim_pairs(data / "healthver", "claims_train.jsonl", "healthver", rng, 0.7,
                      claims=700),
        *claim_pairs(data / "covidfact", "claims_train.jsonl", "covidfact", rng, 0.5),
    ]
    return [Pair(p.source, p.group, clean(p.query), clean(p.passage), p.relevant, p.stance,
                 p.weight) for p in pairs if p.query.strip() and p.passage.strip()]
