"""Users, their login sessions and login attempts (用户、会话)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from churnguard.workflow.models.base import Base, utcnow

ROLES = ("admin", "manager", "rep")


class User(Base):
    """A person who logs in (role ``admin``, ``manager`` or ``rep``) or a synced staff member.

    ``staff_id`` links the user to the warehouse ``staff`` table; a user without a password
    (created by ``churnguard sync`` for a staff member) cannot log in until one is set.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="rep")
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    staff_id: Mapped[str | None] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    left_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # notifications (migration 0006): where and in which language this person hears from us
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str | None] = mapped_column(String(8))
    notify_channels: Mapped[list | None] = mapped_column(JSON)

    manager: Mapped[User | None] = relationship(remote_side=[id], lazy="joined",
                                                 join_depth=1)

    def public(self) -> dict[str, object]:
        """The fields safe to show (never the password hash)."""
        return {"id": self.id, "username": self.username, "display_name": self.display_name,
                "role": self.role, "manager_id": self.manager_id, "staff_id": self.staff_id,
                "active": self.active, "left_on": self.left_on, "email": self.email,
                "language": self.language, "notify_channels": self.notify_channels}


class AuthSession(Base):
    """A server-side login session; the cookie carries the signed token, the row its hash."""

    __tablename__ = "auth_sessions"
    __audited__ = False

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class LoginAttempt(Base):
    """One login attempt, kept to rate-limit password guessing."""

    __tablename__ = "login_attempts"
    __audited__ = False

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    success: Mapped[bool] = mapped_column(Boolean, default=False)
