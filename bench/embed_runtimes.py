"""Head embedding: fp32 torch (the shipped encoder) vs int8 ONNX (onnxruntime dynamic
quantization of the same packaged MiniLM, exported locally: no hub, no network).

    nice -n 19 python bench/embed_runtimes.py --data ../shared/data [--heads 1000]

Heads are SciFact corpus titles + first sentences (the text the dense index embeds). Prints
JSON lines: docs per CPU-second and per wall second for each runtime (2 threads), the cosine
between the two runtimes' vectors, and how many of each head's 10 nearest heads (fp32) the
int8 vectors keep (a retrieval-quality proxy).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def heads(data: Path, count: int) -> list[str]:
    out = []
    with (data / "scifact" / "corpus.jsonl").open() as handle:
        for line in handle:
            record = json.loads(line)
            first = (record.get("abstract") or [""])[0]
            out.append(f"{record.get('title', '')}\n{first}")
            if len(out) >= count:
                break
    return out


def timed(fn, texts: list[str]) -> tuple[np.ndarray, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    vectors = fn(texts)
    return vectors, time.perf_counter() - wall, time.process_time() - cpu


def onnx_encoder(folder: Path):
    import onnxruntime as ort
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from citemed.library.embed import DOC_MAX_TOKENS, encoder

    base = encoder()
    fp32_path, int8_path = folder / "minilm.onnx", folder / "minilm.int8.onnx"
    sample = base.tokenizer(["a b c"], return_tensors="pt", padding="max_length",
                            max_length=DOC_MAX_TOKENS, truncation=True)
    class Hidden(torch.nn.Module):
        # Keyword arguments: the model's positional order differs across transformers releases.
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):  # type: ignore[no-untyped-def]
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              use_cache=False).last_hidden_state

    torch.onnx.export(
        Hidden(base.model).eval(), (sample["input_ids"], sample["attention_mask"]),
        str(fp32_path),
        input_names=["input_ids", "attention_mask"], output_names=["hidden"],
        dynamic_axes={"input_ids": {0: "b", 1: "t"}, "attention_mask": {0: "b", 1: "t"},
                      "hidden": {0: "b", 1: "t"}}, opset_version=17, dynamo=False)
    quantize_dynamic(str(fp32_path), str(int8_path), weight_type=QuantType.QInt8)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(str(int8_path), options, providers=["CPUExecutionProvider"])

    def encode(texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 384), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), 32):
            rows = order[start:start + 32]
            batch = base.tokenizer([texts[i] for i in rows], padding=True, truncation=True,
                                   max_length=DOC_MAX_TOKENS, return_tensors="np")
            hidden = session.run(None, {"input_ids": batch["input_ids"].astype(np.int64),
                                        "attention_mask": batch["attention_mask"].astype(
                                            np.int64)})[0]
            mask = batch["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
            out[rows] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out

    return encode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--heads", type=int, default=1000)
    args = parser.parse_args()
    from citemed.library.embed import DOC_MAX_TOKENS, encoder

    texts = heads(args.data, args.heads)
    base = encoder()
    fp32, wall32, cpu32 = timed(lambda t: base.encode(t, max_tokens=DOC_MAX_TOKENS), texts)
    with tempfile.TemporaryDirectory() as temp:
        int8_encode = onnx_encoder(Path(temp))
        int8, wall8, cpu8 = timed(int8_encode, texts)
    cosine = np.sum(fp32 * int8, axis=1)
    sims32, sims8 = fp32 @ fp32.T, int8 @ int8.T
    np.fill_diagonal(sims32, -1)
    np.fill_diagonal(sims8, -1)
    top32, top8 = np.argsort(-sims32, 1)[:, :10], np.argsort(-sims8, 1)[:, :10]
    overlap = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(top32, top8, strict=True)])
    common = {"heads": len(texts), "load_avg_1min": round(os.getloadavg()[0], 2)}
    for name, value, unit in [
        ("embed_fp32_torch_rate_cpu", len(texts) / cpu32, "docs per CPU-second"),
        ("embed_fp32_torch_rate_wall", len(texts) / wall32, "docs/s"),
        ("embed_int8_onnx_rate_cpu", len(texts) / cpu8, "docs per CPU-second"),
        ("embed_int8_onnx_rate_wall", len(texts) / wall8, "docs/s"),
        ("int8_vs_fp32_cosine_mean", float(cosine.mean()), "cosine"),
        ("int8_vs_fp32_cosine_p5", float(np.percentile(cosine, 5)), "cosine"),
        ("int8_keeps_fp32_top10_neighbours", float(overlap), "share"),
    ]:
        print(json.dumps({"name": name, "value": round(value, 4), "unit": unit, **common}),
              flush=True)


if __name__ == "__main__":
    main()
