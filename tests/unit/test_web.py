"""The web app in-process (TestClient) and the JSON API against a real `citemed serve`."""

from __future__ import annotations

import pickle
import re
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from citemed.library import Library
from citemed.model import Answer, Document, Kind
from citemed.settings import Settings
from citemed.sources.base import make_section
from citemed.web.app import create_app
from citemed.web.server import serve_in_subprocess, worker_config
from tests.web_documents import build_web_library, running_server

QUESTION = "Does metformin lower weight in women with type 2 diabetes?"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    settings = build_web_library(tmp_path_factory.mktemp("web") / "lib")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_pages_send_security_headers_and_carry_no_inline_script_or_style(client):
    for url in ["/", f"/ask?q={QUESTION}", "/policy", "/documents/webfix:metformin-dose"]:
        response = client.get(url)
        assert response.status_code == 200, url
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        html = response.text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert not re.search(r"\sstyle=|<style", html), url
        assert not re.search(r"\son[a-z]+=", html), url


def test_question_text_is_escaped(client):
    response = client.get("/ask", params={"q": "Is metformin <script>alert(1)</script> safe?"})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


@pytest.mark.parametrize(("question", "message"), [
    ("", "the question is empty"),
    ("   ", "the question is empty"),
    ("x" * 2001, "the limit is 2000"),
    ("dose\x00\x01", "binary or control characters"),
])
def test_unusable_questions_get_a_clear_4xx(client, question, message):
    api = client.post("/api/v1/ask", json={"question": question, "audience": "clinician"})
    assert api.status_code == 400
    assert message in api.json()["error"]
    page = client.get("/ask", params={"q": question})
    assert page.status_code == 400
    assert message in page.text


def test_api_validation_and_missing_things_map_to_4xx(client):
    assert client.post("/api/v1/ask", json={"question": QUESTION, "audience": "robot"}
                       ).status_code == 422
    assert client.post("/api/v1/ask", content=b"\xff\xfe", headers={
        "content-type": "application/json"}).status_code == 422
    missing = client.get("/api/v1/documents/webfix:nope")
    assert missing.status_code == 404 and "webfix:nope" in missing.json()["error"]
    assert client.get("/api/v1/threads/nosuchthread").status_code == 404
    assert client.get("/threads/nosuchthread").status_code == 404
    assert client.get("/documents/webfix:nope").status_code == 404


def test_api_answer_is_the_cli_json_schema_and_is_cached(client):
    first = client.post("/api/v1/ask", json={"question": QUESTION, "audience": "clinician"})
    assert first.status_code == 200
    body = first.json()
    assert body["schema"] == "citemed.answer"
    answer = Answer.model_validate(body)
    assert answer.direct_answer.citations and answer.references
    assert all(q.sentence_id for r in answer.references for q in r.quotes)
    service = client.app.state.service
    hits = service.cache.hits
    again = client.post("/api/v1/ask", json={"question": f"  {QUESTION} ", "audience": "clinician"})
    assert again.json() == body
    assert service.cache.hits == hits + 1
    patient = client.post("/api/v1/ask", json={"question": QUESTION, "audience": "patient"})
    assert patient.json()["audience"] == "patient"


def test_api_threads_resolve_follow_ups(client):
    started = client.post("/api/v1/threads", json={"question": QUESTION})
    assert started.status_code == 201
    thread_id = started.json()["thread_id"]
    follow = client.post(f"/api/v1/threads/{thread_id}/ask", json={"question": "and the dose?"})
    assert follow.json()["turn"] == 1
    assert follow.json()["answer"]["resolved_question"] == "What is the dose of metformin?"
    answer = Answer.model_validate(follow.json()["answer"])
    assert any("500 mg" in b.text for b in [answer.direct_answer, *answer.all_bullets()])
    turns = client.get(f"/api/v1/threads/{thread_id}").json()["turns"]
    assert [t["question"] for t in turns] == [QUESTION, "and the dose?"]


