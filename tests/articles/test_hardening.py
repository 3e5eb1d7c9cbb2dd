"""Hostile input against a real server (issue 11): lone surrogates, NUL, integers past every
column's range, oversized and deeply nested bodies, wrong methods and credentials. Every answer
must be a 4xx with a message naming what was wrong and the security headers; never a 5xx.
Runs on SQLite and (in CI) PostgreSQL, whose 32-bit INTEGER columns and NUL-free text are the
stricter backend."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from citemed.articles.models import ApiToken, utcnow
from citemed.engine import check_question
from citemed.errors import InputError
from citemed.web.headers import SECURITY_HEADERS
from citemed.web.validation import QUESTION_PATTERN
from tests.articles.conftest import QUESTION
from tests.articles.live import SLUG, Live, live_server

BIG = [2**31, 2**63 - 1, 2**63, 10**30, -(2**63) - 1]
LIMIT = 1_000_000  # Settings.max_body_bytes default


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres",
                                                                marks=pytest.mark.postgres)])
def live(request, tmp_path_factory) -> Iterator[Live]:
    with live_server(request.param, tmp_path_factory.mktemp("hardening")) as server:
        yield server


def refused(response: httpx.Response, status: int, *words: str) -> str:
    """The response is `status` with every security header and a message holding `words`."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    for name in SECURITY_HEADERS:
        assert name.lower() in response.headers, (name, response.request.url)
    if response.request.url.path.startswith("/api/"):
        body = response.json()
        assert body["status"] == status
        message = body["error"]
    else:
        message = response.text
    for word in words:
        assert word in message, (word, message[:500])
    return message


def test_lone_surrogates_and_nul_in_questions_are_400_naming_the_field(live):
    with live.client() as anonymous, live.client("edna") as editor:
        thread = anonymous.post("/api/v1/threads", json={"question": QUESTION})
        assert thread.status_code == 201
        routes = [(anonymous, "/api/v1/ask"), (anonymous, "/api/v1/threads"),
                  (anonymous, f"/api/v1/threads/{thread.json()['thread_id']}/ask"),
                  (editor, "/api/v1/articles")]
        for client, path in routes:
            # Raw bytes: JSON's own escape for a lone surrogate, which no encoder would send.
            surrogate = client.post(path, content=b'{"question": "\\udfff"}',
                                    headers={"content-type": "application/json"})
            refused(surrogate, 400, "question", "surrogate")
            nul = client.post(path, json={"question": "dose\u0000"})
            refused(nul, 400, "question", "control characters")
            blank = client.post(path, json={"question": "  "})
            refused(blank, 400, "question", "empty")
        # A surrogate's UTF-8-style bytes in a query string decode to U+FFFD.
        refused(anonymous.get("/api/v1/search?q=%ED%BF%BF"), 400, "question")
        refused(anonymous.get("/ask", params={"q": "a\u0000b"}), 400, "control characters")


def test_surrogates_and_nul_in_stored_text_never_reach_the_database(live):
    """Comments, bullet text, token and user names are stored: a lone surrogate cannot be
    encoded and PostgreSQL refuses NUL, so both must be stopped at the boundary."""
    with live.client("edna") as editor:
        revision = editor.get(f"/api/v1/articles/{SLUG}").json()["revision"]
        for raw in [b'"\\udfff"', b'"a\\u0000b"']:
            body = b'{"revision": %d, "action": "submit", "comment": %s}' % (revision, raw)
            response = editor.post(f"/api/v1/articles/{SLUG}/transitions", content=body,
                                     headers={"content-type": "application/json"})
            assert 400 <= response.status_code < 500
            assert "comment" in refused(response, response.status_code)
    with live.client("edna") as editor:
        revision = editor.get(f"/api/v1/articles/{SLUG}").json()["revision"]
        edit = {"revision": revision, "sections": [{"section": 0, "bullets": [
            {"source": 0, "text": "a\u0000b"}]}]}
        refused(editor.post(f"/api/v1/articles/{SLUG}/edits", json=edit), 400, "text", "NUL")
        edit["sections"][0]["bullets"][0]["text"] = "\udfff"
        body = json.dumps(edit).encode()  # escapes the surrogate as \udfff
        refused(editor.post(f"/api/v1/articles/{SLUG}/edits", content=body,
                            headers={"content-type": "application/json"}), 400, "text",
                "surrogate")
    with live.browser("edna") as (browser, csrf):
        response = browser.post("/account/tokens", data={"name": "a\u0000b", "csrf_token": csrf})
        refused(response, 400, "name", "control characters")
        login = browser.get("/login").text.split('action="/login"', 1)[1]
        token = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        response = browser.post("/login", data={"username": "edna\u0000", "password": "x",
                                                "csrf_token": token})
        refused(response, 400, "username")
    with live.client() as anonymous:
        for path in ["/api/v1/articles/a%00b", "/articles/a%00b", "/api/v1/threads/a%00b",
                     "/api/v1/documents/a%00b", f"/api/v1/articles/{'x' * 5000}"]:
            refused(anonymous.get(path), 404)


