"""Users, passwords (argon2), login with a rate limit, and server-side sessions.

The web app and the CLI both use these: ``login`` checks the rate limit and the password and
opens a session whose token goes into the cookie; only a hash of the token is stored.

Examples
--------
>>> verify_password(hash_password("s3cret"), "s3cret")
True
>>> verify_password(hash_password("s3cret"), "wrong")
False
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from churnguard.workflow.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
)
from churnguard.workflow.models import ROLES, AuthSession, LoginAttempt, User, utcnow

_hasher = PasswordHasher()
_dummy_hash: str | None = None


def use_fast_hashing() -> None:
    """Use cheap argon2 parameters (tests only: hashing then takes about a millisecond)."""
    global _hasher, _dummy_hash
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    _dummy_hash = None


def _stand_in_hash() -> str:
    """A hash to check passwords of unknown users against, so that a wrong name takes as long
    as a wrong password (login times do not tell which user names exist)."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hash


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (``None`` never matches)."""
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class LoginPolicy:
    """How many failed logins are allowed for one user name from one address, and from one
    address in all, within a window; and how long a session lasts."""

    max_failures: int = 5
    max_failures_per_ip: int = 20
    window: timedelta = timedelta(minutes=15)
    session_lifetime: timedelta = timedelta(hours=12)


def create_user(session: Session, username: str, password: str | None, *, role: str = "rep",
                display_name: str | None = None, manager_id: int | None = None,
                staff_id: str | None = None) -> User:
    """Create a user; a user without a password cannot log in."""
    username = username.strip()
    if not username:
        raise InvalidInputError("the user name is empty. Give a name such as `alice`.")
    if role not in ROLES:
        raise InvalidInputError(f"role {role!r} is not one of {', '.join(ROLES)}.")
    if manager_id is not None and session.get(User, manager_id) is None:
        raise InvalidInputError(f"manager_id {manager_id} is not a user. Give the id of an "
                                f"existing manager (see GET /api/users), or leave it out.")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ConflictError(f"user {username!r} already exists. Choose another name or "
                            f"change the existing user's password.")
    user = User(username=username, role=role, display_name=display_name or username,
                manager_id=manager_id, staff_id=staff_id,
                password_hash=hash_password(password) if password else None)
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Set a new password and end the user's sessions."""
    if len(password) < 4:
        raise InvalidInputError("the password is shorter than 4 characters. Choose a longer one.")
    user.password_hash = hash_password(password)
    session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))
    session.flush()


def get_user(session: Session, username: str) -> User:
    """The user called ``username`` or :class:`NotFoundError`."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"no user {username!r}. Create it with "
                            f"`churnguard user add {username} --role rep`.")
    return user


def login(session: Session, username: str, password: str, *, ip: str | None = None,
          now: datetime | None = None, policy: LoginPolicy = LoginPolicy()) -> tuple[User, str]:
    """Check the password (after the rate limit) and open a session; returns the user and the
    session token to put in the cookie.

    Raises :class:`RateLimitedError` after ``policy.max_failures`` failures for this user name
    from this address (so nobody elsewhere can lock the owner out), or too many from this
    address in all, within ``policy.window``; and :class:`AuthenticationError` for a wrong name
    or password (the same message for both, and the same work: an unknown name is checked
    against a stand-in hash).
    """
    now = now or utcnow()
    _check_rate(session, username, ip, now, policy)
    user = session.scalar(select(User).where(User.username == username))
    stored = user.password_hash if user is not None and may_log_in(user, now.date()) \
        else None
    ok = verify_password(stored or _stand_in_hash(), password) and stored is not None
    session.add(LoginAttempt(username=username[:80], ip=ip[:64] if ip else None, at=now,
                             success=ok))
    session.flush()
    if not ok or user is None:
        raise AuthenticationError("wrong user name or password.")
    if _hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    return user, open_session(session, user, now=now, lifetime=policy.session_lifetime)


def _check_rate(session: Session, username: str, ip: str | None, now: datetime,
                policy: LoginPolicy) -> None:
    since = now - policy.window
    failed = select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.at > since, LoginAttempt.success.is_(False))
    same_place = LoginAttempt.ip == ip if ip else LoginAttempt.ip.is_(None)
    by_name = session.scalar(failed.where(LoginAttempt.username == username, same_place)) or 0
    by_ip = 0
    if ip:
        by_ip = session.scalar(failed.where(LoginAttempt.ip == ip)) or 0
    if by_name >= policy.max_failures or by_ip >= policy.max_failures_per_ip:
        minutes = int(policy.window.total_seconds() // 60)
        raise RateLimitedError(f"too many failed logins for {username!r}. Wait {minutes} "
                               f"minutes and try again, or ask an admin to reset the password.")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, user: User, *, now: datetime | None = None,
                 lifetime: timedelta = LoginPolicy.session_lifetime) -> str:
    """Store a new session for ``user`` and return its (secret) token."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(AuthSession(token_hash=_digest(token), user_id=user.id, created_at=now,
                            expires_at=now + lifetime))
    session.flush()
    return token


def user_for_token(session: Session, token: str, *, now: datetime | None = None) -> User | None:
    """The active user of an unexpired session token, else ``None``."""
    now = now or utcnow()
    row = session.get(AuthSession, _digest(token))
    if row is None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and may_log_in(user, now.date()) else None


def may_log_in(user: User, today: date) -> bool:
    """Whether ``user`` may log in on ``today``: active, and not past their leaving date (a
    leaver's login stops on the day they leave, sessions included).

    Examples
    --------
    >>> may_log_in(User(active=True, left_on=date(2024, 6, 3)), date(2024, 6, 2))
    True
    >>> may_log_in(User(active=True, left_on=date(2024, 6, 3)), date(2024, 6, 3))
    False
    """
    return bool(user.active) and (user.left_on is None or user.left_on > today)


def logout(session: Session, token: str) -> None:
    """End the session of ``token`` (no error when it is already gone)."""
    session.execute(delete(AuthSession).where(AuthSession.token_hash == _digest(token)))
    session.flush()
