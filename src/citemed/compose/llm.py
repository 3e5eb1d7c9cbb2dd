"""Optional verdicts from a language model behind an OpenAI-compatible endpoint.

Off unless `CITEMED_LLM_BASE_URL` and `CITEMED_LLM_MODEL` are set (a local llama.cpp, vLLM or
Ollama server, or a hosted one). The model only *reads*: it is shown the question and the
numbered evidence sentences the page cites and returns a verdict (yes / no / maybe) with the
numbers it relied on. Every word on the page is still a source sentence, so traceability does
not depend on the model; a reply that is late, malformed or cites evidence it was not shown is
discarded and the built-in stance model's verdict stands.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import httpx

from citemed.model import Verdict

SYSTEM_PROMPT = (
    "You are a careful medical evidence reviewer. Decide whether the numbered evidence "
    "sentences answer the yes/no question with yes, no or maybe (mixed, weak or indirect "
    "evidence). Use only the evidence given, never outside knowledge. Reply with one JSON "
    'object and nothing else: {"verdict": "yes" | "no" | "maybe", "evidence": [the numbers '
    "of the sentences your verdict rests on]}."
)
_VERDICTS: dict[str, Verdict] = {"yes": "yes", "no": "no", "maybe": "uncertain"}
_JSON_OBJECT = re.compile(r"\{.*\}", re.S)


@dataclass(frozen=True)
class LLMVerdict:
    verdict: Verdict
    evidence: tuple[int, ...]  # 1-based positions in the evidence list the model was shown


class LLMError(Exception):
    """The endpoint failed or replied with something that is not a usable verdict."""


class LLMVerdictReader:
    """Asks an OpenAI-compatible chat-completions endpoint for a verdict."""

    def __init__(self, base_url: str, model: str, *, api_key: str | None = None,
                 timeout: float = 30.0) -> None:
        self.model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers,
                                    timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def verdict(self, question: str, evidence: list[str]) -> LLMVerdict:
        numbered = "\n".join(f"[{i}] {text}" for i, text in enumerate(evidence, start=1))
        payload = {
            "model": self.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": f"Question: {question}\n\nEvidence:\n{numbered}"},
            ],
        }
        try:
            response = self._client.post("/chat/completions", json=payload)
            response.raise_for_status()
            content = response.json()["choices"][0]["message"]["content"]
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as error:
            raise LLMError(f"{type(error).__name__}: {error}") from error
        return parse_reply(str(content), len(evidence))


def parse_reply(content: str, n_evidence: int) -> LLMVerdict:
    """The verdict in a model's reply; LLMError unless it is well-formed and cites only
    evidence it was shown."""
    match = _JSON_OBJECT.search(content)
    if not match:
        raise LLMError("the reply holds no JSON object")
    try:
        reply = json.loads(match.group(0))
    except json.JSONDecodeError as error:
        raise LLMError(f"the reply's JSON does not parse: {error}") from error
    verdict = _VERDICTS.get(str(reply.get("verdict", "")).strip().lower())
    if verdict is None:
        raise LLMError(f"unknown verdict {reply.get('verdict')!r}")
    numbers = reply.get("evidence") or []
    if not isinstance(numbers, list) or not all(
            isinstance(n, int) and 1 <= n <= n_evidence for n in numbers):
        raise LLMError(f"the reply cites evidence it was not shown: {numbers!r}")
    if verdict != "uncertain" and not numbers:
        raise LLMError("a yes or no that rests on no evidence")
    return LLMVerdict(verdict, tuple(numbers))
