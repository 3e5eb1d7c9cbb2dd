"""Table-driven: every mutating route x every role x every workflow state. Forbidden mutations get
403 (404 where the article is a draft the caller may not even see), anonymous callers 401, and
nothing changes; every allowed one succeeds on a fresh article in the same state."""

from __future__ import annotations

import itertools

import pytest
from fastapi.testclient import TestClient

from citemed.articles.auth import Accounts
from citemed.articles.content import BulletEdit, ContentEdit, SectionEdit
from citemed.articles.workflow import State
from tests.articles.conftest import FAST_HASHER, QUESTION
from tests.articles.test_workflow import ALLOWED

# How to bring an editor's fresh article (two versions) to each state: (actor, action) steps.
PATHS = {
    State.DRAFT: [],
    State.SUBMITTED: [("editor", "submit")],
    State.UNDER_REVIEW: [("editor", "submit"), ("reviewer", "start_review")],
    State.CHANGES_REQUESTED: [("editor", "submit"), ("reviewer", "start_review"),
                              ("reviewer", "request_changes")],
    State.APPROVED: [("editor", "submit"), ("reviewer", "start_review"), ("reviewer", "approve")],
    State.RETRACTED: [("editor", "submit"), ("reviewer", "retract")],
}
ACTORS = [None, "editor", "editor2", "reviewer", "admin"]  # "editor" is every article's author
ACTIONS = ["submit", "start_review", "request_changes", "approve", "rereview", "retract",
           "edit", "restore"]
# Content changes allowed (hand-written, independent of workflow.EDIT_RULES).
EDIT_ALLOWED = {(State.DRAFT, "editor"), (State.CHANGES_REQUESTED, "editor"),
                (State.UNDER_REVIEW, "reviewer")}


def allowed(action: str, state: State, actor: str | None) -> bool:
    if actor is None:
        return False
    if action in ("edit", "restore"):
        return (state, actor) in EDIT_ALLOWED
    role = {"editor": "editor", "editor2": "editor", "reviewer": "reviewer", "admin": "admin"}
    return (action, state, role[actor], actor == "editor") in ALLOWED


def expected_refusal(state: State, actor: str | None) -> int:
    if actor is None:
        return 401
    if state is State.DRAFT and actor not in ("editor", "admin"):
        return 404  # other people's drafts do not exist for them
    return 403


class Caller:
    """Sends one mutation as a form post (session + CSRF) or an API call (bearer token)."""

    def __init__(self, app, channel: str, username: str | None, accounts: Accounts) -> None:
        self.channel = channel
        self.client = TestClient(app, base_url="https://testserver", follow_redirects=False)
        self.headers: dict[str, str] = {}
        self.csrf = ""
        if username is None:
            return
        if channel == "api":
            user = next(u for u in accounts.users() if u.username == username)
            self.headers = {"Authorization": f"Bearer {accounts.create_token(user, 't')[1]}"}
        else:
            result = accounts.login(username, "correct horse battery")
            self.client.cookies.set("citemed_session", result.session_token)
            self.csrf = result.csrf_token

    def mutate(self, slug: str, action: str, revision: int):
        if self.channel == "api":
            path, body = {
                "edit": (f"/api/v1/articles/{slug}/edits", {"revision": revision, "sections": [
                    {"section": 0, "bullets": [{"source": 0, "note": "checked"}]}]}),
                "restore": (f"/api/v1/articles/{slug}/restore",
                            {"revision": revision, "version": 1}),
            }.get(action, (f"/api/v1/articles/{slug}/transitions",
                           {"revision": revision, "action": action}))
            return self.client.post(path, json=body, headers=self.headers)
        data = {"revision": str(revision), "csrf_token": self.csrf}
        if action == "edit":
            path = f"/articles/{slug}/edit"
            data.update({"audience": "clinician", "b-0-0-keep": "1", "b-0-0-text": "Reworded.",
                         "b-0-0-cites": "1"})
        elif action == "restore":
            path = f"/articles/{slug}/restore/1"
        else:
            path = f"/articles/{slug}/transition/{action}"
        return self.client.post(path, data=data)

    def ok(self, response) -> bool:
        return response.status_code == (200 if self.channel == "api" else 303)


