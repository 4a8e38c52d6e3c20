"""The retention workflow: the app store (SQLAlchemy 2 + Alembic) and its services.

Tasks, risk cases and retention plans, complaints with deadlines, surveys, the care calendar,
loyalty points, win-back campaigns with holdouts, the churn archive, hand-overs and the audit log.
"""

from __future__ import annotations

from churnguard.workflow.db import make_engine, make_sessionmaker, migrate, session_scope

__all__ = ["make_engine", "make_sessionmaker", "migrate", "session_scope"]
