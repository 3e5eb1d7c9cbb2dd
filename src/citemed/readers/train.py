"""`citemed models train`: fine-tune the evidence reader on the training splits, reproducibly.

One command, fixed seeds: pairs from `readers.data` (training splits only), one multi-task pass
(relevance BCE + stance cross-entropy, stance classes balanced), checkpoints every
`checkpoint_every` steps in the work folder (a killed run resumes from the last one), then the
relevance threshold is chosen on the development split (10% of questions, by id hash) and the
weights, configuration and model card are written to the output folder.
"""

from __future__ import annotations

import json
import math
import random
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from citemed.readers.data import STANCES, Pair, training_pairs
from citemed.readers.evidence_data import evidence_pairs
from citemed.readers.model import FROZEN, ReaderConfig, build, load, save, tokenizer

# What each reader reads: one sentence (`passage`) or the cited set at once (`evidence`).
TASKS = {"passage": training_pairs, "evidence": evidence_pairs}


@dataclass(frozen=True)
class TrainOptions:
    data: Path
    out: Path
    work: Path
    seed: int = 13
    epochs: float = 1.0
    batch: int = 16
    lr: float = 5e-5
    head_lr: float = 5e-4
    warmup: float = 0.05
    max_tokens: int = 128
    threads: int = 2
    checkpoint_every: int = 200
    limit: int | None = None  # first N training pairs (smoke tests)
    # A second stage: start from these weights and train on every stance-labelled pair plus
    # this share of the relevance-only pairs (so relevance is not forgotten).
    init: Path | None = None
    relevance_share: float = 1.0
    task: str = "passage"


def _batches(pairs: list[Pair], size: int, rng: random.Random) -> list[list[Pair]]:
    """Length-bucketed batches in random order: little padding, still shuffled."""
    order = list(pairs)
    rng.shuffle(order)
    chunks = [order[i:i + size * 50] for i in range(0, len(order), size * 50)]
    batches: list[list[Pair]] = []
    for chunk in chunks:
        chunk.sort(key=lambda p: len(p.query) + len(p.passage))
        batches.extend(chunk[i:i + size] for i in range(0, len(chunk), size))
    rng.shuffle(batches)
    return batches


def _encode(tok, batch: list[Pair], max_tokens: int):
    return tok([p.query for p in batch], [p.passage for p in batch], padding=True,
               truncation="longest_first", max_length=max_tokens, return_tensors="pt")


def predict(net, tok, pairs: list[Pair], max_tokens: int, size: int = 64):
    """(relevance probabilities, stance probabilities) for pairs, in order."""
    import torch

    rel, stance = [], []
    net.eval()
    with torch.inference_mode():
        for start in range(0, len(pairs), size):
            enc = _encode(tok, pairs[start:start + size], max_tokens)
            r, s = net(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"])
            rel.extend(torch.sigmoid(r).tolist())
            stance.extend(torch.softmax(s, -1).tolist())
    return rel, stance


def dev_figures(rel: list[float], stance: list[list[float]], pairs: list[Pair]) -> dict:
    """Relevance AUC and the F1-best threshold; stance accuracy and macro-F1 per source."""
    from sklearn.metrics import f1_score, roc_auc_score

    labels = [int(p.relevant) for p in pairs]
    figures: dict = {"pairs": len(pairs)}
    if len(set(labels)) == 2:
        figures["relevance_auc"] = round(float(roc_auc_score(labels, rel)), 4)
    best = (0.0, 0.5)
    for step in range(5, 96):
        threshold = step / 100
        f1 = f1_score(labels, [int(r >= threshold) for r in rel], zero_division=0)
        best = max(best, (float(f1), threshold))
    figures["relevance_f1"], figures["relevance_threshold"] = round(best[0], 4), best[1]
    by_source: dict[str, dict] = {}
    for source in sorted({p.source for p in pairs if p.stance in ("yes", "no")}):
        rows = [(p, s) for p, s in zip(pairs, stance, strict=True)
                if p.source == source and p.stance in ("yes", "no")]
        gold = [p.stance for p, _ in rows]
        guess = ["yes" if s[0] >= s[1] else "no" for _, s in rows]
        by_source[source] = {
            "pairs": len(rows),
            "yes_no_accuracy": round(sum(g == h for g, h in zip(gold, guess, strict=True))
                                     / len(rows), 4),
            "yes_no_macro_f1": round(float(f1_score(gold, guess, average="macro",
                                                    zero_division=0)), 4),
        }
    figures["stance"] = by_source
    return figures


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True, cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _split(options: TrainOptions, rng: random.Random) -> tuple[list[Pair], list[Pair]]:
    """(training pairs, development pairs) of the task, in a fixed order for the seed."""
    pairs = TASKS[options.task](options.data, options.seed)
    if options.limit is not None:
        pairs = pairs[:options.limit]
    train_pairs = [p for p in pairs if not p.dev]
    dev_pairs = [p for p in pairs if p.dev]
    if options.relevance_share < 1.0:
        train_pairs = [p for p in train_pairs
                       if p.stance or rng.random() < options.relevance_share]
    return train_pairs, dev_pairs


def _plan(train_pairs: list[Pair], options: TrainOptions, rng: random.Random) -> list[list[Pair]]:
    """Every batch of the run in order; a fractional epoch count cuts the last epoch."""
    epochs = max(1, math.ceil(options.epochs))
    plan: list[list[Pair]] = []
    for _ in range(epochs):
        plan.extend(_batches(train_pairs, options.batch, rng))
    return plan[:max(1, int(len(plan) * options.epochs / epochs))]


def _optimizer(net, options: TrainOptions, total: int):
    """AdamW (heads at their own rate) with linear warm-up then linear decay over `total`."""
    import torch

    net.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    heads = [*net.relevance.parameters(), *net.stance.parameters()]
    head_ids = {id(p) for p in heads}
    body = [p for p in net.parameters() if p.requires_grad and id(p) not in head_ids]
    optimizer = torch.optim.AdamW([{"params": body, "lr": options.lr},
                                   {"params": heads, "lr": options.head_lr}], weight_decay=0.01)
    warm = max(1, int(total * options.warmup))

    def schedule(step: int) -> float:
        return min(1.0, (step + 1) / warm) * max(0.0, (total - step) / max(1, total - warm))

    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)


