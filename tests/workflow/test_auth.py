"""Users, argon2 passwords, login rate limit, session expiry and logout."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from churnguard.workflow.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    RateLimitedError,
)
from churnguard.workflow.models import LoginAttempt
from churnguard.workflow.services import auth

NOW = datetime(2024, 5, 1, 9, 0)
POLICY = auth.LoginPolicy(max_failures=3, window=timedelta(minutes=15),
                          session_lifetime=timedelta(hours=2))


def test_passwords_are_stored_as_argon2id_hashes(db):
    user = auth.create_user(db, "ann", "correct horse", role="rep")
    assert user.password_hash.startswith("$argon2id$")
    assert "correct horse" not in user.password_hash
    assert auth.verify_password(user.password_hash, "correct horse")
    assert not auth.verify_password(user.password_hash, "Correct horse")


def test_create_user_rejects_duplicates_bad_roles_and_empty_names(db):
    auth.create_user(db, "ann", "pw", role="rep")
    with pytest.raises(ConflictError, match="user 'ann' already exists"):
        auth.create_user(db, "ann", "pw")
    with pytest.raises(InvalidInputError, match="role 'boss' is not one of admin, manager, rep"):
        auth.create_user(db, "bo", "pw", role="boss")
    with pytest.raises(InvalidInputError, match="user name is empty"):
        auth.create_user(db, "  ", "pw")


def test_login_opens_a_session_that_expires(db):
    auth.create_user(db, "ann", "pw-ann")
    user, token = auth.login(db, "ann", "pw-ann", now=NOW, policy=POLICY)
    assert auth.user_for_token(db, token, now=NOW + timedelta(hours=1)) is user
    assert auth.user_for_token(db, token, now=NOW + timedelta(hours=2)) is None
    assert auth.user_for_token(db, "forged", now=NOW) is None


def test_logout_ends_the_session(db):
    auth.create_user(db, "ann", "pw-ann")
    _user, token = auth.login(db, "ann", "pw-ann", now=NOW, policy=POLICY)
    auth.logout(db, token)
    assert auth.user_for_token(db, token, now=NOW) is None


def test_wrong_password_and_unknown_user_get_the_same_answer(db):
    auth.create_user(db, "ann", "pw-ann")
    with pytest.raises(AuthenticationError, match="wrong user name or password"):
        auth.login(db, "ann", "nope", now=NOW, policy=POLICY)
    with pytest.raises(AuthenticationError, match="wrong user name or password"):
        auth.login(db, "nobody", "nope", now=NOW, policy=POLICY)


def test_users_without_password_or_inactive_cannot_log_in(db):
    staff = auth.create_user(db, "s1", None)
    with pytest.raises(AuthenticationError):
        auth.login(db, "s1", "", now=NOW, policy=POLICY)
    ann = auth.create_user(db, "ann", "pw-ann")
    ann.active = False
    with pytest.raises(AuthenticationError):
        auth.login(db, "ann", "pw-ann", now=NOW, policy=POLICY)
    assert staff.password_hash is None


def test_rate_limit_blocks_after_failures_in_the_window_then_lifts(db):
    auth.create_user(db, "ann", "pw-ann")
    for minute in range(3):
        with pytest.raises(AuthenticationError):
            auth.login(db, "ann", "guess", now=NOW + timedelta(minutes=minute), policy=POLICY)
    # even the right password is refused while the limit holds
    with pytest.raises(RateLimitedError, match="too many failed logins for 'ann'. Wait 15"):
        auth.login(db, "ann", "pw-ann", now=NOW + timedelta(minutes=5), policy=POLICY)
    # 15 minutes after the first failure only two remain in the window
    user, _token = auth.login(db, "ann", "pw-ann", now=NOW + timedelta(minutes=15),
                              policy=POLICY)
    assert user.username == "ann"
    attempts = db.scalars(select(LoginAttempt.success).order_by(LoginAttempt.id)).all()
    assert attempts == [False, False, False, True]


def test_set_password_ends_existing_sessions(db):
    ann = auth.create_user(db, "ann", "pw-ann")
    _user, token = auth.login(db, "ann", "pw-ann", now=NOW, policy=POLICY)
    auth.set_password(db, ann, "new-password")
    assert auth.user_for_token(db, token, now=NOW) is None
    with pytest.raises(InvalidInputError, match="shorter than 4"):
        auth.set_password(db, ann, "abc")
