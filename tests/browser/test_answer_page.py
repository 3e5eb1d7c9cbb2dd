"""The answer page in real headless Chromium against a real `citemed serve`."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from citemed.audience import PLAIN_VERDICTS
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

QUESTION = "Does metformin lower weight in women with type 2 diabetes?"


def ask(page, server: str, question: str, audience: str = "clinician") -> None:
    page.goto(f"{server}/")
    page.get_by_label("Your question").fill(question)
    page.get_by_label("Healthcare professional" if audience == "clinician"
                      else "Patient or caregiver").check()
    page.get_by_role("button", name="Ask", exact=True).click()
    page.wait_for_load_state()


def test_ask_shows_a_cited_answer_page_with_its_own_url(page, server):
    ask(page, server, QUESTION)
    params = parse_qs(urlsplit(page.url).query)
    assert params == {"q": [QUESTION], "audience": ["clinician"]}
    assert page.locator("h1").inner_text() == QUESTION
    assert page.locator(".review .badge").inner_text() == "Not reviewed"
    assert "Educational purpose only" in page.locator(".caution").inner_text()
    assert page.locator(".direct-text .verdict").count() == 1
    assert page.locator(".direct-text .cite-num").count() >= 1
    refs = page.locator(".ref-list > li")
    assert refs.count() >= 1
    assert page.locator(".ref-list a", has_text="In the library").count() == refs.count()
    assert "Professional medical disclaimer" in page.locator(".disclaimer h2").inner_text()
    screenshot(page, "answer-clinician")


def test_citation_popover_opens_on_hover_and_keyboard_and_leads_to_the_source(page, server):
    page.goto(f"{server}/ask?q={QUESTION}")
    first = page.locator(".cite").first
    popover = first.locator(".cite-pop")
    assert not popover.is_visible()
    first.locator(".cite-num").hover()
    popover.wait_for(state="visible")
    quote = popover.locator(".pop-quote").first.inner_text()
    assert quote in " ".join(page.locator(".ref-list blockquote").all_text_contents())
    screenshot(page, "citation-popover")
    # Keyboard: move the mouse away, focus the number with Tab, the popover shows again.
    page.mouse.move(0, 0)
    popover.wait_for(state="hidden")
    page.locator("body").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('cite-num')"):
            break
    popover.wait_for(state="visible")
    page.keyboard.press("Escape")
    popover.wait_for(state="hidden")
    # Back onto the number: it opens again, and Tab walks into the popover's links.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    popover.wait_for(state="visible")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Read in source"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/documents/"))
    marked = page.locator("mark.cited")
    assert marked.count() >= 1
    assert marked.first.inner_text() == quote
    screenshot(page, "document-highlight")


def test_audience_switch_rewords_for_patients_and_keeps_quotes(page, server):
    question = "Does metformin cause myalgia in men with type 2 diabetes?"
    page.goto(f"{server}/ask?q={question}")
    clinician_text = page.locator("article.answer").inner_text()
    assert "myalgia" in clinician_text
    clinician_grade = float(re.search(r"grade (\d+\.\d)", page.locator(".grade").first
                                      .inner_text()).group(1))
    page.get_by_role("link", name="Patient or caregiver").click()
    page.wait_for_url(re.compile(r"audience=patient"))
    assert page.get_by_role("link", name="Patient or caregiver").get_attribute(
        "aria-current") == "true"
    body = page.locator("article.answer")
    statements = " ".join(body.locator(".direct-text, .bullets").all_inner_texts())
    assert "muscle pain" in statements and "myalgia" not in statements
    # The quoted source sentence behind the reworded statement is unchanged.
    quotes = " ".join(body.locator(".quotes blockquote").all_text_contents())
    assert "myalgia" in quotes
    # Each change is listed next to the statement.
    page.locator(".wording summary").first.click()
    assert "myalgia → muscle pain" in page.locator(".wording").first.inner_text()
    assert "About this information" in page.locator(".disclaimer h2").inner_text()
    # The short answer opens with the verdict in plain words and reads at a lower grade.
    assert body.locator(".direct-text .verdict").inner_text() in PLAIN_VERDICTS.values()
    patient_grade = float(re.search(r"grade (\d+\.\d)", page.locator(".grade").first
                                    .inner_text()).group(1))
    assert patient_grade < clinician_grade
    screenshot(page, "answer-patient")


def test_follow_up_keeps_the_topic_and_shows_the_resolved_question(page, server):
    page.goto(f"{server}/ask?q={QUESTION}")
    page.get_by_role("textbox", name="Follow-up question").fill("What about in men?")
    page.get_by_role("button", name="Ask follow-up").click()
    page.wait_for_url(re.compile(r"/threads/[\w-]+"))
    thread_url = page.url.split("#")[0]
    latest = page.locator("article#latest")
    assert latest.locator(".turn-question").inner_text().endswith("What about in men?")
    assert latest.locator(".resolved q").inner_text() == (
        "Does metformin lower weight in men with type 2 diabetes?")
    assert "men" in latest.locator(".references").inner_text().lower()

    page.get_by_role("textbox", name="Follow-up question").fill("And the dose?")
    page.get_by_role("button", name="Ask follow-up").click()
    page.wait_for_load_state()
    assert page.locator("article.answer").count() == 3
    resolved = page.locator("article#latest .resolved q").inner_text()
    assert "dose of metformin" in resolved
    assert "500 mg" in page.locator("article#latest").inner_text()
    screenshot(page, "follow-up-thread")
    # The thread has a URL: reopening it in a new page shows the same conversation.
    assert httpx.get(thread_url).text.count('class="answer') == 3


def test_bad_questions_get_a_clear_message(page, server):
    response = page.goto(f"{server}/ask?q=" + "x" * 2001)
    assert response.status == 400
    assert "the limit is 2000" in page.locator(".form-error").inner_text()
    response = page.goto(f"{server}/ask?q=%00%01")
    assert response.status == 400
    assert "binary or control characters" in page.locator(".form-error").inner_text()
