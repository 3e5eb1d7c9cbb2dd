"""Staleness on a real library: new evidence that changes the top evidence flags an approved
article for re-review; unrelated evidence and an unchanged library do not."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from typer.testing import CliRunner

from citemed.articles.auth import Accounts
from citemed.articles.db import Database
from citemed.articles.service import ArticleService
from citemed.articles.staleness import STALE_LABEL, check_stale
from citemed.cli import app
from citemed.model import Document, Kind
from citemed.sources.base import make_section
from tests.articles.conftest import FAST_HASHER, PASSWORD, QUESTION

FIXTURES = Path(__file__).parents[1] / "fixtures" / "articles"


def approved(service, team, content, slug="ai-joint"):
    article = service.create(team.editor, question=QUESTION, content=content,
                             library_version=content["clinician"].generation.library_version,
                             slug=slug)
    for actor, action in [(team.editor, "submit"), (team.reviewer, "start_review"),
                          (team.reviewer, "approve")]:
        article = service.transition(actor, slug, action, revision=article.revision)
    return article


def ingest(library, document: Document) -> None:
    library.ingest_documents([document], source_name="fixture")
    library.refresh_indexes()


GUIDELINE = Document(
    id="fixture:ai-guideline", collection="fixture", kind=Kind.GUIDELINE,
    title="Aromatase inhibitor joint pain and estrogen deprivation: guideline",
    source="Fixture Guideline Group", year=2024,
    sections=[make_section("RECOMMENDATIONS",
                           "Aromatase inhibitor joint pain is linked to estrogen deprivation in "
                           "most women. Offer exercise for aromatase inhibitor joint pain.")])
UNRELATED = Document(
    id="fixture:gout", collection="fixture", kind=Kind.CONSUMER, title="Gout: what to eat",
    source="Fixture Health Site", year=2023,
    sections=[make_section("Diet", "Cherries and low-fat dairy may lower uric acid levels.")])


def test_new_top_evidence_flags_the_approved_article(library, engine, service, team,
                                                     engine_content, browser):
    article = approved(service, team, engine_content)
    unchanged = check_stale(service, engine)
    assert unchanged.skipped == [article.slug] and not unchanged.flagged  # no re-ask needed

    ingest(library, UNRELATED)
    unrelated = check_stale(service, engine)
    assert unrelated.checked == [article.slug] and not unrelated.flagged

    ingest(library, GUIDELINE)
    report = check_stale(service, engine)
    assert list(report.flagged) == [article.slug]
    reason = report.flagged[article.slug]
    assert reason.startswith(STALE_LABEL) and "fixture:ai-guideline" in reason
    flagged = service.get(article.slug, None)
    assert flagged.stale and flagged.state == "approved"
    queue = service.queue(team.reviewer)
    assert [(i.article.slug, i.reason) for i in queue] == [(article.slug, STALE_LABEL)]
    assert [e.action for e in service.audit(article.slug, None)][-1] == "flag_stale"
    assert check_stale(service, engine).flagged == {}  # flagged once, not on every run

    page = browser().client.get(f"/articles/{article.slug}").text
    assert "New evidence: re-review" in page
    reviewer = browser()
    reviewer.login("rita")
    assert "New evidence: re-review (1)" in reviewer.client.get("/review").text

    # Re-review and re-approval clear the flag.
    article = service.transition(team.reviewer, article.slug, "rereview", revision=flagged.revision)
    article = service.transition(team.reviewer, article.slug, "approve", revision=article.revision)
    assert not article.stale and article.approved_by.username == "rita"


def test_citemed_ingest_flags_articles_the_new_evidence_changes(library, engine_content):
    """The CLI path: an article in the library's own articles.sqlite, then `citemed ingest`."""
    db = Database(library.settings.database_url())
    db.migrate()
    accounts = Accounts(db, FAST_HASHER)
    team = SimpleNamespace(
        editor=accounts.add_user("edna", PASSWORD, "editor"),
        reviewer=accounts.add_user("rita", PASSWORD, "reviewer", display_name="Dr Rita Reyes",
                                   credentials="MD", specialty="Oncology"))
    service = ArticleService(db)
    approved(service, team, engine_content)
    result = CliRunner().invoke(app, ["ingest", str(FIXTURES / "new_guideline_pubmed.xml"),
                                      "--library", str(library.folder)])
    assert result.exit_code == 0, result.output
    assert "article ai-joint: New evidence: re-review" in result.output
    assert "pubmed:90500001" in service.get("ai-joint", None).stale_reason
    db.dispose()
