"""Staleness: does new evidence change an approved article's answer?

An approved article records the library version it was written against. When the library has
changed since the last check, the question is asked again and the new answer is compared with
the stored one on what a reader relies on: the verdict and the top cited documents. A difference
flags the article "New evidence: re-review", which puts it back in the review queue."""

from __future__ import annotations

from dataclasses import dataclass, field

from citemed.articles.content import top_evidence
from citemed.articles.service import ArticleService
from citemed.engine import Engine
from citemed.model import Answer

STALE_LABEL = "New evidence: re-review"


@dataclass
class StaleReport:
    library_version: str
    checked: list[str] = field(default_factory=list)  # slugs re-asked
    skipped: list[str] = field(default_factory=list)  # library unchanged since the last check
    flagged: dict[str, str] = field(default_factory=dict)  # slug -> reason


def answer_changes(old: Answer, new: Answer) -> str | None:
    """Why `new` would change the article, or None if its verdict and top evidence hold."""
    reasons = []
    if (old.direct_answer.verdict or "") != (new.direct_answer.verdict or ""):
        reasons.append(f"verdict {old.direct_answer.verdict} -> {new.direct_answer.verdict}")
    before, after = top_evidence(old), top_evidence(new)
    if set(before) != set(after):
        added = [doc for doc in after if doc not in before]
        dropped = [doc for doc in before if doc not in after]
        reasons.append("top evidence changed"
                       + (f"; new: {', '.join(added)}" if added else "")
                       + (f"; no longer top: {', '.join(dropped)}" if dropped else ""))
    if old.abstained != new.abstained:
        reasons.append("the engine now abstains" if new.abstained else "the engine now answers")
    return f"{STALE_LABEL} ({'; '.join(reasons)})" if reasons else None


def check_stale(service: ArticleService, engine: Engine, *, force: bool = False) -> StaleReport:
    version = engine.library.version
    report = StaleReport(library_version=version)
    for article in service.approved_articles():
        if not force and article.checked_library_version == version:
            report.skipped.append(article.slug)
            continue
        content = service.content(article.slug, None, article.approved_version)
        stored = content.get("clinician") or next(iter(content.values()))
        fresh = engine.ask(article.question, audience=stored.audience)
        reason = answer_changes(stored, fresh)
        report.checked.append(article.slug)
        if service.record_check(article.id, version, reason) and reason:
            report.flagged[article.slug] = reason
    return report
