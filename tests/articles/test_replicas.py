"""The replica layout (docs/replicas.md): two real `citemed serve` processes over one read-only
library folder, sharing one PostgreSQL database for articles, users and login sessions.

The folder is made read-only with `chmod -R a-w`. Tests may run as root, whom file modes do
not stop, so "nothing was written" is checked directly (tests/read_only.py): every path's size,
mtime and SHA-256 before and after (while serving, and again once both servers have exited,
when SQLite would checkpoint or remove a WAL file), and every descriptor and shared mapping the
servers hold in the folder is read-only (/proc)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from citemed.articles.auth import Accounts
from citemed.articles.db import Database
from citemed.web.server import serve_in_subprocess
from tests.articles.conftest import (
    FAST_HASHER,
    QUESTION,
    WORKFLOW_READER_THRESHOLD,
    Team,
    fresh_postgres_database,
    make_team,
)
from tests.articles.live import CSRF_RE, logged_in
from tests.read_only import Snapshot, read_only, snapshot
from tests.web_documents import build_web_library

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

QUESTIONS = [QUESTION, "What is the usual starting dose of metformin?"]
# Two model loads on a shared 2-core machine: a server may take a while to answer /health.
READY_SECONDS = 300.0

@dataclass
class Replicas:
    a: str
    b: str
    library: Path
    work: Path
    before: Snapshot
    accounts: Accounts
    team: Team


@pytest.fixture(scope="module")
def replicas(tmp_path_factory) -> Iterator[Replicas]:
    work = tmp_path_factory.mktemp("replicas")
    library = work / "library"
    build_web_library(library)
    with read_only(library) as before:
        with fresh_postgres_database() as url, ExitStack() as servers:
            db = Database(url)
            db.migrate()
            accounts = Accounts(db, FAST_HASHER)
            team = make_team(accounts)
            # No option says "read-only": each server finds out from the folder's modes. Each
            # keeps its conversation threads in its own file, as servers on two machines would.
            a, b = (servers.enter_context(serve_in_subprocess(
                library, args=["--database", url], ready_timeout=READY_SECONDS,
                env={"CITEMED_THREADS": str(work / f"threads-{name}.sqlite"),
                     "CITEMED_READER_THRESHOLD": str(WORKFLOW_READER_THRESHOLD)}))
                for name in "ab")
            try:
                yield Replicas(a, b, library, work, before, accounts, team)
            finally:
                db.dispose()
        # Both servers have exited: closing their SQLite connections wrote nothing either.
        assert snapshot(library) == before


def answer_json(base: str, question: str, audience: str) -> dict:
    response = httpx.post(f"{base}/api/v1/ask", json={"question": question,
                                                      "audience": audience}, timeout=120)
    assert response.status_code == 200, response.text
    answer = response.json()
    # The only fields that may differ between two servers: when and how fast each answered.
    del answer["generation"]["elapsed_ms"], answer["generation"]["created_at"]
    return answer


def test_both_servers_give_the_same_answer(replicas):
    for question in QUESTIONS:
        for audience in ("clinician", "patient"):
            from_a = answer_json(replicas.a, question, audience)
            assert from_a == answer_json(replicas.b, question, audience), (question, audience)
            assert not from_a["abstained"] and from_a["references"], (question, audience)


def test_servers_hold_the_library_files_read_only(replicas):
    """What the servers have open in the folder: SQLite files by descriptor, index arrays by
    mapping. None may be open or mapped for writing (as root, the only proof that a write could
    not have happened silently)."""
    proc = Path("/proc")
    if not (proc / "self" / "fdinfo").exists():
        pytest.skip("needs Linux /proc")
    inside = str(replicas.library.resolve()) + os.sep
    descriptors: dict[int, set[str]] = {}
    mapped: set[str] = set()
    for process in proc.iterdir():
        if not process.name.isdigit() or int(process.name) == os.getpid():
            continue
        try:
            for fd in (process / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith(inside):
                    info = (process / "fdinfo" / fd.name).read_text()
                    flags = next(line.split()[1] for line in info.splitlines()
                                 if line.startswith("flags:"))
                    assert int(flags, 8) & os.O_ACCMODE == os.O_RDONLY, (target, flags)
                    descriptors.setdefault(int(process.name), set()).add(Path(target).name)
            for line in (process / "maps").read_text().splitlines():
                fields = line.split(maxsplit=5)
                if len(fields) == 6 and fields[5].startswith(inside):
                    perms = fields[1]
                    assert not (perms[1] == "w" and perms[3] == "s"), line
                    mapped.add(Path(fields[5]).name)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue  # a process that ended meanwhile, or not ours
    assert len(descriptors) == 2, descriptors  # the two servers, nobody else
    for names in descriptors.values():
        assert {"library.sqlite", "terms.sqlite"} <= names, names
    assert "tfs.npy" in mapped, mapped
    if (replicas.library / "index" / "dense-0.f16").exists():  # built when 'dense' is installed
        assert "dense-0.f16" in mapped, mapped
    if os.geteuid() != 0:  # file modes bind this user: the folder really refuses a write
        with pytest.raises(PermissionError):
            (replicas.library / "probe").write_text("x")


def test_an_article_made_on_one_server_is_seen_and_edited_on_the_other(replicas):
    slug = "replica-joint-pain"
    token = replicas.accounts.create_token(replicas.team.editor, "replica test")[1]
    bearer = {"Authorization": f"Bearer {token}"}
    with logged_in(replicas.a, "edna") as (on_a, csrf):
        created = on_a.post("/articles/new", data={"question": QUESTION, "slug": slug,
                                                   "csrf_token": csrf})
        assert created.status_code == 303, created.text
        assert created.headers["location"] == f"/articles/{slug}"
        # The draft is the editor's own: B shows it to the same login session.
        with httpx.Client(base_url=replicas.b, cookies=on_a.cookies, timeout=60) as on_b:
            page = on_b.get(f"/articles/{slug}")
            assert page.status_code == 200 and QUESTION in page.text
    for editor, reader in ((replicas.a, replicas.b), (replicas.b, replicas.a)):
        article = httpx.get(f"{editor}/api/v1/articles/{slug}", headers=bearer, timeout=60).json()
        sections = article["content"]["clinician"]["sections"]
        section = next(i for i, s in enumerate(sections) if s["bullets"])
        note = f"checked on {editor}"
        edited = httpx.post(f"{editor}/api/v1/articles/{slug}/edits", headers=bearer, timeout=60,
                            json={"revision": article["revision"], "sections": [{
                                "section": section, "bullets": [
                                    {"source": i, "note": note if i == 0 else None}
                                    for i in range(len(sections[section]["bullets"]))]}]})
        assert edited.status_code == 200, edited.text
        seen = httpx.get(f"{reader}/api/v1/articles/{slug}", headers=bearer, timeout=60).json()
        assert seen["revision"] == article["revision"] + 1
        assert seen["content"]["clinician"]["sections"][section]["bullets"][0]["note"] == note


def test_a_login_on_one_server_is_a_session_on_both(replicas):
    """Sessions live in the shared database, so a load balancer needs no sticky sessions."""
    with logged_in(replicas.a, "rita") as (on_a, _csrf):
        with httpx.Client(base_url=replicas.b, cookies=on_a.cookies, timeout=60) as on_b:
            tokens_page = on_b.get("/account/tokens")
            assert tokens_page.status_code == 200 and "Dr Rita Reyes" in tokens_page.text
            csrf = CSRF_RE.search(tokens_page.text)
            assert csrf
            assert on_b.post("/logout", data={"csrf_token": csrf.group(1)}).status_code == 303
        # Logged out through B: A no longer knows the session either.
        after = on_a.get("/account/tokens")
        assert after.status_code == 303 and after.headers["location"].startswith("/login")


def test_conversation_threads_are_per_server(replicas):
    """docs/replicas.md says follow-ups stay on the server that started the thread; this pins
    it (threads live in each server's own file, outside the library folder)."""
    started = httpx.post(f"{replicas.a}/api/v1/threads", json={"question": QUESTIONS[1]},
                         timeout=120)
    assert started.status_code == 201, started.text
    thread = started.json()["thread_id"]
    follow_up = httpx.post(f"{replicas.a}/api/v1/threads/{thread}/ask",
                           json={"question": "Can the dose be increased?"}, timeout=120)
    assert follow_up.status_code == 200 and follow_up.json()["turn"] == 1, follow_up.text
    assert httpx.get(f"{replicas.b}/api/v1/threads/{thread}", timeout=60).status_code == 404
    assert (replicas.work / "threads-a.sqlite").exists()


def test_the_library_folder_is_unchanged_while_serving(replicas):
    # Last in the file: after every request above (the fixture checks again after shutdown).
    assert snapshot(replicas.library) == replicas.before