@pytest.mark.parametrize("number", BIG)
def test_integers_past_the_column_range_are_422_naming_the_parameter(live, number):
    with live.client() as anonymous:
        refused(anonymous.get(f"/api/v1/articles/{SLUG}/versions/{number}"), 422, "number")
        refused(anonymous.get(f"/api/v1/articles/{SLUG}/diff", params={"old": 1, "new": number}),
                422, "new")
        refused(anonymous.get(f"/articles/{SLUG}/versions", params={"old": 1, "new": number}),
                422, "new")
    with live.client("edna") as editor:
        restore = editor.post(f"/api/v1/articles/{SLUG}/restore",
                              json={"revision": 1, "version": number})
        assert "version" in refused(restore, 422)
        transition = editor.post(f"/api/v1/articles/{SLUG}/transitions",
                                 json={"revision": number, "action": "submit"})
        assert "revision" in refused(transition, 422)
    for username, path in [("edna", f"/articles/{SLUG}/restore/{number}"),
                           ("ada", f"/admin/users/{number}/active"),
                           ("edna", f"/account/tokens/{number}/revoke")]:
        with live.browser(username) as (browser, csrf):
            response = browser.post(path, data={"csrf_token": csrf, "revision": "1",
                                                "active": "0"})
            refused(response, 422, "parameter")


def test_version_zero_is_not_found(live):
    with live.client("edna") as author:  # the article is a draft: only its author sees it
        refused(author.get(f"/api/v1/articles/{SLUG}/versions/0"), 404, "no version 0")
        assert author.get(f"/api/v1/articles/{SLUG}/versions/2").status_code == 200


def test_bodies_over_the_limit_are_413_naming_the_limit(live):
    big = b'{"question": "' + b"a" * (LIMIT + 10) + b'"}'
    with live.client() as anonymous:
        for path in ["/api/v1/ask", "/api/v1/threads", f"/api/v1/articles/{SLUG}/edits"]:
            refused(anonymous.post(path, content=big,
                                   headers={"content-type": "application/json"}),
                    413, "1,000,000 bytes")

        def chunks() -> Iterator[bytes]:  # no Content-Length: Transfer-Encoding: chunked
            yield b'{"question": "'
            for _ in range(40):
                yield b"a" * 65536
            yield b'"}'

        chunked = anonymous.post("/api/v1/ask", content=chunks(),
                                 headers={"content-type": "application/json"})
        assert "content-length" not in chunked.request.headers
        refused(chunked, 413, "1,000,000 bytes")
        form = anonymous.post("/login", content=b"username=" + b"a" * (LIMIT + 1),
                              headers={"content-type": "application/x-www-form-urlencoded"})
        refused(form, 413, "1,000,000 bytes")
        # Just under the limit is read and answered on its merits.
        fits = b'{"question": "' + b"a" * (LIMIT - 100) + b'"}'
        refused(anonymous.post("/api/v1/ask", content=fits,
                               headers={"content-type": "application/json"}), 400, "limit is 2000")


def test_deeply_nested_bodies_are_4xx(live):
    with live.client() as anonymous:
        deep = b'{"question": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        refused(anonymous.post("/api/v1/ask", content=deep,
                               headers={"content-type": "application/json"}),
                400, "nested too deeply")
        shallow = b'{"question": ' + b"[" * 500 + b"]" * 500 + b"}"
        refused(anonymous.post("/api/v1/ask", content=shallow,
                               headers={"content-type": "application/json"}),
                422, "question", "valid string")
        refused(anonymous.post("/api/v1/ask", content=b'{"question": ',
                               headers={"content-type": "application/json"}),
                422, "request body", "invalid JSON")


def test_wrong_methods_are_405_with_allow(live):
    with live.client() as anonymous:
        for method, path, allowed in [("GET", "/api/v1/ask", "POST"),
                                      ("DELETE", "/api/v1/ask", "POST"),
                                      ("PUT", f"/api/v1/articles/{SLUG}", "GET"),
                                      ("DELETE", "/api/v1/articles", "GET, POST"),
                                      ("DELETE", "/articles", "GET"),
                                      ("PATCH", "/login", "GET")]:
            response = anonymous.request(method, path)
            refused(response, 405, "Method Not Allowed")
            assert allowed in response.headers["allow"], (method, path)
            assert method not in response.headers["allow"]


def test_missing_or_bad_credentials_are_401_with_a_challenge(live):
    with live.client() as anonymous:
        for headers in [{}, {"Authorization": "Bearer cm_nope"}, {"Authorization": "Basic eDp5"}]:
            response = anonymous.post("/api/v1/articles", json={"question": QUESTION},
                                      headers=headers)
            refused(response, 401)
            assert response.headers["www-authenticate"].startswith("Bearer")
        page = anonymous.post(f"/articles/{SLUG}/transition/submit", data={"revision": "1"})
        refused(page, 401, "log in first")
        assert "www-authenticate" in page.headers


