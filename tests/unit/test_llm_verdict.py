"""The optional LLM verdict, against a real HTTP server that speaks the chat-completions API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from citemed.compose import compose
from citemed.compose.llm import LLMError, LLMVerdictReader, parse_reply
from citemed.eval.answer_metrics import traceability
from citemed.model import Document, Hit, Kind
from citemed.sources.base import make_section


class ChatServer:
    """A local OpenAI-compatible endpoint whose reply (status, content) the test sets."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 200
        self.content = '{"verdict": "no", "evidence": [1]}'
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, "body": body,
                                       "authorization": self.headers.get("Authorization")})
                reply = json.dumps({"choices": [{"message": {"role": "assistant",
                                                             "content": outer.content}}]})
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(reply.encode())

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[ChatServer]:
    chat = ChatServer()
    yield chat
    chat.close()


def _trial(conclusion: str) -> list[Hit]:
    doc = Document(
        id="t:trial", collection="t", kind=Kind.RANDOMIZED_TRIAL, year=2020, pmid="1",
        title="Exercise for aromatase inhibitor arthralgia: a randomized trial",
        sections=[make_section("CONCLUSIONS", conclusion)])
    return [Hit(document=doc, score=10.0, rank=1)]


QUESTION = "Does exercise reduce aromatase inhibitor arthralgia?"
POSITIVE = ("Exercise significantly reduced aromatase inhibitor arthralgia compared with usual "
            "care (p<0.001).")


def test_the_models_verdict_replaces_the_stance_reading_and_sees_only_cited_sentences(server):
    assert compose(QUESTION, _trial(POSITIVE)).direct_answer.verdict == "yes"
    reader = LLMVerdictReader(server.url, "reader-model", api_key="secret")
    answer = compose(QUESTION, _trial(POSITIVE), verdict_reader=reader)
    assert answer.direct_answer.verdict == "no"  # what the server said
    assert "reader-model" in answer.generation.mode
    request = server.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["authorization"] == "Bearer secret"
    assert request["body"]["model"] == "reader-model"
    shown = request["body"]["messages"][1]["content"]
    assert QUESTION in shown and f"[1] {POSITIVE}" in shown
    # The page's text is untouched by the model: still extractive and traceable.
    traced, statements = traceability(answer)
    assert traced == statements > 0


@pytest.mark.parametrize(("status", "content"), [
    (500, "{}"),
    (200, "I think the answer is probably yes."),
    (200, '{"verdict": "yes", "evidence": [7]}'),
])
def test_an_unusable_reply_keeps_the_stance_verdict_and_says_so(server, status, content):
    server.status, server.content = status, content
    answer = compose(QUESTION, _trial(POSITIVE),
                     verdict_reader=LLMVerdictReader(server.url, "reader-model"))
    assert answer.direct_answer.verdict == "yes"
    assert answer.generation.mode == "extractive"
    assert any("language model gave no usable verdict" in n for n in answer.notices)


def test_an_unreachable_endpoint_fails_fast_and_cleanly():
    reader = LLMVerdictReader("http://127.0.0.1:9/v1", "reader-model", timeout=2)
    with pytest.raises(LLMError):
        reader.verdict(QUESTION, [POSITIVE])


@pytest.mark.parametrize(("content", "verdict", "evidence"), [
    ('{"verdict": "yes", "evidence": [1, 2]}', "yes", (1, 2)),
    ('Sure. {"verdict": "MAYBE", "evidence": []} Hope that helps.', "uncertain", ()),
])
def test_replies_are_parsed_leniently_around_the_json(content, verdict, evidence):
    parsed = parse_reply(content, n_evidence=2)
    assert (parsed.verdict, parsed.evidence) == (verdict, evidence)


@pytest.mark.parametrize("content", [
    '{"verdict": "probably", "evidence": [1]}',
    '{"verdict": "no", "evidence": []}',
    '{"verdict": "no", "evidence": ["1"]}',
    '{"verdict": "no", "evidence": [3]}',
    "no json here",
])
def test_replies_that_are_not_a_grounded_verdict_are_refused(content):
    with pytest.raises(LLMError):
        parse_reply(content, n_evidence=2)


def test_the_engine_asks_the_configured_endpoint_and_records_the_model(library, server):
    from citemed.engine import Engine
    from citemed.settings import Settings

    server.content = '{"verdict": "maybe", "evidence": [1]}'
    settings = Settings(library=library.folder, data=library.settings.data,
                        llm_base_url=server.url, llm_model="reader-model")
    engine = Engine(settings, library=library)
    answer = engine.ask("Is aromatase inhibitor arthralgia linked to estrogen deprivation?")
    assert server.requests and answer.direct_answer.verdict == "uncertain"
    assert answer.generation.settings["llm_model"] == "reader-model"
    # Without the endpoint configured, nothing is sent.
    before = len(server.requests)
    plain = Engine(Settings(library=library.folder, data=library.settings.data), library=library)
    assert plain.ask("Is aromatase inhibitor arthralgia linked to estrogen deprivation?") \
        .generation.settings["llm_model"] is None
    assert len(server.requests) == before
