"""The articles web pages over HTTP: the editorial flow, and its security properties."""

from __future__ import annotations

import html
import re

from citemed.articles.workflow import State
from tests.articles.conftest import QUESTION


def status_badge(page: str) -> str:
    return re.search(r'data-testid="status">([^<]+)<', page).group(1)


def revision_on(page: str) -> str:
    return re.search(r'name="revision" value="(\d+)"', page).group(1)


def test_editor_creates_reviewer_edits_and_approves_reader_sees_reviewer(browser, service):
    editor, reviewer, reader = browser(), browser(), browser()
    assert editor.login("edna").status_code == 303
    created = editor.post("/articles/new", {"question": QUESTION, "slug": "ai-joint"})
    assert created.status_code == 303 and created.headers["location"] == "/articles/ai-joint"
    assert reader.client.get("/articles/ai-joint").status_code == 404  # drafts are private
    page = editor.client.get("/articles/ai-joint").text
    assert status_badge(page) == "Draft"
    editor.post("/articles/ai-joint/transition/submit", {"revision": revision_on(page)})

    public = reader.client.get("/articles/ai-joint").text
    assert status_badge(public) == "Submitted"
    assert 'class="caution"' in public and "pending human review" in public
    assert "Medically reviewed by" not in public

    reviewer.login("rita", next="/review")
    queue = reviewer.client.get("/review").text
    assert "ai-joint" in queue and "Submitted (1)" in queue
    page = reviewer.client.get("/articles/ai-joint").text
    reviewer.post("/articles/ai-joint/transition/start_review", {"revision": revision_on(page)})
    form = reviewer.client.get("/articles/ai-joint/edit").text
    fields = dict(re.findall(r'name="(b-[^"]+|revision|audience)" value="([^"]*)"', form))
    fields.update({key: "1" for key in fields if key.endswith("-keep")})
    fields.update(dict(re.findall(r'name="(b-\d+-\d+-text)" rows="2">([^<]*)<', form)))
    fields = {key: html.unescape(value) for key, value in fields.items()}
    fields["b-0-0-text"] = "Aromatase inhibitors lower estrogen after menopause."
    fields["b-0-0-note"] = "Checked against the cited study."
    assert reviewer.post("/articles/ai-joint/edit", fields).status_code == 303
    page = reviewer.client.get("/articles/ai-joint").text
    assert reviewer.post("/articles/ai-joint/transition/approve",
                         {"revision": revision_on(page)}).status_code == 303

    public = reader.client.get("/articles/ai-joint").text
    assert status_badge(public) == "Approved"
    assert "Medically reviewed by <strong>Dr Rita Reyes, MD (Oncology)</strong>" in public
    assert "pending human review" not in public and 'class="caution"' not in public
    assert "(wording changed by Dr Rita Reyes, MD (Oncology) (reviewer))" in public
    assert "Note: Checked against the cited study." in public
    assert "approve: under_review → approved" in public  # the audit log is on the page
    listing = reader.client.get("/articles").text
    assert "ai-joint" in listing and "Reviewed by Dr Rita Reyes, MD (Oncology)" in listing
    versions = reader.client.get("/articles/ai-joint/versions?old=1&new=2").text
    assert "+[clinician] - Aromatase inhibitors lower estrogen after menopause." in \
        html.unescape(versions)
    assert service.get("ai-joint", None).approved_version == 2


