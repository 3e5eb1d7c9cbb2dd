"""Articles: create, edit (each edit a new version), workflow transitions, restore, diff, audit.

Every mutation runs in one write transaction that checks permissions (workflow.py), checks the
caller's `revision` against the article's (optimistic locking), writes the change and its audit
entry together: either all of it is stored or none of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from citemed.articles.content import (
    Content,
    ContentEdit,
    apply_edit,
    check_storable,
    diff_lines,
    dump_content,
    load_content,
    validate_content,
)
from citemed.articles.db import Database
from citemed.articles.models import Article, ArticleVersion, AuditEntry, User, utcnow
from citemed.articles.workflow import (
    PUBLIC_STATES,
    QUEUE_STATES,
    Role,
    State,
    check_actor,
    check_edit,
    check_editor,
    check_transition,
)
from citemed.errors import ConflictError, InputError, NotFoundError, PermissionDenied

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG = 120
RESERVED_SLUGS = frozenset({"new"})  # /articles/new is the editor's form
MAX_COMMENT = 2000
# Transitions that put a version in front of a reviewer or the public.
NEEDS_BULLETS = frozenset({"submit", "approve"})


def slugify(question: str) -> str:
    words = re.findall(r"[a-z0-9]+", question.lower())
    slug = "-".join(words)[:80].strip("-")
    return slug or "article"


def check_slug(slug: str) -> str:
    if slug in RESERVED_SLUGS:
        raise InputError(f"slug {slug!r} is reserved for a page; choose another")
    if not SLUG_RE.match(slug) or len(slug) > MAX_SLUG:
        raise InputError(f"slug {slug!r}: use lowercase letters, digits and single hyphens "
                         f"(at most {MAX_SLUG} characters)")
    return slug


def role_of(user: User | None) -> Role | None:
    return Role(user.role) if user is not None else None


def edit_label(user: User) -> str:
    return f"{user.byline} ({user.role})"


@dataclass
class QueueItem:
    article: Article
    age_days: float
    reason: str


class ArticleService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _load(session: Session, slug: str) -> Article:
        if len(slug) > MAX_SLUG or not SLUG_RE.match(slug):
            # No article can have it, and PostgreSQL would refuse a NUL in the query.
            raise NotFoundError(f"no article {slug!r}")
        article = session.scalars(select(Article).where(Article.slug == slug)).one_or_none()
        if article is None:
            raise NotFoundError(f"no article {slug!r}")
        return article

    @staticmethod
    def _visible(article: Article, viewer: User | None) -> bool:
        if State(article.state) in PUBLIC_STATES:
            return True
        return viewer is not None and (viewer.id == article.author_id or viewer.role == Role.ADMIN)

    def _load_visible(self, session: Session, slug: str, viewer: User | None) -> Article:
        article = self._load(session, slug)
        if not self._visible(article, viewer):
            # Drafts are nobody else's business: answer as if they did not exist.
            raise NotFoundError(f"no article {slug!r}")
        return article

    @staticmethod
    def _check_revision(session: Session, article: Article, revision: int) -> None:
        if article.revision == revision:
            return
        last = session.scalars(select(AuditEntry).where(AuditEntry.article_id == article.id)
                               .order_by(AuditEntry.id.desc()).limit(1)).first()
        by = f" by {last.actor_name} ({last.action})" if last else ""
        raise ConflictError(
            f"article {article.slug!r} was changed{by} after you loaded it (you had revision "
            f"{revision}, it is now {article.revision}); reload it and apply your change again")

    def _editable(self, session: Session, slug: str, actor: User | None,
                  revision: int) -> tuple[Article, User]:
        """The article, if `actor` may change its content now at `revision`."""
        article = self._load_visible(session, slug, actor)
        is_author = actor is not None and actor.id == article.author_id
        check_editor(role_of(actor), is_author)
        assert actor is not None
        self._check_revision(session, article, revision)
        check_edit(State(article.state), role_of(actor), is_author)
        return article, actor

    @staticmethod
    def _audit(session: Session, article: Article, actor: User | None, action: str, *,
               from_state: str = "", to_state: str = "", version: int | None = None,
               **detail: object) -> None:
        session.add(AuditEntry(
            article_id=article.id, actor_id=actor.id if actor else None,
            actor_name=actor.byline if actor else "system", action=action,
            from_state=from_state, to_state=to_state, version=version, detail=detail,
        ))

    @staticmethod
    def _new_version(session: Session, article: Article, actor: User, content: Content,
                     summary: str, library_version: str) -> ArticleVersion:
        validate_content(content)
        article.current_version += 1
        article.updated_at = utcnow()
        # Flush the article UPDATE (with its revision check) before inserting the version, so a
        # lost race fails on the optimistic lock with a clear message.
        session.flush()
        version = ArticleVersion(
            article_id=article.id, number=article.current_version, content=dump_content(content),
            library_version=library_version, author_id=actor.id, summary=summary[:500],
        )
        session.add(version)
        return version

    # ------------------------------------------------------------------ reading

    def get(self, slug: str, viewer: User | None) -> Article:
        with self.db.read() as session:
            return self._load_visible(session, slug, viewer)

    def version(self, slug: str, number: int | None, viewer: User | None) -> ArticleVersion:
        with self.db.read() as session:
            article = self._load_visible(session, slug, viewer)
            found = session.scalars(select(ArticleVersion).where(
                ArticleVersion.article_id == article.id,
                ArticleVersion.number == (article.current_version if number is None
                                          else number))).one_or_none()
            if found is None:
                raise NotFoundError(f"article {slug!r} has no version {number}")
            return found

    def content(self, slug: str, viewer: User | None, number: int | None = None) -> Content:
        return load_content(self.version(slug, number, viewer).content)

    def versions(self, slug: str, viewer: User | None) -> list[ArticleVersion]:
        with self.db.read() as session:
            article = self._load_visible(session, slug, viewer)
            return list(session.scalars(select(ArticleVersion)
                                        .where(ArticleVersion.article_id == article.id)
                                        .order_by(ArticleVersion.number)))

    def diff(self, slug: str, viewer: User | None, old: int, new: int) -> list[str]:
        old_content = self.content(slug, viewer, old)
        new_content = self.content(slug, viewer, new)
        return diff_lines(old_content, new_content, f"version {old}", f"version {new}")

    def audit(self, slug: str, viewer: User | None) -> list[AuditEntry]:
        with self.db.read() as session:
            article = self._load_visible(session, slug, viewer)
            return list(session.scalars(select(AuditEntry)
                                        .where(AuditEntry.article_id == article.id)
                                        .order_by(AuditEntry.id)))

    def public_articles(self) -> list[Article]:
        with self.db.read() as session:
            return list(session.scalars(select(Article)
                                        .where(Article.state.in_([s.value for s in PUBLIC_STATES]))
                                        .order_by(Article.updated_at.desc())))

    def own_drafts(self, viewer: User) -> list[Article]:
        with self.db.read() as session:
            return list(session.scalars(select(Article).where(
                Article.author_id == viewer.id, Article.state == State.DRAFT)
                .order_by(Article.updated_at.desc())))

    def queue(self, viewer: User | None, now: datetime | None = None) -> list[QueueItem]:
        """Articles waiting on someone, by workflow state then oldest first; approved articles
        flagged by new evidence join the queue for re-review."""
        if viewer is None:
            raise PermissionDenied("log in to see the review queue")
        now = now or utcnow()
        order = {state.value: i for i, state in enumerate(QUEUE_STATES)}
        with self.db.read() as session:
            rows = session.scalars(select(Article).where(
                Article.state.in_(list(order)) | (Article.stale & (Article.state == State.APPROVED))
            )).all()
        items = [QueueItem(article, (now - article.state_changed_at).total_seconds() / 86400,
                           "New evidence: re-review" if article.stale else State(article.state).label)
                 for article in rows]
        items.sort(key=lambda item: (order.get(item.article.state, len(order)),
                                     item.article.state_changed_at))
        return items

    # ------------------------------------------------------------------ writing

    def create(self, actor: User | None, *, question: str, content: Content,
               library_version: str, slug: str | None = None) -> Article:
        if actor is None or actor.role != Role.EDITOR:
            raise PermissionDenied("only editors create articles")
        question = " ".join(question.split())
        if not question:
            raise InputError("the question is empty")
        slug = check_slug(slug or slugify(question))
        validate_content(content)
        with self.db.write() as session:
            if session.scalars(select(Article.id).where(Article.slug == slug)).first():
                raise ConflictError(f"an article with slug {slug!r} already exists")
            article = Article(slug=slug, question=question, state=State.DRAFT,
                              author_id=actor.id, current_version=0,
                              library_version=library_version,
                              checked_library_version=library_version)
            session.add(article)
            session.flush()
            self._new_version(session, article, actor, content, "created from the engine's answer",
                              library_version)
            self._audit(session, article, actor, "create", to_state=State.DRAFT, version=1,
                        library_version=library_version)
        return self.get(slug, actor)

    def edit(self, actor: User | None, slug: str, *, revision: int, edit: ContentEdit) -> Article:
        with self.db.write() as session:
            article, actor = self._editable(session, slug, actor, revision)
            base = self._current(session, article)
            content, changes = apply_edit(load_content(base.content), edit,
                                          editor_label=edit_label(actor))
            if not changes:
                raise InputError("the edit changes nothing")
            version = self._new_version(session, article, actor, content, "; ".join(changes),
                                        base.library_version)
            self._audit(session, article, actor, "edit", from_state=article.state,
                        to_state=article.state, version=version.number, changes=changes)
        return self.get(slug, actor)

    def restore(self, actor: User | None, slug: str, *, revision: int, number: int) -> Article:
        with self.db.write() as session:
            article, actor = self._editable(session, slug, actor, revision)
            old = session.scalars(select(ArticleVersion).where(
                ArticleVersion.article_id == article.id,
                ArticleVersion.number == number)).one_or_none()
            if old is None:
                raise NotFoundError(f"article {slug!r} has no version {number}")
            if number == article.current_version:
                raise InputError(f"version {number} is already the current version")
            version = self._new_version(session, article, actor, load_content(old.content),
                                        f"restored version {number}", old.library_version)
            self._audit(session, article, actor, "restore", from_state=article.state,
                        to_state=article.state, version=version.number, restored=number)
        return self.get(slug, actor)

    def transition(self, actor: User | None, slug: str, name: str, *, revision: int,
                   comment: str = "") -> Article:
        comment = check_storable(comment, "comment").strip()
        if len(comment) > MAX_COMMENT:
            raise InputError(f"comment longer than {MAX_COMMENT} characters")
        with self.db.write() as session:
            article = self._load_visible(session, slug, actor)
            state = State(article.state)
            is_author = actor is not None and actor.id == article.author_id
            # Role rules first (403), then staleness (409: the page the caller acted on is out
            # of date, which is also why the state may no longer allow the action), then state.
            check_actor(name, role_of(actor), is_author)
            self._check_revision(session, article, revision)
            transition = check_transition(name, state, role_of(actor), is_author)
            assert actor is not None
            if transition.name in NEEDS_BULLETS:
                self._check_has_bullets(session, article, transition.label)
            now = utcnow()
            article.state = transition.target
            article.state_changed_at = now
            article.updated_at = now
            detail: dict[str, object] = {"comment": comment} if comment else {}
            if transition.target is State.APPROVED:
                article.approved_by_id = actor.id
                article.approved_at = now
                article.approved_version = article.current_version
                article.stale = False
                article.stale_reason = ""
                detail["reviewer"] = actor.byline
            elif transition.name == "rereview":
                article.approved_by_id = None
                article.approved_at = None
                article.approved_version = None
            session.flush()
            self._audit(session, article, actor, transition.name, from_state=state,
                        to_state=transition.target, version=article.current_version, **detail)
        return self.get(slug, actor)

    def _check_has_bullets(self, session: Session, article: Article, action: str) -> None:
        """A version without one cited statement (a bullet, or a direct answer with citations)
        says nothing a reviewer could check (409: the request is fine, the article's current
        content is what stands in the way)."""
        content = load_content(self._current(session, article).content)
        for audience, answer in content.items():
            if not answer.direct_answer.citations and \
                    not any(section.bullets for section in answer.sections):
                raise ConflictError(
                    f"cannot {action.lower()}: version {article.current_version} has no bullets "
                    f"or cited answer in its {audience} version; restore an earlier version first")

    @staticmethod
    def _current(session: Session, article: Article) -> ArticleVersion:
        return session.scalars(select(ArticleVersion).where(
            ArticleVersion.article_id == article.id,
            ArticleVersion.number == article.current_version)).one()

    # ------------------------------------------------------------------ staleness

    def approved_articles(self) -> list[Article]:
        with self.db.read() as session:
            return list(session.scalars(select(Article).where(Article.state == State.APPROVED)
                                        .order_by(Article.id)))

    def record_check(self, article_id: int, library_version: str, reason: str | None) -> bool:
        """Store the outcome of a staleness check; True if the article was newly flagged."""
        with self.db.write() as session:
            article = session.get(Article, article_id)
            if article is None or article.state != State.APPROVED:
                return False
            article.checked_library_version = library_version
            newly = reason is not None and not article.stale
            if newly:
                article.stale = True
                article.stale_reason = reason or ""
                self._audit(session, article, None, "flag_stale", from_state=article.state,
                            to_state=article.state, version=article.current_version,
                            reason=reason, library_version=library_version)
            return newly