def test_api_search_and_documents(client):
    hits = client.get("/api/v1/search", params={"q": "metformin dose", "k": 3}).json()
    assert hits[0]["document"]["id"] == "webfix:metformin-dose"
    assert "dose" in hits[0]["sentences"][0]["text"]
    doc = client.get("/api/v1/documents/webfix:metformin-dose").json()
    sid = doc["sections"][0]["sentences"][0]["sentence_id"]
    assert sid == "webfix:metformin-dose#0.0"
    page = client.get("/documents/webfix:metformin-dose", params={"highlight": sid})
    assert re.search(r'<mark class="cited" id="webfix:metformin-dose#0.0">The usual starting',
                     page.text)


def test_openapi_schema_lists_the_v1_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ["/api/v1/ask", "/api/v1/threads", "/api/v1/threads/{thread_id}/ask",
                 "/api/v1/search", "/api/v1/documents/{document_id}"]:
        assert path in paths


def test_follow_up_form_creates_a_thread_page(client):
    response = client.post("/threads", data={"previous": QUESTION, "q": "what about in men?",
                                             "audience": "patient"}, follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert re.match(r"^/threads/[\w-]+\?audience=patient#latest$", location)
    page = client.get(location.split("#")[0])
    assert "Does metformin lower weight in men with type 2 diabetes?" in page.text
    clinician = client.get(location.split("?")[0] + "?audience=clinician")
    assert 'aria-current="true" data-audience="clinician"' in clinician.text


def test_api_against_a_real_server(tmp_path):
    with running_server(tmp_path / "lib") as base:
        answer = httpx.post(f"{base}/api/v1/ask", json={"question": QUESTION}, timeout=30)
        assert answer.status_code == 200
        assert Answer.model_validate(answer.json()).references
        bad = httpx.post(f"{base}/api/v1/ask", json={"question": "x" * 2001}, timeout=30)
        assert bad.status_code == 400 and "the limit is 2000" in bad.json()["error"]
        page = httpx.get(f"{base}/ask", params={"q": QUESTION}, timeout=30)
        assert page.headers["x-frame-options"] == "DENY"


def test_cross_site_follow_up_posts_are_refused(client):
    form = {"previous": QUESTION, "q": "what about in men?"}
    for headers in [{"origin": "https://evil.example"}, {"sec-fetch-site": "cross-site"}]:
        response = client.post("/threads", data=form, headers=headers, follow_redirects=False)
        assert response.status_code == 403
        assert "cross-site" in response.text
    same = client.post("/threads", data=form, headers={"origin": "http://testserver",
                                                       "sec-fetch-site": "same-origin"},
                       follow_redirects=False)
    assert same.status_code == 303


def test_red_flag_questions_show_an_urgent_notice_to_every_reader(client):
    question = "I have crushing chest pain, should I take metformin?"
    patient = client.get("/ask", params={"q": question, "audience": "patient"}).text
    assert 'class="notice notice-urgent" role="alert"' in patient
    assert "emergency" in patient
    clinician = client.get("/ask", params={"q": question, "audience": "clinician"}).text
    assert 'class="notice notice-urgent" role="alert"' in clinician


def test_evidence_caveats_are_not_styled_as_emergencies():
    from citemed.audience.redflags import URGENT_NOTICE
    from citemed.model import DirectAnswer
    from citemed.web.app import make_templates

    answer = Answer(question="Q?", direct_answer=DirectAnswer(text="A."),
                    notices=[URGENT_NOTICE, "None of the cited sources mentions \"x\"."])
    html = make_templates().env.get_template("_answer.html").module.answer_body(answer, "t1")
    assert html.count("notice-urgent") == 1
    assert '<div class="notice notice-info" role="note">None of the cited sources mentions ' \
           '&#34;x&#34;.</div>' in html


def test_two_worker_processes_share_threads(tmp_path):
    settings = build_web_library(tmp_path / "lib")
    with serve_in_subprocess(settings.library, workers=2) as base, httpx.Client() as http:
        started = http.post(f"{base}/api/v1/threads", json={"question": QUESTION}, timeout=30)
        thread_id = started.json()["thread_id"]
        # New connections are spread over both workers; each must see the stored thread.
        for _ in range(6):
            with httpx.Client() as fresh:
                follow = fresh.get(f"{base}/api/v1/threads/{thread_id}", timeout=30)
            assert follow.status_code == 200
            assert follow.json()["turns"][0]["question"] == QUESTION


def test_worker_processes_receive_the_whole_settings_object(tmp_path):
    # Spawned workers get the pickled app factory: every setting travels, not only those the
    # environment carried (the library and the articles database).
    settings = Settings(library=tmp_path / "lib", database="sqlite:///x.sqlite",
                        max_body_bytes=1234, reader_threshold=0.4)
    config = worker_config(settings, workers=2, host="127.0.0.1", port=0)
    factory = pickle.loads(pickle.dumps(config.app))
    assert factory.func is create_app and factory.args == (settings,)
    assert config.factory and config.workers == 2


def test_one_engine_serves_many_threads(tmp_path):
    """The web service and the articles router share one Engine across request threads."""
    from concurrent.futures import ThreadPoolExecutor

    from citemed.engine import Engine

    engine = Engine(build_web_library(tmp_path / "lib"))
    questions = [QUESTION, "What is the dose of metformin?", "Does exercise help joint pain?"]

    def work(i: int) -> tuple[str, str]:
        question = questions[i % len(questions)]
        engine.search(question, k=3)
        with engine.lock:
            engine.library.document("webfix:metformin-dose")
        return question, engine.ask(question, audience="patient").direct_answer.text

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(48)))
    by_question: dict[str, set[str]] = {}
    for question, text in results:
        by_question.setdefault(question, set()).add(text)
    assert all(len(texts) == 1 for texts in by_question.values())
    engine.close()


