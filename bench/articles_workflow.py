"""Editorial workflow latencies over HTTP (create_app + the articles router), one JSON line each.

    citemed demo --library /tmp/demo-lib            # once
    python bench/articles_workflow.py --library /tmp/demo-lib [--articles 20] \
        [--database postgresql+psycopg://...]      # default: a temporary SQLite file

Questions are PubMedQA train_dev questions. The articles database is never the library's own
(default: a temporary SQLite file) so benching does not touch a real review board's data.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))
from web_common import emit, percentile, pubmedqa_questions  # noqa: E402

from citemed.articles.backup import backup  # noqa: E402
from citemed.articles.service import ArticleService  # noqa: E402
from citemed.articles.staleness import check_stale  # noqa: E402
from citemed.settings import Settings  # noqa: E402
from citemed.web.app import create_app  # noqa: E402
from citemed.web.articles import ArticlesContext  # noqa: E402

PASSWORD = "bench password 123"


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return (time.perf_counter() - started) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--library", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--database", default=None)
    parser.add_argument("--backup", action="store_true", help="also time a backup of the library")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="citemed-articles-bench-"))
    database = args.database or f"sqlite:///{scratch / 'articles.sqlite'}"
    settings = Settings(library=args.library, data=args.data, database=database)
    app = create_app(settings)
    ctx = app.state.articles = ArticlesContext(settings)
    backend = ctx.db.dialect
    common = {"backend": backend, "articles": args.articles}

    hash_ms, editor = timed(lambda: ctx.accounts.add_user("bench-editor", PASSWORD, "editor"))
    reviewer = ctx.accounts.add_user("bench-reviewer", PASSWORD, "reviewer",
                                     display_name="Dr Bench", credentials="MD",
                                     specialty="Internal medicine")
    emit("articles.add_user_argon2", round(hash_ms, 1), "ms", **common)
    login_ms, _ = timed(lambda: ctx.accounts.login("bench-editor", PASSWORD))
    emit("articles.login_argon2", round(login_ms, 1), "ms", **common)
    editor_auth = {"Authorization": f"Bearer {ctx.accounts.create_token(editor, 'b')[1]}"}
    reviewer_auth = {"Authorization": f"Bearer {ctx.accounts.create_token(reviewer, 'b')[1]}"}

    questions = pubmedqa_questions(args.data)[: args.articles]
    timings: dict[str, list[float]] = {}
    with TestClient(app) as client:
        documents = app.state.service.engine.library.stats()["documents"]
        common["corpus_documents"] = documents

        def call(name: str, method: str, path: str, **kwargs) -> dict:
            ms, response = timed(lambda: client.request(method, path, **kwargs))
            assert response.status_code in (200, 201), (path, response.text[:300])
            timings.setdefault(name, []).append(ms)
            return response.json() if path.startswith("/api/") else {}

        for number, question in enumerate(questions):
            slug = f"bench-{number}"
            article = call("create (2 engine answers + store)", "POST", "/api/v1/articles",
                           headers=editor_auth, json={"question": question, "slug": slug})
            article = call("transition", "POST", f"/api/v1/articles/{slug}/transitions",
                           headers=editor_auth,
                           json={"revision": article["revision"], "action": "submit"})
            article = call("transition", "POST", f"/api/v1/articles/{slug}/transitions",
                           headers=reviewer_auth,
                           json={"revision": article["revision"], "action": "start_review"})
            content = call("get article JSON", "GET", f"/api/v1/articles/{slug}")["content"]
            if content["clinician"]["sections"]:
                article = call("edit (new version)", "POST", f"/api/v1/articles/{slug}/edits",
                               headers=reviewer_auth, json={
                                   "revision": article["revision"], "sections": [
                                       {"section": 0, "bullets": [{"source": 0,
                                                                   "note": "bench note"}]}]})
            call("transition", "POST", f"/api/v1/articles/{slug}/transitions",
                 headers=reviewer_auth, json={"revision": article["revision"], "action": "approve"})
            call("article page (HTML)", "GET", f"/articles/{slug}")
        call("articles list page (HTML)", "GET", "/articles")
        service = ArticleService(ctx.db)
        stale_ms, report = timed(lambda: check_stale(service, app.state.service.engine,
                                                     force=True))
    for name, values in timings.items():
        emit(f"articles.{name}.p50", round(statistics.median(values), 1), "ms",
             n=len(values), **common)
        emit(f"articles.{name}.p95", round(percentile(values, 95), 1), "ms", n=len(values),
             **common)

    emit("articles.check_stale_per_article", round(stale_ms / max(1, len(report.checked)), 1),
         "ms", checked=len(report.checked), flagged=len(report.flagged), **common)
    if args.backup:
        archive = scratch / "backup.tar.gz"
        backup_ms, result = timed(lambda: backup(args.library, archive))
        emit("articles.backup_library", round(backup_ms / 1000, 2), "s",
             mb=round(result.bytes / 1e6, 1), archive_mb=round(archive.stat().st_size / 1e6, 1),
             **common)
    ctx.db.dispose()
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
