"""Accounts and authentication: argon2 passwords, back-off after failed logins, server-side
sessions with per-session CSRF tokens, and API tokens stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from citemed.articles.db import Database
from citemed.articles.models import ApiToken, LoginThrottle, User, WebSession, utcnow
from citemed.articles.workflow import Role
from citemed.errors import ConflictError, InputError, NotFoundError, PermissionDenied

SESSION_HOURS = 12
FREE_FAILURES = 5  # failed logins allowed before back-off starts
CLIENT_FREE_FAILURES = 20  # per client address, across all usernames, within CLIENT_WINDOW
CLIENT_WINDOW = timedelta(minutes=15)
BACKOFF_START = timedelta(seconds=30)
BACKOFF_MAX = timedelta(minutes=15)
MIN_PASSWORD = 10
TOKEN_PREFIX = "cm_"
# Token lifetimes (days) when the caller passes none; the web app passes the Settings' values.
TOKEN_DAYS = 90
TOKEN_MAX_DAYS = 365
USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")



class LoginFailed(PermissionDenied):
    status_code = 401


class LockedOut(PermissionDenied):
    status_code = 429


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def safe_next(target: str | None, default: str = "/") -> str:
    """Only local absolute paths: no scheme, no host, no '//' or backslash tricks."""
    if not target or any(ord(ch) < 32 for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return default
    return target


@dataclass
class LoginResult:
    user: User
    session_token: str
    csrf_token: str


def _back_off(failures: int, free: int, now: datetime) -> datetime | None:
    """None while within the free failures, then a wait doubling from BACKOFF_START."""
    over = failures - free - 1
    return now + min(BACKOFF_START * (2 ** over), BACKOFF_MAX) if over >= 0 else None


class Accounts:
    def __init__(self, db: Database, hasher: PasswordHasher | None = None) -> None:
        self.db = db
        # argon2id with the library's (RFC 9106 low-memory) defaults unless a caller tunes it.
        self.hasher = hasher or PasswordHasher()

    @cached_property
    def _dummy_hash(self) -> str:
        """Verified against when the username is unknown, so timing does not reveal which
        usernames exist."""
        return self.hasher.hash(secrets.token_hex(16))

    # ------------------------------------------------------------------ users

    def add_user(self, username: str, password: str, role: str, *, display_name: str = "",
                 credentials: str = "", specialty: str = "") -> User:
        username = username.strip().lower()
        if not username or not set(username) <= USERNAME_CHARS or len(username) > 80:
            raise InputError(f"username {username!r}: use 1-80 of a-z 0-9 . _ -")
        if role not in {r.value for r in Role}:
            raise InputError(f"role {role!r}: expected one of {', '.join(r.value for r in Role)}")
        if len(password) < MIN_PASSWORD:
            raise InputError(f"password: at least {MIN_PASSWORD} characters")
        if role == Role.REVIEWER and not (display_name and credentials and specialty):
            raise InputError("a reviewer needs a display name, credentials and a specialty: "
                             "they are shown on the articles they approve")
        with self.db.write() as session:
            if session.scalars(select(User.id).where(User.username == username)).first():
                raise ConflictError(f"user {username!r} already exists")
            user = User(username=username, password_hash=self.hasher.hash(password), role=role,
                        display_name=display_name.strip(), credentials=credentials.strip(),
                        specialty=specialty.strip())
            session.add(user)
        return user

    def users(self) -> list[User]:
        with self.db.read() as session:
            return list(session.scalars(select(User).order_by(User.username)))

    def set_active(self, user_id: int, active: bool) -> None:
        with self.db.write() as session:
            user = session.get(User, user_id)
            if user is None:
                raise NotFoundError(f"no user {user_id}")
            user.active = active
            if not active:
                # Reactivating an account later must not bring its old credentials back.
                session.execute(delete(WebSession).where(WebSession.user_id == user_id))
                session.execute(update(ApiToken).where(ApiToken.user_id == user_id,
                                                       ApiToken.revoked_at.is_(None))
                                .values(revoked_at=utcnow()))

    # ------------------------------------------------------------------ login

    def login(self, username: str, password: str, *, old_session: str | None = None,
              client: str | None = None) -> LoginResult:
        """Verify the password and start a brand-new session (any session id the browser
        already had is discarded, so a planted id can never become a logged-in one).

        Failures back off per account and, with `client` (the caller's address), per client
        across all usernames."""
        username = username.strip().lower()
        now = utcnow()
        with self.db.write() as session:
            if old_session:
                session.execute(delete(WebSession).where(WebSession.id == token_hash(old_session)))
            user = session.scalars(select(User).where(User.username == username)).one_or_none()
            throttle = self._throttle(session, client, now) if client else None
            for locked_until in [user.locked_until if user else None,
                                 throttle.locked_until if throttle else None]:
                if locked_until is not None and locked_until > now:
                    wait = int((locked_until - now).total_seconds()) + 1
                    raise LockedOut(f"too many failed logins; try again in {wait} s")
            try:
                self.hasher.verify(user.password_hash if user else self._dummy_hash, password)
                verified = user is not None and user.active
            except (VerificationError, InvalidHashError):
                verified = False
            if not verified or user is None:  # `user is None` never verifies; said for mypy
                if user is not None:
                    user.failed_logins += 1
                    user.locked_until = _back_off(user.failed_logins, FREE_FAILURES, now)
                if throttle is not None:
                    throttle.failures += 1
                    throttle.updated_at = now
                    throttle.locked_until = _back_off(throttle.failures, CLIENT_FREE_FAILURES,
                                                      now)
                # Commit the counters, then report failure.
                session.commit()
                raise LoginFailed("wrong username or password")
            user.failed_logins = 0
            user.locked_until = None
            if self.hasher.check_needs_rehash(user.password_hash):
                user.password_hash = self.hasher.hash(password)
            token = secrets.token_urlsafe(32)
            csrf = secrets.token_urlsafe(32)
            session.add(WebSession(id=token_hash(token), user_id=user.id, csrf_token=csrf,
                                   expires_at=now + timedelta(hours=SESSION_HOURS)))
        return LoginResult(user, token, csrf)

    @staticmethod
    def _throttle(session: Session, client: str, now: datetime) -> LoginThrottle:
        """The client's failure counter, restarted when its window has passed."""
        key = client[:200]
        # Concurrent first logins from one address must not collide on the primary key, and
        # concurrent failures must not lose increments: insert-if-missing, then lock the row.
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(insert(LoginThrottle).values(client=key, failures=0, updated_at=now)
                        .on_conflict_do_nothing())
        throttle = session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
        assert throttle is not None
        if throttle.updated_at < now - CLIENT_WINDOW and not (
                throttle.locked_until and throttle.locked_until > now):
            throttle.failures = 0
            throttle.locked_until = None
        return throttle

    def session(self, token: str | None) -> WebSession | None:
        if not token:
            return None
        with self.db.read() as session:
            found = session.get(WebSession, token_hash(token))
            if found is None or found.expires_at < utcnow() or not found.user.active:
                return None
            return found

    def logout(self, token: str | None) -> None:
        if token:
            with self.db.write() as session:
                session.execute(delete(WebSession).where(WebSession.id == token_hash(token)))

    # ------------------------------------------------------------------ API tokens

    def create_token(self, user: User, name: str, *, days: int = TOKEN_DAYS,
                     max_days: int = TOKEN_MAX_DAYS) -> tuple[ApiToken, str]:
        """A token valid for `days` (1 to `max_days`); the plain token is returned once, only
        its hash is stored."""
        if not 1 <= days <= max_days:
            raise InputError(f"token lifetime: 1 to {max_days} days, not {days}")
        name = name.strip()[:100] or "token"
        plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.db.write() as session:
            token = ApiToken(user_id=user.id, name=name, token_hash=token_hash(plain),
                             prefix=plain[:10], expires_at=utcnow() + timedelta(days=days))
            session.add(token)
        return token, plain

    def tokens(self, user: User) -> list[ApiToken]:
        with self.db.read() as session:
            return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                        .order_by(ApiToken.id)))

    def revoke_token(self, user: User, token_id: int) -> None:
        with self.db.write() as session:
            token = session.get(ApiToken, token_id)
            if token is None or token.user_id != user.id:
                raise NotFoundError(f"no token {token_id}")
            token.revoked_at = token.revoked_at or utcnow()

    def user_for_token(self, plain: str) -> User:
        with self.db.write() as session:
            token = session.scalars(select(ApiToken).where(
                ApiToken.token_hash == token_hash(plain))).one_or_none()
            if token is None or token.revoked_at is not None or not token.user.active:
                raise LoginFailed("invalid or revoked API token")
            if token.expires_at <= utcnow():
                raise LoginFailed(f"API token expired on {token.expires_at:%Y-%m-%d}; "
                                  "create a new one at /account/tokens")
            token.last_used_at = utcnow()
            return token.user