def test_everything_rendered_is_escaped(browser, service, team, content):
    service.create(team.editor, question="Is <script>alert(1)</script> safe?", content=content,
                   library_version="v", slug="xss")
    editor = browser()
    editor.login("edna")
    page = editor.client.get("/articles/xss").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_form_posts_without_the_session_csrf_token_fail(browser, service, team, content):
    article = service.create(team.editor, question=QUESTION, content=content,
                             library_version="v", slug="csrf")
    editor = browser()
    editor.login("edna")
    for data in [{"revision": str(article.revision)},
                 {"revision": str(article.revision), "csrf_token": "forged"}]:
        response = editor.post("/articles/csrf/transition/submit", data, csrf=False)
        assert response.status_code == 403 and "CSRF" in response.text
    other = browser()  # a valid token, but from someone else's session
    other.login("eddie")
    response = editor.post("/articles/csrf/transition/submit",
                           {"revision": str(article.revision), "csrf_token": other.csrf()},
                           csrf=False)
    assert response.status_code == 403
    assert service.get("csrf", team.editor).state == State.DRAFT
    assert editor.post("/logout", csrf=False).status_code == 403
    login_without_cookie = browser().client.post("/login", data={
        "username": "edna", "password": "correct horse battery", "csrf_token": "x"})
    assert login_without_cookie.status_code == 403


def test_login_rotates_the_session_id_and_sets_safe_cookie_flags(browser, app):
    attacker_chosen = "planted-session-id"
    victim = browser()
    victim.client.cookies.set("citemed_session", attacker_chosen, domain="testserver")
    response = victim.login("edna")
    assert response.status_code == 303
    set_cookie = response.headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "Secure" in set_cookie
    assert "samesite=lax" in set_cookie.lower()
    issued = re.search(r"citemed_session=([^;]+)", set_cookie).group(1)
    assert issued != attacker_chosen
    planted = browser()  # the planted id grants nothing
    planted.client.cookies.set("citemed_session", attacker_chosen, domain="testserver")
    assert planted.client.get("/review").status_code == 303
    second = victim.login("edna")  # logging in again replaces the session again
    renewed = re.search(r"citemed_session=([^;]+)", second.headers["set-cookie"]).group(1)
    assert renewed != issued
    stale = browser()
    stale.client.cookies.set("citemed_session", issued, domain="testserver")
    assert stale.client.get("/review").status_code == 303


def test_login_next_redirects_only_to_local_paths(browser):
    for target, expected in [("/review", "/review"), ("https://evil.example/x", "/articles"),
                             ("//evil.example", "/articles"), ("/\\evil.example", "/articles")]:
        response = browser().login("edna", next=target)
        assert response.headers["location"] == expected, target
    form = browser().client.get("/login?next=https://evil.example").text
    assert 'name="next" value="/articles"' in form


def test_repeated_failed_logins_are_throttled(browser):
    person = browser()
    codes = [person.login("edna", password="not the password").status_code for _ in range(7)]
    assert codes[:6] == [401] * 6 and codes[6] == 429
    assert "try again in" in person.login("edna").text


def test_every_page_renders_for_every_role(browser, service, team, content):
    """Each GET page for each kind of visitor: rendered (200), sent to log in (303) or refused
    (403); never a template error."""
    service.create(team.editor, question=QUESTION, content=content, library_version="v",
                   slug="page")
    article = service.get("page", team.editor)
    service.transition(team.editor, "page", "submit", revision=article.revision)
    pages = ["/articles", "/articles/page", "/articles/page/versions?old=1&new=1", "/review",
             "/articles/new", "/account/tokens", "/admin/users", "/login",
             "/articles/page/edit", "/api/v1/articles", "/api/v1/articles/page",
             "/api/v1/articles/page/versions", "/api/v1/articles/page/audit",
             "/api/v1/articles/page/diff?old=1&new=1", "/api/v1/articles/page/versions/1"]
    expected = {
        None: {"/review": 303, "/articles/new": 303, "/account/tokens": 303,
               "/admin/users": 303, "/articles/page/edit": 303},
        "edna": {"/admin/users": 403, "/articles/page/edit": 403},
        "rita": {"/admin/users": 403, "/articles/new": 403, "/articles/page/edit": 403},
        "ada": {"/articles/new": 403, "/articles/page/edit": 403},
    }
    for username, special in expected.items():
        visitor = browser()
        if username:
            visitor.login(username)
        for path in pages:
            response = visitor.client.get(path)
            assert response.status_code == special.get(path, 200), (username, path)
            if response.status_code == 200 and not path.startswith("/api/"):
                assert "</html>" in response.text
