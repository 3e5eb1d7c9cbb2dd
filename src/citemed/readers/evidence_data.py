"""Training examples for the evidence-set reader, built from the TRAINING splits only.

The passage reader (`readers.data`) reads one sentence at a time; a verdict pooled from single
sentences misses what only the set says ("no difference was found" after "we compared X with
Y"). The evidence-set reader reads the question with several evidence passages at once, as the
page cites them (`evidence_text`), and learns two things: does this set of passages answer the
question (relevance head), and what does it say (stance head: yes / no / neutral).

Examples per source, each a random *view* (a subset of passages in random order, sometimes with
off-topic passages mixed in, as a retrieved set has):

- BioASQ 1B-6B yes/no questions: views of their gold snippets with the gold answer; "no"
  questions (18%) get more views. Every BioASQ question (also factoid, list, summary) gives
  "answers" views and two "does not answer" views: the snippets of the nearest other question,
  and its own snippets under a facet-swapped question (`data.swap_concept`).
- PubMedQA train_dev: sentences of the abstract without its conclusion (the library's copy of a
  test abstract has none) with yes / no / maybe (neutral); another abstract as "does not answer".
- SciFact, HealthVer, COVID-Fact train: a claim with its rationale sentences (SUPPORT = yes,
  CONTRADICT = no), sometimes with other sentences of the abstract mixed in; half of the claims
  asked as a question.
- Direction flips: a BioASQ or PubMedQA "yes" question with one direction word reversed
  ("increased" -> "decreased") over the same evidence, answer "no".

The development split is the passage reader's (`data.is_dev`, by question id), so questions
held out for choosing thresholds are held out of both readers.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from pathlib import Path

from citemed.readers.data import (
    CLAIM_LABEL,
    MAYBE_LABEL,
    Bm25,
    Pair,
    bioasq_snippets,
    claim_documents,
    clean,
    evidence_text,
    idf_table,
    read_json,
    swap_concept,
)
from citemed.text import split_sentences

MAX_PASSAGES = 6
# Views per yes/no question by gold answer: "no" is the rare class.
VIEWS = {"yes": 2, "no": 7}
# Share of the other BioASQ questions (factoid, list, summary) used: they teach only whether a
# set answers, and the whole set would double the training time on 2 cores.
OPEN_SHARE = 0.35
# Views per direction-flipped "yes" question (`flip_direction`, answer "no").
FLIP_VIEWS = 2
# Share of claims asked as questions (`claim_question`), the form the page reads.
QUESTION_SHARE = 0.5


# Direction words and the word that reverses the claim of a question using it. A "yes"
# question with exactly one of them, flipped, is a "no" question over the same evidence
# ("Is X increased after Y?" -> "Is X decreased after Y?"): in-domain "no" examples where the
# evidence states the opposite, the case the stance head misses most. One-way where the reverse
# is ambiguous ("reduce" -> "increase", but "increase" -> "decrease").
DIRECTION_FLIPS = {
    "increase": "decrease", "increases": "decreases", "increased": "decreased",
    "decrease": "increase", "decreases": "increases", "decreased": "increased",
    "reduce": "increase", "reduces": "increases", "reduced": "increased",
    "higher": "lower", "lower": "higher", "improve": "worsen", "improves": "worsens",
    "improved": "worsened", "upregulated": "downregulated", "downregulated": "upregulated",
    "up-regulated": "down-regulated", "down-regulated": "up-regulated",
    "activate": "inhibit", "activates": "inhibits", "inhibit": "activate",
    "inhibits": "activates",
}
_DIRECTION = re.compile(r"\b(" + "|".join(sorted(map(re.escape, DIRECTION_FLIPS), key=len,
                                                  reverse=True)) + r")\b", re.I)


def flip_direction(question: str) -> str | None:
    """`question` with its one direction word reversed; None without exactly one."""
    found = _DIRECTION.findall(question)
    if len(found) != 1:
        return None
    word = found[0]
    new = DIRECTION_FLIPS[word.lower()]
    new = new.capitalize() if word[0].isupper() else new
    return _DIRECTION.sub(new, question, count=1)


def claim_question(claim: str) -> str:
    """A claim asked as the yes/no question a reader types ("Is it true that ...?"): the readers
    meet questions, the claim sets hold statements."""
    text = claim.strip().rstrip(".").strip()
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]
    return f"Is it true that {text}?"


def _view(rng: random.Random, own: list[tuple[str, str]], noise: list[tuple[str, str]],
          most: int = MAX_PASSAGES) -> list[tuple[str, str]]:
    """A random subset of `own` in random order, with at most two `noise` passages half the
    time (a retrieved set is rarely clean)."""
    chosen = rng.sample(own, rng.randint(1, min(most, len(own))))
    if noise and rng.random() < 0.5:
        for item in rng.sample(noise, min(len(noise), rng.randint(1, 2))):
            chosen.insert(rng.randrange(len(chosen) + 1), item)
    return chosen


def bioasq_evidence(data: Path, rng: random.Random) -> list[Pair]:
    questions, titles, snippets = bioasq_snippets(data)
    own: dict[int, list[tuple[str, str]]] = defaultdict(list)  # question -> (document, text)
    for qi, doc, text in snippets:
        if (doc, text) not in own[qi]:
            own[qi].append((doc, text))
    order = [qi for qi in range(len(questions)) if own.get(qi)]
    bodies = [" ".join(str(questions[qi].get("body", "")).split()) for qi in order]
    index = Bm25(bodies)
    idf = idf_table([t for qi in order for _, t in own[qi]])

    def items(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(titles.get(doc, ""), text) for doc, text in pairs]

    examples: list[Pair] = []
    for number, qi in enumerate(order):
        question, body = questions[qi], bodies[number]
        if not body:
            continue
        group = f"bioasq:{question.get('id')}"
        near = [order[i] for i in index.top(body, 4) if order[i] != qi]
        noise = items(own[near[0]]) if near else []
        gold = items(own[qi])
        answer = str(question.get("exact_answer", "")).strip().lower()
        stance = answer if question.get("type") == "yesno" and answer in VIEWS else None
        if stance is None and rng.random() > OPEN_SHARE:
            continue
        for _ in range(VIEWS[stance] if stance else 1):
            examples.append(Pair("bioasq", group, body, evidence_text(_view(rng, gold, noise)),
                                 True, stance))
        flipped = flip_direction(body) if stance == "yes" else None
        if flipped:
            for _ in range(FLIP_VIEWS):
                examples.append(Pair("bioasq-flip", group, flipped,
                                     evidence_text(_view(rng, gold, noise)), True, "no"))
        if not near:
            continue
        examples.append(Pair("bioasq", group, body, evidence_text(_view(rng, noise, [])),
                             False, "neutral" if stance else None))
        swapped = swap_concept(body, " ".join(t for _, t in gold), noise[0][1], idf, rng)
        if swapped:
            examples.append(Pair("bioasq-facet", group, swapped,
                                 evidence_text(_view(rng, gold, [])), False,
                                 "neutral" if stance else None))
    return examples


def pubmedqa_evidence(data: Path, rng: random.Random, views: int = 2) -> list[Pair]:
    folder = data / "pubmedqa"
    train = set(read_json(folder / "pqal_split_pmids.json")["train_dev"])  # type: ignore[index]
    records = read_json(folder / "ori_pqal.json")
    assert isinstance(records, dict)
    pmids = [p for p in records if p in train]
    sentences = {p: [s.text for c in records[p].get("CONTEXTS", [])
                     for s in split_sentences(" ".join(str(c).split()))] for p in pmids}
    examples: list[Pair] = []
    for pmid in pmids:
        record, own = records[pmid], [("", s) for s in sentences[pmid]]
        query = str(record.get("QUESTION", ""))
        stance = MAYBE_LABEL.get(str(record.get("final_decision", "")))
        if not own or not query.strip() or stance is None:
            continue
        group = f"pubmedqa:{pmid}"
        # The answer is mostly in the results: the last sentences are always kept.
        tail = own[-3:]
        for _ in range(views):
            head = rng.sample(own[:-3], min(len(own) - 3, rng.randint(0, 3))) if len(own) > 3 \
                else []
            examples.append(Pair("pubmedqa", group, query, evidence_text([*head, *tail]), True,
                                 stance))
        flipped = flip_direction(query) if stance == "yes" else None
        if flipped:
            examples.append(Pair("pubmedqa-flip", group, flipped, evidence_text(own[-4:]), True,
                                 "no"))
        other = rng.choice(pmids)
        if other != pmid and sentences[other]:
            examples.append(Pair("pubmedqa", group, query,
                                 evidence_text([("", s) for s in sentences[other][-4:]]),
                                 False, "neutral", 0.5))
    return examples


def claim_evidence(folder: Path, claims_file: str, name: str, rng: random.Random,
                   weight: float = 1.0, *, claims: int | None = None) -> list[Pair]:
    examples: list[Pair] = []
    for item in claim_documents(folder, claims_file, name, rng, claims):
        text, group, title, sentences, sets = (item.text, item.group, item.title,
                                               item.sentences, item.sets)
        labels = {CLAIM_LABEL.get(str(e.get("label"))) for e in sets} - {None}
        if len(labels) != 1:
            continue
        marked = sorted({i for e in sets for i in e.get("sentences", [])
                         if 0 <= i < len(sentences)})
        if not marked:
            continue
        rationale = [(title, sentences[i]) for i in marked]
        others = [(title, s) for i, s in enumerate(sentences) if i not in marked]
        if rng.random() < QUESTION_SHARE:
            text = claim_question(text)
        examples.append(Pair(name, group, text, evidence_text(_view(rng, rationale, others)),
                             True, labels.pop(), weight))
        if others:
            examples.append(Pair(name, group, text,
                                 evidence_text(rng.sample(others, min(3, len(others)))),
                                 False, "neutral", 0.5 * weight))
    return examples


def evidence_pairs(data: Path, seed: int = 13) -> list[Pair]:
    """Every evidence-set example, in a fixed order for a fixed seed."""
    rng = random.Random(seed)
    examples = [
        *bioasq_evidence(data, rng),
        *pubmedqa_evidence(data, rng),
        *claim_evidence(data / "scifact", "claims_train.jsonl", "scifact", rng),
        *claim_evidence(data / "healthver", "claims_train.jsonl", "healthver", rng, 0.7,
                        claims=400),
        *claim_evidence(data / "covidfact", "claims_train.jsonl", "covidfact", rng, 0.5,
                        claims=600),
    ]
    return [Pair(p.source, p.group, clean(p.query), clean(p.passage), p.relevant, p.stance,
                 p.weight) for p in examples if p.query.strip() and p.passage.strip()]
