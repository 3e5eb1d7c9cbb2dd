"""The answer page's "Save as article" action for signed-in editors (web team, issue 4)."""

from __future__ import annotations

import re

from tests.articles.conftest import QUESTION

SAVE_FORM = re.compile(r'<form class="save-article" method="post" action="/articles/new">'
                       r'.*?name="question" value="([^"]*)"', re.S)


def test_editors_save_the_answer_on_screen_as_a_draft_article(browser):
    editor = browser()
    editor.login("edna")
    page = editor.client.get("/ask", params={"q": QUESTION}).text
    form = SAVE_FORM.search(page)
    assert form and form.group(1) == QUESTION
    token = editor.csrf(f"/ask?q={QUESTION}", form_action="/articles/new")
    created = editor.client.post("/articles/new", data={"question": form.group(1),
                                                         "csrf_token": token})
    assert created.status_code == 303
    article = editor.client.get(created.headers["location"]).text
    assert QUESTION in article and "Draft" in article


def test_readers_and_reviewers_get_no_save_action(browser):
    reader, reviewer = browser(), browser()
    reviewer.login("rita", next="/review")
    for person in (reader, reviewer):
        page = person.client.get("/ask", params={"q": QUESTION}).text
        assert "<h1>" in page and 'class="save-article"' not in page