def test_a_running_server_picks_up_a_new_ingest_without_restart(tmp_path):
    question = "Does zinc shorten the common cold in children?"
    new_document = Document(
        id="webfix:zinc-cold", collection="webfix", kind=Kind.RANDOMIZED_TRIAL,
        title="Zinc lozenges and the common cold in children", source="Web Fixture Journal",
        year=2022, pmid="555",
        sections=[make_section("CONCLUSIONS", "Zinc lozenges shortened the common cold in "
                                              "children by one day.")])
    with running_server(tmp_path / "lib") as base:
        before = httpx.post(f"{base}/api/v1/ask", json={"question": question}, timeout=30).json()
        assert "webfix:zinc-cold" not in {ref["document_id"] for ref in before["references"]}
        version = httpx.get(f"{base}/api/v1/health", timeout=10).json()["library_version"]

        # `citemed ingest` from another process: the library API writes store, indexes, manifest.
        library = Library(Settings(library=tmp_path / "lib"))
        try:
            library.ingest_documents([new_document], source_name="fixture")
            library.refresh_indexes()
        finally:
            library.close()

        deadline = time.monotonic() + 30
        while httpx.get(f"{base}/api/v1/health", timeout=10).json()["library_version"] == version:
            assert time.monotonic() < deadline, "the server never noticed the new ingest"
            time.sleep(0.5)
        hits = httpx.get(f"{base}/api/v1/search", params={"q": "zinc common cold children"},
                         timeout=30).json()
        assert hits[0]["document"]["id"] == "webfix:zinc-cold"
        # The cached answer to the same question is not served again: the library version
        # is part of the cache key.
        after = httpx.post(f"{base}/api/v1/ask", json={"question": question}, timeout=30).json()
        assert after["generation"]["library_version"] != before["generation"]["library_version"]
        assert "webfix:zinc-cold" in {ref["document_id"] for ref in after["references"]}
        page = httpx.get(f"{base}/ask", params={"q": question}, timeout=30).text
        assert "shortened the common cold in children by one day" in page


def test_reading_grade_label_never_shows_a_negative_grade():
    from citemed.web.views import grade_label

    assert grade_label(-1.4) == "below grade 1"
    assert grade_label(0.99) == "below grade 1"
    assert grade_label(7.96) == "grade 8.0"
