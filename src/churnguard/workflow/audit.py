"""Writes every insert, update and delete of audited models to ``audit_log``.

The log is written in the same transaction as the change (an ``after_flush`` hook), so a change
and its audit entry commit or roll back together. The acting user is ``session.info["actor_id"]``.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, sessionmaker

from churnguard.workflow.errors import InvalidInputError
from churnguard.workflow.models.audit import AuditEntry
from churnguard.workflow.models.base import utcnow


def install(factory: sessionmaker[Session]) -> None:
    """Attach the audit hooks to sessions made by ``factory`` (idempotent)."""
    if not event.contains(factory, "after_flush", _after_flush):
        event.listen(factory, "before_flush", _before_flush)
        event.listen(factory, "after_flush", _after_flush)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry):
            raise InvalidInputError("the audit log is append-only: entries cannot be changed "
                                    "or deleted.")


def _after_flush(session: Session, _context: Any) -> None:
    rows: list[dict[str, Any]] = []
    actor = _actor(session)
    now = utcnow()
    for action, objects in (("insert", session.new), ("update", session.dirty),
                            ("delete", session.deleted)):
        for obj in objects:
            if not getattr(obj, "__audited__", False):
                continue
            entry = _entry(obj, action)
            if entry is not None:
                rows.append({**entry, "actor_id": actor, "at": now})
    if rows:
        session.connection().execute(insert(AuditEntry.__table__), rows)


def _actor(session: Session) -> int | None:
    """``session.info["actor_id"]``: a user id, ``None`` (the system), or a callable giving
    one (the web app resolves the user lazily)."""
    actor = session.info.get("actor_id")
    return actor() if callable(actor) else actor


def _entry(obj: Any, action: str) -> dict[str, Any] | None:
    state = inspect(obj)
    mapper = state.mapper
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for column in mapper.column_attrs:
        key = column.key
        history = state.attrs[key].load_history()
        if action == "update":
            if not history.has_changes():
                continue
            before[key] = _plain(history.deleted[0] if history.deleted else None)
            after[key] = _plain(history.added[0] if history.added else None)
        elif action == "insert":
            after[key] = _plain(getattr(obj, key))
        else:
            before[key] = _plain(state.committed_state.get(key, getattr(obj, key, None)))
    if action == "update" and not after:
        return None
    for side in (before, after):
        if side.get("password_hash") is not None:
            side["password_hash"] = "***"
    identity = mapper.primary_key_from_instance(obj)
    return {"action": action, "entity": mapper.local_table.name,
            "entity_id": ":".join(str(v) for v in identity),
            "before": before or None, "after": after or None}


def _plain(value: Any) -> Any:
    """A JSON-safe value: dates as ISO text; ``inf``/``NaN`` as text, since JSON has no such
    numbers and one such row would make the database's JSON functions fail on the whole log.

    Examples
    --------
    >>> _plain(float("inf")), _plain(date(2024, 3, 5)), _plain(2.5)
    ('inf', '2024-03-05', 2.5)
    """
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def record(session: Session, entity: str, changes: list[tuple[str, dict | None, dict | None]],
           *, action: str) -> None:
    """Write audit entries for changes made with bulk statements (which bypass the ORM hook).

    ``changes`` holds ``(entity_id, before, after)`` tuples; the actor is the session's.
    """
    if not changes:
        return
    actor = _actor(session)
    now = utcnow()
    rows = [{"action": action, "entity": entity, "entity_id": str(key), "actor_id": actor,
             "at": now, "before": _plain_dict(before), "after": _plain_dict(after)}
            for key, before, after in changes]
    session.connection().execute(insert(AuditEntry.__table__), rows)


def _plain_dict(values: dict | None) -> dict | None:
    if values is None:
        return None
    return {k: _plain(v) for k, v in values.items()}
