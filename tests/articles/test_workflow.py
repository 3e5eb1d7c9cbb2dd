"""The workflow service on a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from citemed.articles.content import BulletEdit, ContentEdit, SectionEdit
from citemed.articles.db import Database
from citemed.articles.models import ApiToken, Article, Base, LoginThrottle, User, utcnow
from citemed.articles.workflow import TRANSITIONS, Role, State, check_transition
from citemed.errors import (
    ConflictError,
    InputError,
    LibraryError,
    NotFoundError,
    PermissionDenied,
)
from tests.articles.conftest import QUESTION


def make_article(service, team, content, slug="ai-joint-pain"):
    return service.create(team.editor, question=QUESTION, content=content,
                          library_version=content["clinician"].generation.library_version,
                          slug=slug)


def to_review(service, team, content, slug="ai-joint-pain") -> Article:
    article = make_article(service, team, content, slug)
    article = service.transition(team.editor, slug, "submit", revision=article.revision)
    return service.transition(team.reviewer, slug, "start_review", revision=article.revision)


def test_migrations_create_exactly_the_model_schema(db):
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    db.migrate()  # running again on a current schema is a no-op
    db.check_schema()


def test_editor_to_approval_records_reviewer_time_and_version(service, team, content):
    article = make_article(service, team, content)
    assert (article.state, article.current_version) == (State.DRAFT, 1)
    article = service.transition(team.editor, article.slug, "submit", revision=article.revision)
    article = service.transition(team.reviewer, article.slug, "start_review",
                                 revision=article.revision)
    before = service.content(article.slug, team.reviewer)["clinician"]
    first_text = before.sections[0].bullets[0].text
    article = service.edit(team.reviewer, article.slug, revision=article.revision, edit=ContentEdit(
        audience="clinician",
        sections=[SectionEdit(section=0, bullets=[BulletEdit(
            source=0, text="Aromatase inhibitors reduce estrogen after menopause.",
            note="Plain wording; same source sentence.")])]))
    article = service.transition(team.reviewer, article.slug, "approve", revision=article.revision)

    assert article.state == State.APPROVED
    assert article.approved_by.byline == "Dr Rita Reyes, MD (Oncology)"
    assert article.approved_version == 2 and article.approved_at is not None
    after = service.content(article.slug, None)["clinician"]
    bullet = after.sections[0].bullets[0]
    assert bullet.text != first_text
    assert bullet.edited_by == "Dr Rita Reyes, MD (Oncology) (reviewer)"
    assert bullet.note == "Plain wording; same source sentence."
    assert bullet.citations == before.sections[0].bullets[0].citations
    assert bullet.sentence_ids == before.sections[0].bullets[0].sentence_ids
    assert [(e.action, e.from_state, e.to_state, e.version) for e in
            service.audit(article.slug, None)] == [
        ("create", "", "draft", 1), ("submit", "draft", "submitted", 1),
        ("start_review", "submitted", "under_review", 1),
        ("edit", "under_review", "under_review", 2),
        ("approve", "under_review", "approved", 2)]


def test_reviewer_reorders_and_removes_bullets_and_keeps_citations(service, team, content):
    article = to_review(service, team, content)
    original = service.content(article.slug, team.reviewer)["clinician"].sections[1].bullets
    article = service.edit(team.reviewer, article.slug, revision=article.revision, edit=ContentEdit(
        audience="clinician", sections=[
            SectionEdit(section=0, bullets=[]),  # the whole first section goes
            SectionEdit(section=1, bullets=[BulletEdit(source=2, citations=[1]),
                                            BulletEdit(source=0)])]))
    edited = service.content(article.slug, team.reviewer)
    treatment = edited["clinician"].sections
    assert [s.title for s in treatment] == ["Treatment"]
    first, second = treatment[0].bullets
    assert (first.text, first.citations) == (original[2].text, [1])
    assert first.sentence_ids == [original[2].sentence_ids[0]]  # only the kept document's
    assert first.edited_by.endswith("(reviewer)")
    assert second == original[0] and not second.edited_by  # moved, not changed
    assert edited["patient"] == content["patient"]  # the other audience is untouched
    changes = service.audit(article.slug, None)[-1].detail["changes"]
    assert "clinician: removed Treatment bullet 2" in changes
    assert "clinician: moved Treatment bullet 3 to position 1" in changes


def test_a_bullet_can_never_lose_all_its_citations(service, team, content):
    article = to_review(service, team, content)
    cited = content["clinician"].sections[0].bullets[0].citations
    for citations, message in [([], "at least one citation"),
                               ([max(cited) + 7], "were not behind this bullet")]:
        with pytest.raises(InputError, match=message):
            service.edit(team.reviewer, article.slug, revision=article.revision,
                         edit=ContentEdit(sections=[SectionEdit(section=0, bullets=[
                             BulletEdit(source=0, citations=citations)])]))
    broken = {k: v.model_copy(deep=True) for k, v in content.items()}
    broken["clinician"].sections[0].bullets[0].citations = []
    with pytest.raises(InputError, match="clinician section 1 .* at least one citation"):
        make_article(service, team, broken, slug="broken")
    assert service.get(article.slug, None).current_version == 1  # nothing was stored


def test_versions_diff_and_restore(service, team, content):
    article = make_article(service, team, content)
    article = service.edit(team.editor, article.slug, revision=article.revision, edit=ContentEdit(
        sections=[SectionEdit(section=0, bullets=[BulletEdit(source=0, text="Reworded first.")])]))
    diff = service.diff(article.slug, team.editor, 1, 2)
    assert any(line.startswith("+[clinician] - Reworded first.") for line in diff)
    assert any(line.startswith("-[clinician] - ") for line in diff)
    article = service.restore(team.editor, article.slug, revision=article.revision, number=1)
    assert article.current_version == 3
    assert service.content(article.slug, team.editor, 3) == service.content(
        article.slug, team.editor, 1)
    assert [v.summary for v in service.versions(article.slug, team.editor)][2] == \
        "restored version 1"
    assert service.diff(article.slug, team.editor, 1, 3) == []


def test_drafts_are_invisible_to_everyone_but_author_and_admin(service, team, content):
    article = make_article(service, team, content)
    for viewer in [None, team.editor2, team.reviewer]:
        with pytest.raises(NotFoundError):
            service.get(article.slug, viewer)
    assert service.get(article.slug, team.admin).slug == article.slug
    assert service.public_articles() == []
    service.transition(team.editor, article.slug, "submit", revision=article.revision)
    assert [a.slug for a in service.public_articles()] == [article.slug]


def test_author_cannot_approve_own_article_even_as_reviewer(service, team, content, db):
    article = to_review(service, team, content)
    with db.write() as session:  # the author is later promoted to the review board
        session.execute(update(User).where(User.id == team.editor.id).values(role="reviewer"))
    with db.read() as session:
        promoted = session.get(User, team.editor.id)
    with pytest.raises(PermissionDenied, match="own article"):
        service.transition(promoted, article.slug, "approve", revision=article.revision)
    with pytest.raises(PermissionDenied, match="own article"):
        service.edit(promoted, article.slug, revision=article.revision,
                     edit=ContentEdit(sections=[SectionEdit(section=0, bullets=[])]))


ROLES = [None, Role.EDITOR, Role.REVIEWER, Role.ADMIN]
ALLOWED = {  # (action, state, role, is_author) that the workflow must allow; all else is 403
    ("submit", State.DRAFT, Role.EDITOR, True),
    ("submit", State.CHANGES_REQUESTED, Role.EDITOR, True),
    ("start_review", State.SUBMITTED, Role.REVIEWER, False),
    ("request_changes", State.UNDER_REVIEW, Role.REVIEWER, False),
    ("approve", State.UNDER_REVIEW, Role.REVIEWER, False),
    ("rereview", State.APPROVED, Role.REVIEWER, False),
    *(("retract", state, role, author) for state in
      [State.SUBMITTED, State.UNDER_REVIEW, State.APPROVED]
      for role in [Role.REVIEWER, Role.ADMIN] for author in [True, False]),
}


@pytest.mark.parametrize("action,state,role,is_author", list(itertools.product(
    TRANSITIONS, State, ROLES, [True, False])))
def test_transition_table(action, state, role, is_author):
    if (action, state, role, is_author) in ALLOWED:
        assert check_transition(action, state, role, is_author).name == action
    else:
        with pytest.raises(PermissionDenied):
            check_transition(action, state, role, is_author)


def test_stale_revision_is_a_conflict_and_nothing_is_lost(service, team, content):
    article = to_review(service, team, content)
    first = service.edit(team.reviewer, article.slug, revision=article.revision, edit=ContentEdit(
        sections=[SectionEdit(section=0, bullets=[BulletEdit(source=0, note="first note")])]))
    with pytest.raises(ConflictError, match="changed by Dr Rita Reyes.*reload"):
        service.transition(team.reviewer2, article.slug, "approve", revision=article.revision)
    kept = service.content(article.slug, None)["clinician"].sections[0].bullets[0]
    assert kept.note == "first note"
    assert service.get(article.slug, None).state == State.UNDER_REVIEW == first.state


def test_optimistic_lock_rejects_the_second_of_two_open_transactions(service, team, content, db):
    """Both sessions read the same revision; the second write must fail. PostgreSQL reports
    the revision mismatch (UPDATE matched no row); SQLite refuses the second writer outright
    because its snapshot is older than the committed write (SQLITE_BUSY_SNAPSHOT)."""
    expected = StaleDataError if db.dialect == "postgresql" else OperationalError
    article = to_review(service, team, content)
    with db._write() as one, db._read() as two:
        a = one.get(Article, article.id)
        b = two.get(Article, article.id)
        a.state = State.APPROVED
        one.commit()
        b.state = State.CHANGES_REQUESTED
        with pytest.raises(expected):
            two.commit()
    assert service.get(article.slug, None).state == State.APPROVED


def test_concurrent_approvals_exactly_one_wins(service, team, content):
    article = to_review(service, team, content)
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def approve(reviewer: User) -> None:
        barrier.wait()
        try:
            outcomes[reviewer.username] = service.transition(
                reviewer, article.slug, "approve", revision=article.revision)
        except ConflictError as error:
            outcomes[reviewer.username] = error

    threads = [threading.Thread(target=approve, args=(r,)) for r in (team.reviewer, team.reviewer2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [name for name, result in outcomes.items() if isinstance(result, Article)]
    losers = [result for result in outcomes.values() if isinstance(result, ConflictError)]
    assert len(winners) == 1 and len(losers) == 1
    final = service.get(article.slug, None)
    assert final.approved_by.username == winners[0]
    assert [e.action for e in service.audit(article.slug, None)].count("approve") == 1


def test_audit_log_is_append_only_in_the_database(service, team, content, db):
    article = make_article(service, team, content)
    for statement in ["UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"]:
        with pytest.raises(DBAPIError, match="append-only"), db.write_engine.begin() as conn:
            conn.execute(text(statement))
    assert [e.action for e in service.audit(article.slug, team.editor)] == ["create"]


def test_review_queue_by_state_then_age(service, team, content):
    older = to_review(service, team, content, slug="older")
    newer = make_article(service, team, content, slug="newer")
    newer = service.transition(team.editor, newer.slug, "submit", revision=newer.revision)
    make_article(service, team, content, slug="draft-only")
    queue = service.queue(team.reviewer)
    assert [(item.article.slug, item.reason) for item in queue] == [
        ("newer", "Submitted"), ("older", "Under review")]
    assert all(item.age_days >= 0 for item in queue)
    with pytest.raises(PermissionDenied):
        service.queue(None)
    assert older.slug in {a.slug for a in service.public_articles()}


def test_concurrent_migrations_of_a_new_database(database_url, tmp_path):
    """Several server workers starting at once on an empty database: all succeed."""
    # On SQLite the race (switching a new file to WAL) is lost only now and then: repeat it on
    # fresh files so that a regression shows.
    sqlite = database_url.startswith("sqlite")
    urls = [f"sqlite:///{tmp_path / f'round{i}' / 'articles.sqlite'}" for i in range(30)] \
        if sqlite else [database_url]
    for url in urls:
        _migrate_at_once(url, workers=4)


def _migrate_at_once(url: str, workers: int) -> None:
    databases = [Database(url) for _ in range(workers)]
    errors: list[Exception] = []
    barrier = threading.Barrier(len(databases))

    def migrate(db: Database) -> None:
        barrier.wait()
        try:
            db.migrate()
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    # Daemon threads with a join timeout: without the migration lock, PostgreSQL workers were
    # seen to block each other indefinitely.
    threads = [threading.Thread(target=migrate, args=(db,), daemon=True) for db in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "migrations blocked each other"
    assert errors == []
    for db in databases:
        db.check_schema()  # at the newest migration
        db.dispose()


def test_upgrade_from_the_first_schema_keeps_the_data(database_url):
    db = Database(database_url)
    db.migrate("0001")
    with db.write_engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO users (username, password_hash, role, display_name, credentials, "
            "specialty, active, failed_logins, created_at) VALUES ('old', 'x', 'admin', '', '', "
            "'', true, 0, CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) "
            "SELECT id, 'old', 'h', 'cm_', CURRENT_TIMESTAMP FROM users"))
    with pytest.raises(LibraryError, match="run 'citemed articles migrate'"):
        db.check_schema()
    db.migrate()
    db.check_schema()
    with db.read() as session:
        assert [u.username for u in session.scalars(select(User))] == ["old"]
        assert session.scalars(select(LoginThrottle)).all() == []
        # 0003: tokens made before expiry existed get the default 90 days from the upgrade.
        token = session.scalars(select(ApiToken)).one()
        assert timedelta(days=89) < token.expires_at - utcnow() <= timedelta(days=90)
    db.dispose()
