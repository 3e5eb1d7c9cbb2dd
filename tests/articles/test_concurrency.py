"""Real concurrent HTTP requests against a real uvicorn server: two reviewers acting on the same
revision at once -> exactly one wins, the other gets 409 with a clear message, nothing is lost.
Runs on SQLite and (in CI) PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from citemed.articles.auth import Accounts
from tests.articles.conftest import FAST_HASHER, QUESTION
from tests.articles.live import serve

ROUNDS = 4


@pytest.fixture
def server(app) -> Iterator[str]:
    with serve(app) as base:
        yield base


def race(base: str, requests: list[tuple[str, str, dict]]) -> list[httpx.Response]:
    """Send the requests from separate threads, released together by a barrier."""
    barrier = threading.Barrier(len(requests))
    results: list[httpx.Response | None] = [None] * len(requests)

    def send(i: int, token: str, path: str, body: dict) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            barrier.wait()
            results[i] = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})

    threads = [threading.Thread(target=send, args=(i, *req)) for i, req in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


def under_review(service, team, content, slug):
    article = service.create(team.editor, question=QUESTION, content=content,
                             library_version="v1", slug=slug)
    article = service.transition(team.editor, slug, "submit", revision=article.revision)
    return service.transition(team.reviewer, slug, "start_review", revision=article.revision)


def test_concurrent_approvals_and_edits_one_wins_one_conflicts(server, db, team, service, content):
    accounts = Accounts(db, FAST_HASHER)
    tokens = {u.username: accounts.create_token(u, "race")[1] for u in (team.reviewer,
                                                                          team.reviewer2)}
    for round_ in range(ROUNDS):
        slug = f"race-{round_}"
        article = under_review(service, team, content, slug)
        # Both reviewers edit the same revision with different notes.
        edits = race(server, [(tokens[name], f"/api/v1/articles/{slug}/edits", {
            "revision": article.revision, "sections": [
                {"section": 0, "bullets": [{"source": 0, "note": f"note by {name}"}]}]})
            for name in tokens])
        assert sorted(r.status_code for r in edits) == [200, 409], [r.text for r in edits]
        loser = next(r for r in edits if r.status_code == 409).json()["error"]
        assert "reload" in loser
        winner = next(r for r in edits if r.status_code == 200).json()
        stored = service.content(slug, None)["clinician"].sections[0].bullets[0].note
        assert stored.startswith("note by ")
        assert winner["version"] == 2 == service.get(slug, None).current_version

        # Both reviewers approve the same (new) revision.
        approvals = race(server, [(tokens[name], f"/api/v1/articles/{slug}/transitions",
                                   {"revision": winner["revision"], "action": "approve"})
                                  for name in tokens])
        assert sorted(r.status_code for r in approvals) == [200, 409], \
            [r.text for r in approvals]
        approved = next(r for r in approvals if r.status_code == 200).json()
        final = service.get(slug, None)
        assert final.state == "approved"
        assert final.approved_by.byline == approved["approval"]["byline"]
        actions = [e.action for e in service.audit(slug, None)]
        assert actions.count("approve") == 1 and actions.count("edit") == 1


def test_api_flow_with_tokens(server, db, team, service, content):
    accounts = Accounts(db, FAST_HASHER)
    editor = {"Authorization": f"Bearer {accounts.create_token(team.editor, 'ci')[1]}"}
    reviewer = {"Authorization": f"Bearer {accounts.create_token(team.reviewer, 'ci')[1]}"}
    with httpx.Client(base_url=server, timeout=60) as client:
        assert client.post("/api/v1/articles", json={"question": QUESTION}).status_code == 401
        created = client.post("/api/v1/articles", headers=editor,
                              json={"question": QUESTION, "slug": "api-flow"})
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["state"] == "draft" and body["caution"]
        assert client.get("/api/v1/articles/api-flow").status_code == 404  # draft is private
        rev = client.post("/api/v1/articles/api-flow/transitions", headers=editor,
                          json={"revision": body["revision"], "action": "submit"}).json()
        for action in ["start_review", "approve"]:
            rev = client.post("/api/v1/articles/api-flow/transitions", headers=reviewer,
                              json={"revision": rev["revision"], "action": action}).json()
        public = client.get("/api/v1/articles/api-flow").json()
        assert public["state"] == "approved" and public["caution"] is None
        assert public["approval"]["byline"] == "Dr Rita Reyes, MD (Oncology)"
        assert public["content"]["clinician"]["references"][0]["quotes"]
        audit = client.get("/api/v1/articles/api-flow/audit").json()["audit"]
        assert [e["action"] for e in audit] == ["create", "submit", "start_review", "approve"]
        bad = client.post("/api/v1/articles/api-flow/transitions", headers={
            "Authorization": "Bearer cm_not-a-token"}, json={"revision": 1, "action": "retract"})
        assert bad.status_code == 401
