"""The issue's "done when" path on real data: ingest PubMedQA with the CLI, serve it, open the
page, ask the sample question, read a cited answer, switch to the patient view, follow up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from citemed.web.pages import EXAMPLE_QUESTIONS
from citemed.web.server import serve_in_subprocess
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_new_user_asks_the_sample_question_switches_audience_and_follows_up(
        page, data_dir, tmp_path):
    library = tmp_path / "lib"
    subprocess.run([sys.executable, "-m", "citemed.cli", "ingest",
                    str(data_dir / "pubmedqa" / "ori_pqal.json"), "--format", "pubmedqa",
                    "--library", str(library)], check=True, capture_output=True,
                   env={"PYTHONPATH": str(Path(__file__).parents[2] / "src"),
                        "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    with serve_in_subprocess(library) as base:
        page.goto(base + "/")
        page.get_by_role("link", name=EXAMPLE_QUESTIONS[0]).click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == EXAMPLE_QUESTIONS[0]
        assert page.locator(".direct-text .cite-num").count() >= 1
        assert page.locator(".ref-list > li").count() >= 1
        assert "PubMed" in page.locator(".ref-list").inner_text()

        page.get_by_role("link", name="Patient or caregiver").click()
        page.wait_for_load_state()
        assert page.locator(".direct-title").first.inner_text().lower() == "the short answer"
        screenshot(page, "journey-patient")

        page.get_by_role("textbox", name="Follow-up question").fill("What about in men?")
        page.get_by_role("button", name="Ask follow-up").click()
        page.wait_for_url("**/threads/**")
        resolved = page.locator("article#latest .resolved q").inner_text()
        # The follow-up's population replaces the one asked about ("in women" -> "in men").
        assert "aromatase" in resolved and " men " in resolved and "women" not in resolved
        screenshot(page, "journey-follow-up")
