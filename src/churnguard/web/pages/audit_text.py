"""The audit trail as sentences a person reads: "Owner changed to Rep1", "Task created: Call
…" — in the reader's language, with people by name, codes by label and no raw JSON. Names and
typed titles are data: they are marked ``translate="no"`` in the (escaped) HTML returned.

Examples
--------
>>> from datetime import datetime
>>> from churnguard.workflow.services.history import TrailEntry
>>> entry = TrailEntry(id=1, at=datetime(2026, 7, 1), actor_id=None, action="update",
...                    entity="customers", entity_id="c1", before={"owner_id": 2},
...                    after={"owner_id": 3})
>>> str(describe(entry, "en", {3: "Rep1"}))
'Owner changed to <span translate="no">Rep1</span>'
>>> str(describe(entry, "zh", {3: "Rep1"}))
'负责人改为 <span translate="no">Rep1</span>'
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from markupsafe import Markup, escape

from churnguard.i18n import catalogue, translate, translate_value
from churnguard.workflow.services.history import UNREADABLE, TrailEntry
from churnguard.workflow.services.tasks import task_title

#: fields holding a user id (shown as the user's name)
USER_FIELDS = ("owner_id", "escalated_to_id", "manager_id", "actor_id", "assigned_to_id")
#: fields holding a code shown through a catalogue family
CODE_FIELDS = {"tier": "tier", "segment": "segment", "severity": "severity", "role": "role",
               "kind": "task", "lifecycle": "lifecycle", "risk_band": "risk_band",
               "channel": "channel"}
STATUS_FAMILY = {"tasks": "task_status", "complaints": "complaint_status",
                 "customers": "customer_status"}
#: bookkeeping fields a reader does not need
HIDDEN = ("id", "version", "synced_at", "created_at", "password_hash", "source_key",
          "title_key", "title_params", "warehouse_owner_id", "risk_case_id", "customer_id")


def _t(key: str, lang: str, **values: object) -> Markup:
    """The catalogue text with ``values`` escaped (a Markup value is kept as it is)."""
    return Markup(escape(translate(key, lang))).format(**values)


def _data(text: object) -> Markup:
    return Markup('<span translate="no">{}</span>').format(text)


def entity_label(entity: str, entity_id: str, lang: str) -> str:
    """The record an entry is about: ``Task 58``, ``客户 C0000001``."""
    key = f"audit.entity.{entity}"
    name = translate(key, lang) if key in catalogue(lang) else entity
    return f"{name} {entity_id}"


def describe(entry: TrailEntry, lang: str, users: dict[int, str]) -> Markup:
    """One sentence for an audit entry (see the module examples)."""
    before, after = entry.before, entry.after
    if UNREADABLE in (before, after):
        return _t("audit.unreadable", lang)
    if entry.action == "insert":
        return _created(entry.entity, after if isinstance(after, dict) else {}, lang, users)
    if entry.action == "delete":
        return _t("audit.deleted", lang)
    changes = after if isinstance(after, dict) else {}
    parts = [_t("audit.changed_to", lang, field=_field(name, lang),
                       value=_value(entry.entity, name, value, lang, users))
             for name, value in changes.items() if name not in HIDDEN]
    return Markup("；" if lang == "zh" else "; ").join(parts) or _t("audit.updated", lang)


def _created(entity: str, row: dict[str, Any], lang: str, users: dict[int, str]) -> Markup:
    if entity == "tasks":
        task = SimpleNamespace(title=row.get("title") or "", title_key=row.get("title_key"),
                               title_params=row.get("title_params"))
        title = task_title(task, lang)  # type: ignore[arg-type]
        typed = not task.title_key or task.title_key == "tasktitle.text"
        text = _t("audit.task_created", lang, title=_data(title) if typed else title)
        owner = row.get("owner_id")
        if owner in users:
            text += _t("audit.for_user", lang, user=_data(users[owner]))
        return text
    if entity == "complaints":
        return _t("audit.complaint_created", lang,
                         reason=_value(entity, "reason", row.get("reason"), lang, users))
    if entity == "churn_archive":
        return _t("audit.churn_recorded", lang, day=str(row.get("churn_date") or "–"),
                         reason=_value(entity, "reason", row.get("reason"), lang, users))
    if entity == "customers":
        owner = row.get("owner_id")
        text = _t("audit.customer_created", lang)
        if owner in users:
            text += _t("audit.for_user", lang, user=_data(users[owner]))
        return text
    return _t("audit.created", lang)


def _field(name: str, lang: str) -> str:
    key = f"audit.field.{name}"
    return translate(key, lang) if key in catalogue(lang) else name


def _value(entity: str, name: str, value: Any, lang: str, users: dict[int, str]) -> object:
    if value is None or value == "":
        return translate("audit.nothing", lang)
    if name in USER_FIELDS:
        return _data(users.get(value, f"#{value}"))
    if name == "status" and entity in STATUS_FAMILY:
        return translate_value(STATUS_FAMILY[entity], value, lang)
    if name in CODE_FIELDS:
        return translate_value(CODE_FIELDS[name], value, lang)
    if name == "reason":
        from churnguard.reasons.taxonomy import default_taxonomy

        return default_taxonomy().label(str(value), lang=lang)
    if isinstance(value, bool):
        return translate("common.yes" if value else "common.no", lang)
    if isinstance(value, str) and len(value) >= 16 and value[10:11] == "T":  # a timestamp
        return value[:16].replace("T", " ")
    if isinstance(value, dict | list):
        return "…"
    return value if isinstance(value, int | float) else _data(value)


def user_names(db: Any, entries: list[TrailEntry]) -> dict[int, str]:
    """``user id → display name`` for every user an entry names or was made by."""
    from sqlalchemy import select

    from churnguard.workflow.models import User

    ids: set[int] = {e.actor_id for e in entries if e.actor_id is not None}
    for entry in entries:
        for change in (entry.before, entry.after):
            if isinstance(change, dict):
                ids |= {v for k, v in change.items() if k in USER_FIELDS and isinstance(v, int)}
    if not ids:
        return {}
    rows = db.execute(select(User.id, User.display_name, User.username)
                      .where(User.id.in_(ids))).all()
    return {row[0]: row[1] or row[2] for row in rows}
