"""Issue 5 (articles team): the editorial flow in real headless Chromium against a real `citemed serve` process: editor
creates and submits, reviewer rewords a bullet and approves, a reader sees the reviewed article.
The `page` fixture fails the test on any CSP violation or script error."""

from __future__ import annotations

import pytest

from citemed.articles.auth import Accounts
from citemed.articles.db import Database
from citemed.web.server import serve_in_subprocess
from tests.articles.conftest import PASSWORD, QUESTION, WORKFLOW_READER_THRESHOLD
from tests.web_documents import build_web_library

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    settings = build_web_library(tmp_path_factory.mktemp("articles-web") / "lib")
    db = Database.from_settings(settings)  # the server finds the same articles.sqlite
    accounts = Accounts(db)
    accounts.add_user("edna", PASSWORD, "editor", display_name="Edna Editor")
    accounts.add_user("rita", PASSWORD, "reviewer", display_name="Dr Rita Reyes",
                      credentials="MD", specialty="Oncology")
    db.dispose()
    # The served process reads its settings from the environment: a page with bullets to edit.
    patch = pytest.MonkeyPatch()
    patch.setenv("CITEMED_READER_THRESHOLD", str(WORKFLOW_READER_THRESHOLD))
    try:
        with serve_in_subprocess(settings.library) as base:
            yield base
    finally:
        patch.undo()


def log_in(tab, site: str, username: str, next_path: str = "/articles") -> None:
    tab.goto(f"{site}/login?next={next_path}")
    tab.get_by_label("Username").fill(username)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_load_state()


def click(tab, name: str) -> None:
    tab.get_by_role("button", name=name).click()
    tab.wait_for_load_state()


def test_editor_to_reviewer_to_reader_in_chromium(browser, page, site):
    log_in(page, site, "edna", "/articles/new")
    page.get_by_label("Question").fill(QUESTION)
    page.get_by_label("Slug (optional, e.g. ai-joint-pain)").fill("ai-joint")
    click(page, "Create draft")
    assert page.url.endswith("/articles/ai-joint")
    assert page.get_by_test_id("status").inner_text() == "Draft"
    click(page, "Submit for review")
    assert page.get_by_test_id("status").inner_text() == "Submitted"
    click(page, "Log out")

    log_in(page, site, "rita", "/review")
    assert page.get_by_role("link", name=QUESTION).count() == 1
    page.get_by_role("link", name=QUESTION).click()
    click(page, "Start review")
    page.get_by_role("link", name="Edit", exact=True).click()
    first = page.locator("textarea").first
    first.fill("Reworded by the reviewer for clarity.")
    page.locator("input[name$='-note']").first.fill("Wording simplified; same source.")
    click(page, "Save as new version")
    assert "wording changed by Dr Rita Reyes, MD (Oncology) (reviewer)" in page.content()
    click(page, "Approve")
    assert page.get_by_test_id("status").inner_text() == "Approved"

    reader = browser.new_context().new_page()
    reader.goto(f"{site}/articles/ai-joint")
    reviewed = reader.get_by_test_id("reviewed").inner_text()
    assert "Medically reviewed by Dr Rita Reyes, MD (Oncology)" in reviewed
    assert reader.locator(".caution").count() == 0
    assert "Reworded by the reviewer for clarity." in reader.content()
    assert "Note: Wording simplified; same source." in reader.content()
    reader.context.close()