@pytest.fixture
def make_article(service, team, content):
    users = {"editor": team.editor, "reviewer": team.reviewer}

    def make(slug: str, state: State):
        article = service.create(team.editor, question=QUESTION, content=content,
                                 library_version="v1", slug=slug)
        article = service.edit(team.editor, slug, revision=article.revision, edit=ContentEdit(
            sections=[SectionEdit(section=0, bullets=[BulletEdit(source=0, note="draft note")])]))
        for actor, action in PATHS[state]:
            article = service.transition(users[actor], slug, action, revision=article.revision)
        return article

    return make


@pytest.mark.parametrize("channel", ["form", "api"])
def test_every_mutation_by_every_role_in_every_state(channel, app, db, team, service,
                                                     make_article):
    accounts = Accounts(db, FAST_HASHER)
    names = {"editor": "edna", "editor2": "eddie", "reviewer": "rita", "admin": "ada"}
    callers = {actor: Caller(app, channel, names.get(actor or ""), accounts) for actor in ACTORS}
    articles = {state: make_article(f"s-{state.value.replace('_', '-')}", state)
                for state in State}
    failures = []
    for state, actor, action in itertools.product(State, ACTORS, ACTIONS):
        caller = callers[actor]
        if allowed(action, state, actor):
            slug = f"ok-{state.value.replace('_', '-')}-{actor}-{action.replace('_', '-')}"
            fresh = make_article(slug, state)
            response = caller.mutate(slug, action, fresh.revision)
            if not caller.ok(response):
                failures.append((state, actor, action, "allowed", response.status_code,
                                 response.text[:200]))
            continue
        article = articles[state]
        response = caller.mutate(article.slug, action, article.revision)
        want = expected_refusal(state, actor)
        if response.status_code != want:
            failures.append((state, actor, action, want, response.status_code,
                             response.text[:200]))
    assert failures == []
    for state, article in articles.items():  # the refused requests changed nothing
        after = service.get(article.slug, team.admin)
        assert (after.state, after.revision, after.current_version) == \
            (state, article.revision, article.current_version)


def test_account_and_creation_routes_by_role(app, db, team, service):
    accounts = Accounts(db, FAST_HASHER)
    names = {"editor": "edna", "editor2": "eddie", "reviewer": "rita", "admin": "ada"}
    callers = {actor: Caller(app, "form", names.get(actor or ""), accounts) for actor in ACTORS}
    others_token, _ = accounts.create_token(team.admin, "admin's")
    new_user = {"username": "newbie", "password": "long enough pw", "role": "editor"}
    cases = [  # (path, form data, actors allowed)
        ("/articles/new", {"question": QUESTION}, {"editor", "editor2"}),
        ("/admin/users", new_user, {"admin"}),
        (f"/admin/users/{team.editor2.id}/active", {"active": "1"}, {"admin"}),
        ("/account/tokens", {"name": "laptop"}, {"editor", "editor2", "reviewer", "admin"}),
    ]
    for path, data, allowed_actors in cases:
        for actor in ACTORS:
            caller = callers[actor]
            form = dict(data, csrf_token=caller.csrf)
            if path == "/articles/new":
                form["slug"] = f"new-{actor}"
            if path == "/admin/users":
                form["username"] = f"newbie-{actor}"
            response = caller.client.post(path, data=form)
            if actor in allowed_actors:
                assert response.status_code in (200, 303), (path, actor, response.text[:200])
            else:
                assert response.status_code == expected_refusal(State.SUBMITTED, actor), \
                    (path, actor, response.status_code)
    for actor in ["editor", "reviewer"]:  # someone else's token cannot be revoked
        caller = callers[actor]
        response = caller.client.post(f"/account/tokens/{others_token.id}/revoke",
                                      data={"csrf_token": caller.csrf})
        assert response.status_code == 404
    assert callers[None].client.post(f"/account/tokens/{others_token.id}/revoke").status_code \
        == 401
    assert all(t.revoked_at is None for t in accounts.tokens(team.admin))
    api = {actor: Caller(app, "api", names.get(actor or ""), accounts) for actor in ACTORS}
    for actor, caller in api.items():
        response = caller.client.post("/api/v1/articles", headers=caller.headers,
                                      json={"question": QUESTION, "slug": f"api-{actor}"})
        want = 201 if actor in ("editor", "editor2") else expected_refusal(State.SUBMITTED, actor)
        assert response.status_code == want, (actor, response.text[:200])
    assert {u.username for u in accounts.users()} >= {"newbie-admin"}
    assert "newbie-editor" not in {u.username for u in accounts.users()}