def test_a_server_error_is_json_with_the_security_headers(live):
    service = live.app.state.service

    def broken(doc_id: str):
        raise RuntimeError("simulated failure")

    service.document = broken  # an instance attribute shadows the method for this test only
    try:
        with live.client() as anonymous:
            api = anonymous.get("/api/v1/documents/fixture:ai-joint")
            message = refused(api, 500, "internal server error")
            assert "simulated" not in message and "Traceback" not in api.text
            # The same connection again: the 500 did not cost the client its keep-alive.
            refused(anonymous.get("/documents/fixture:ai-joint"), 500, "internal server error")
            assert anonymous.get("/api/v1/health").status_code == 200
    finally:
        del service.document


def test_token_page_and_draft_pages_are_not_stored(live):
    with live.browser("edna") as (browser, csrf):
        created = browser.post("/account/tokens", data={"name": "ci", "csrf_token": csrf})
        assert created.status_code == 200 and "cm_" in created.text
        assert created.headers["cache-control"] == "no-store"
        draft = browser.get(f"/articles/{SLUG}")
        assert "Draft" in draft.text and draft.headers["cache-control"] == "no-store"
        assert browser.get(f"/articles/{SLUG}/edit").headers["cache-control"] == "no-store"
    with live.client("edna") as editor:
        assert editor.get(f"/api/v1/articles/{SLUG}").headers["cache-control"] == "no-store"
    with live.client() as anonymous:  # public pages stay cacheable
        assert "cache-control" not in anonymous.get("/articles").headers


def test_tokens_expire_and_lifetimes_are_bounded(live):
    _, plain = live.accounts.create_token(live.team.editor2, "short", days=1)
    with live.client() as client:
        headers = {"Authorization": f"Bearer {plain}"}
        assert client.get(f"/api/v1/articles/{SLUG}/audit", headers=headers).status_code == 404
        with live.db.write() as session:
            session.execute(update(ApiToken).where(ApiToken.name == "short")
                            .values(expires_at=utcnow() - timedelta(seconds=1)))
        expired = client.get("/api/v1/articles", headers=headers)
        refused(expired, 401, "expired")
    with live.browser("eddie") as (browser, csrf):
        too_long = browser.post("/account/tokens", data={"name": "x", "days": "366",
                                                         "csrf_token": csrf})
        refused(too_long, 400, "1 to 365 days")
        page = browser.post("/account/tokens", data={"name": "y", "days": "7",
                                                     "csrf_token": csrf})
        assert page.status_code == 200
        expires = (utcnow() + timedelta(days=7)).strftime("%Y-%m-%d")
        assert expires in page.text


def test_deactivating_a_user_revokes_their_tokens(live):
    user = live.accounts.add_user("temp", "correct horse battery", "editor")
    _, plain = live.accounts.create_token(user, "temp")
    headers = {"Authorization": f"Bearer {plain}"}
    with live.client() as client:
        assert client.get("/api/v1/articles", headers=headers).status_code == 200
        with live.browser("ada") as (admin, csrf):
            off = admin.post(f"/admin/users/{user.id}/active", data={"active": "0",
                                                                     "csrf_token": csrf})
            assert off.status_code == 303
            refused(client.get("/api/v1/articles", headers=headers), 401, "revoked")
            admin.post(f"/admin/users/{user.id}/active", data={"active": "1", "csrf_token": csrf})
        # Reactivation restores the account, not the credentials it had.
        refused(client.get("/api/v1/articles", headers=headers), 401, "revoked")


def test_a_version_without_cited_statements_cannot_be_submitted_or_approved(live):
    content = live.service.content(SLUG, live.team.editor)
    empty = {audience: answer.model_copy(update={
        "direct_answer": answer.direct_answer.model_copy(update={"citations": []}),
        "sections": [section.model_copy(update={"bullets": []}) for section in answer.sections]})
        for audience, answer in content.items()}
    article = live.service.create(live.team.editor, question="Empty article?", content=empty,
                                  library_version="v", slug="empty")
    with live.client("edna") as editor:
        response = editor.post("/api/v1/articles/empty/transitions",
                               json={"revision": article.revision, "action": "submit"})
        refused(response, 409, "no bullets", "clinician")
    assert live.service.get("empty", live.team.editor).state == "draft"


@pytest.mark.parametrize("text", ["", " ", "\x85", "\u3000\t", "a", "a\x00", "\x1f", "dose?",
                                  "\ufffd", "caf\u00e9 \U0001f600", "\x7f", "x\ny"])
def test_the_documented_question_pattern_is_the_engine_rule(text):
    """The OpenAPI pattern is written for clients; the engine's check is what runs. They agree."""
    try:
        check_question(text)
        accepted = True
    except InputError:
        accepted = False
    assert accepted == bool(re.match(QUESTION_PATTERN, text))
