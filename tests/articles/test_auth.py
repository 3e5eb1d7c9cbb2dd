"""Accounts: argon2 passwords, back-off after failed logins, sessions, API tokens."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from citemed.articles.auth import (
    CLIENT_FREE_FAILURES,
    FREE_FAILURES,
    Accounts,
    LockedOut,
    LoginFailed,
    safe_next,
    token_hash,
)
from citemed.articles.models import ApiToken, LoginThrottle, User, WebSession, utcnow
from citemed.errors import ConflictError, InputError
from tests.articles.conftest import FAST_HASHER, PASSWORD


@pytest.fixture
def accounts(db) -> Accounts:
    return Accounts(db, FAST_HASHER)


def test_passwords_are_argon2_hashes_and_login_starts_a_new_session(accounts, team, db):
    with db.read() as session:
        stored = session.get(User, team.editor.id).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    first = accounts.login("edna", PASSWORD)
    second = accounts.login("EDNA ", PASSWORD, old_session=first.session_token)
    assert second.session_token != first.session_token
    assert accounts.session(first.session_token) is None  # the previous id is gone
    current = accounts.session(second.session_token)
    assert current.user.username == "edna" and current.csrf_token == second.csrf_token
    with db.read() as session:  # only hashes of session tokens are stored
        assert session.get(WebSession, second.session_token) is None
        assert session.get(WebSession, token_hash(second.session_token)) is not None


def test_repeated_failures_lock_the_account_with_growing_back_off(accounts, team, db):
    for _ in range(FREE_FAILURES):
        with pytest.raises(LoginFailed):
            accounts.login("edna", "wrong password!")
    with pytest.raises(LoginFailed):
        accounts.login("edna", "wrong password!")  # this failure starts the back-off
    with pytest.raises(LockedOut, match="try again in"):
        accounts.login("edna", PASSWORD)  # even the right password waits
    with db.read() as session:
        first_lock = session.get(User, team.editor.id).locked_until
    with db.write() as session:  # let the lock expire, fail once more: the wait doubles
        session.execute(update(User).values(locked_until=utcnow() - timedelta(seconds=1)))
    with pytest.raises(LoginFailed):
        accounts.login("edna", "wrong password!")
    with db.read() as session:
        user = session.get(User, team.editor.id)
    assert user.failed_logins == FREE_FAILURES + 2
    assert user.locked_until - utcnow() > (first_lock - utcnow()) + timedelta(seconds=20)
    with db.write() as session:
        session.execute(update(User).values(locked_until=None))
    assert accounts.login("edna", PASSWORD).user.username == "edna"
    with db.read() as session:
        assert session.get(User, team.editor.id).failed_logins == 0


def test_failures_from_one_client_across_usernames_lock_that_client(accounts, team):
    """Password spraying: many usernames, one wrong password each, from one address."""
    for n in range(CLIENT_FREE_FAILURES + 1):
        with pytest.raises(LoginFailed):
            accounts.login(f"user{n}", "spray-password", client="203.0.113.9")
    with pytest.raises(LockedOut):
        accounts.login("edna", PASSWORD, client="203.0.113.9")
    assert accounts.login("edna", PASSWORD, client="198.51.100.7").user.username == "edna"


def test_unknown_and_deactivated_users_cannot_log_in(accounts, team):
    with pytest.raises(LoginFailed, match="wrong username or password"):
        accounts.login("nobody", PASSWORD)
    live = accounts.login("eddie", PASSWORD)
    accounts.set_active(team.editor2.id, False)
    assert accounts.session(live.session_token) is None
    with pytest.raises(LoginFailed):
        accounts.login("eddie", PASSWORD)


def test_account_rules(accounts, team):
    with pytest.raises(ConflictError):
        accounts.add_user("edna", PASSWORD, "editor")
    with pytest.raises(InputError, match="credentials and a specialty"):
        accounts.add_user("newrev", PASSWORD, "reviewer", display_name="Dr New")
    with pytest.raises(InputError, match="at least"):
        accounts.add_user("shorty", "short", "editor")
    with pytest.raises(InputError, match="role"):
        accounts.add_user("boss", PASSWORD, "superuser")


def test_api_tokens_are_hashed_at_rest_and_revocable(accounts, team, db):
    token, plain = accounts.create_token(team.reviewer, "laptop")
    assert accounts.user_for_token(plain).username == "rita"
    with db.read() as session:
        stored = session.scalars(select(ApiToken)).one()
    assert stored.token_hash == token_hash(plain) and plain not in stored.token_hash
    assert stored.last_used_at is not None
    accounts.revoke_token(team.reviewer, token.id)
    with pytest.raises(LoginFailed, match="revoked"):
        accounts.user_for_token(plain)


@pytest.mark.parametrize("target,expected", [
    ("/articles/x?tab=1", "/articles/x?tab=1"),
    ("/review", "/review"),
    ("https://evil.example/", "/"),
    ("//evil.example/path", "/"),
    ("/\\evil.example", "/"),
    ("\\\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("relative/path", "/"),
    ("/ok\r\nSet-Cookie: x=1", "/"),
    (None, "/"),
])
def test_safe_next_only_allows_local_paths(target, expected):
    assert safe_next(target) == expected


def test_concurrent_failures_from_one_client_are_all_counted(accounts, team, db):
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            accounts.login(f"nobody{n}", "wrong password!", client="192.0.2.1")
        except LoginFailed:
            outcomes.append("failed")
        except Exception as error:  # noqa: BLE001 - any other outcome fails the test below
            outcomes.append(repr(error))

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == ["failed"] * 8
    with db.read() as session:
        assert session.get(LoginThrottle, "192.0.2.1").failures == 8