def _loss(net, tok, batch: list[Pair], stance_weight, max_tokens: int):
    """Weighted relevance BCE plus class-balanced stance cross-entropy on labelled pairs."""
    import torch

    enc = _encode(tok, batch, max_tokens)
    rel_logit, stance_logit = net(enc["input_ids"], enc["attention_mask"],
                                  enc["token_type_ids"])
    weights = torch.tensor([p.weight for p in batch])
    target = torch.tensor([float(p.relevant) for p in batch])
    loss = (torch.nn.functional.binary_cross_entropy_with_logits(
        rel_logit, target, reduction="none") * weights).mean()
    labelled = [i for i, p in enumerate(batch) if p.stance]
    if labelled:
        stance_target = torch.tensor([STANCES.index(str(batch[i].stance)) for i in labelled])
        stance_loss = torch.nn.functional.cross_entropy(
            stance_logit[labelled], stance_target, weight=stance_weight, reduction="none")
        loss = loss + (stance_loss * weights[labelled]).sum() / len(batch)
    return loss


class _Checkpoint:
    """The work folder's checkpoint: written atomically every few steps, resumed from."""

    def __init__(self, work: Path) -> None:
        work.mkdir(parents=True, exist_ok=True)
        self.path, self._tmp = work / "checkpoint.pt", work / "checkpoint.tmp"

    def restore(self, net, optimizer, scheduler) -> int:
        """The step to start at (0 without a checkpoint)."""
        import torch

        if not self.path.exists():
            return 0
        state = torch.load(self.path, weights_only=False)
        net.load_state_dict(state["model"], strict=False)
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        return int(state["step"])

    def save(self, net, optimizer, scheduler, step: int) -> None:
        import torch

        trainable = {k: v for k, v in net.state_dict().items() if k != FROZEN}
        torch.save({"model": trainable, "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), "step": step}, self._tmp)
        self._tmp.replace(self.path)


def train(options: TrainOptions, log: Callable[[str], None] = print) -> dict:
    import torch

    commit = _commit()  # the code that builds the pairs, as the run starts
    torch.manual_seed(options.seed)
    random.seed(options.seed)
    torch.set_num_threads(options.threads)
    rng = random.Random(options.seed)
    train_pairs, dev_pairs = _split(options, rng)
    log(f"pairs: {len(train_pairs)} train, {len(dev_pairs)} dev; "
        f"sources {dict(Counter(p.source for p in train_pairs))}")
    tok = tokenizer()
    net = load(options.init).train() if options.init else build()
    plan = _plan(train_pairs, options, rng)
    total = len(plan)
    optimizer, scheduler = _optimizer(net, options, total)
    counts = Counter(p.stance for p in train_pairs if p.stance)
    stance_weight = torch.tensor([len(train_pairs) / (3 * max(1, counts[s])) for s in STANCES])
    checkpoint = _Checkpoint(options.work)
    start = checkpoint.restore(net, optimizer, scheduler)
    if start:
        log(f"resumed at step {start} of {total}")
    net.train()
    began, seen, running = time.time(), 0, 0.0
    for step in range(start, total):
        loss = _loss(net, tok, plan[step], stance_weight, options.max_tokens)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        seen += len(plan[step])
        value = float(loss.detach())
        running = 0.98 * running + 0.02 * value if step > start else value
        if (step + 1) % 50 == 0 or step + 1 == total:
            rate = seen / max(1e-6, time.time() - began)
            log(f"step {step + 1}/{total} loss {running:.4f} {rate:.1f} pairs/s "
                f"eta {(total - step - 1) * options.batch / max(rate, 1e-6) / 60:.1f} min")
        if (step + 1) % options.checkpoint_every == 0:
            checkpoint.save(net, optimizer, scheduler, step + 1)
    log("evaluating on the development split")
    return _finish(net, tok, options, train_pairs, dev_pairs, commit, log)


def _finish(net, tok, options: TrainOptions, train_pairs: list[Pair], dev_pairs: list[Pair],
            commit: str, log: Callable[[str], None]) -> dict:
    """Dev figures, the threshold chosen on them, and the weights with their card, written."""
    rel, stance = predict(net, tok, dev_pairs, options.max_tokens)
    figures = dev_figures(rel, stance, dev_pairs)
    config = ReaderConfig(version=f"reader-{time.strftime('%Y%m%d')}-seed{options.seed}",
                          relevance_threshold=figures["relevance_threshold"],
                          max_tokens=options.max_tokens)
    meta = {"options": {k: str(v) for k, v in asdict(options).items()},
            "commit": commit, "task": options.task, "train_pairs": len(train_pairs), "dev": figures,
            "sources": dict(Counter(p.source for p in train_pairs))}
    save(net, options.out, config, {"training": meta})
    log(json.dumps(figures))
    return meta
