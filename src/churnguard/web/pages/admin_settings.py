"""The warning-rule thresholds and the playbooks on the admin page: what is in force, and
an admin's change of them written to ``churnguard.toml``.

A change is checked by the library's own parsers (:func:`churnguard.risk.rules.
rules_from_settings`, :func:`churnguard.workflow.services.playbooks.parse_playbooks`) before
anything is written; it goes to the file through :func:`churnguard.config_edit.edit_settings`
(comments and other sections kept, written atomically), to the audit log (entity
``settings``, key ``rules.<name>`` / ``playbooks.<name>``, before and after), and into the
running app's settings at once.

Examples
--------
>>> form_number("0.6"), form_number(" 7 ", whole=True), form_number(""), form_number("x")
(0.6, 7, None, 'x')
>>> form_list("core, growth"), form_list("core"), form_list(" ")
(['core', 'growth'], 'core', None)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from churnguard.config_edit import SettingsChange, edit_settings, settings_version
from churnguard.errors import ConfigError
from churnguard.workflow import audit
from churnguard.workflow.models.tasks import TASK_KINDS
from churnguard.workflow.services.playbooks import DEFAULT_PLAYBOOKS, parse_playbooks

#: The playbook fields the form edits, in the order shown.
PLAYBOOK_FIELDS = ("tier", "risk_band", "segment", "is_core", "p_churn_min", "p_churn_max",
                   "profit_at_risk_min", "clv_min", "task", "due_days", "cooldown_days",
                   "title", "title_zh")
_LISTS = ("tier", "risk_band", "segment")
_NUMBERS = ("p_churn_min", "p_churn_max", "profit_at_risk_min", "clv_min")
_DAYS = ("due_days", "cooldown_days")


class PlaybookForm(BaseModel):
    """The playbook form as posted (text; empty means "not set")."""

    tier: str = ""
    risk_band: str = ""
    segment: str = ""
    is_core: str = ""
    p_churn_min: str = ""
    p_churn_max: str = ""
    profit_at_risk_min: str = ""
    clv_min: str = ""
    task: str = "call"
    due_days: str = ""
    cooldown_days: str = ""
    title: str = ""
    title_zh: str = ""
    settings_version: str = ""


def form_number(text: str, *, whole: bool = False) -> int | float | str | None:
    """A number typed in a form: ``None`` when empty, the text itself when it is not a number
    (so the library's check names it in its message)."""
    text = text.strip()
    if not text:
        return None
    try:
        return int(text) if whole else float(text)
    except ValueError:
        return text


def form_list(text: str) -> list[str] | str | None:
    """Comma-separated values typed in a form: one value, a list, or ``None`` when empty."""
    values = [part.strip() for part in text.replace("，", ",").split(",") if part.strip()]
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def rule_rows(section: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every warning rule (disabled ones too) with the toml's ``[rules]`` applied; an
    unreadable section gives one row that says what is wrong."""
    try:
        from churnguard.risk.rules import DEFAULT_RULES, rules_from_settings
    except ImportError:
        return []
    try:
        enabled = {rule.name: rule for rule in rules_from_settings(section)}
    except ConfigError as exc:
        return [{"name": "error", "feature": str(exc), "threshold": None, "severity": None,
                 "enabled": False, "zh": "", "en": ""}]
    rows = []
    for default in DEFAULT_RULES:
        rule = enabled.get(default.name)
        options = section.get(default.name) or {}
        threshold = rule.threshold if rule else float(options.get("threshold",
                                                                   default.threshold))
        rows.append({"name": default.name, "feature": default.feature, "threshold": threshold,
                     "default": default.threshold,
                     "severity": rule.severity if rule else default.severity,
                     "enabled": rule is not None, "zh": default.zh, "en": default.en})
    return rows


def playbook_rows(section: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The playbooks in force: the toml's ``[playbooks]``, else the built-in ones."""
    return {name: dict(spec) for name, spec in (section or DEFAULT_PLAYBOOKS).items()}


def check_rules(section: dict[str, Any]) -> None:
    """Refuse a ``[rules]`` section the library would refuse (thresholds must be finite
    numbers ≥ 0, severities 1–3, ``enabled`` true or false)."""
    from churnguard.risk.rules import rules_from_settings

    rules_from_settings(section)


def save_rule(db: Session, folder: Path, name: str, *, threshold: str, enabled: bool,
              version: str | None) -> SettingsChange:
    """Write rule ``name``'s threshold and on/off; audit it in ``db``'s transaction."""
    from churnguard.risk.rules import RULE_NAMES

    if name not in RULE_NAMES:
        raise ConfigError(f"there is no warning rule {name!r}; rules: {', '.join(RULE_NAMES)}.")
    values = {"threshold": form_number(threshold), "enabled": None if enabled else False}
    if values["threshold"] is None:
        raise ConfigError(f"[rules.{name}] give a threshold (a number ≥ 0).")
    return _save(db, folder, "rules", name, values, version, check_rules, None)


def save_playbook(db: Session, folder: Path, name: str, form: PlaybookForm, *,
                  in_force: Mapping[str, Any]) -> SettingsChange:
    """Write playbook ``name`` (one of ``in_force``, the playbooks in force) with the form's
    fields (empty ones are removed); audit it in ``db``'s transaction. The built-in playbooks
    are written out first when the file has none."""
    if name not in in_force:
        raise ConfigError(f"there is no playbook {name!r}; playbooks: "
                          f"{', '.join(in_force)}. Add new ones to churnguard.toml.")
    values: dict[str, Any] = {key: form_list(getattr(form, key)) for key in _LISTS}
    values["is_core"] = {"true": True, "false": False}.get(form.is_core.strip().lower())
    values |= {key: form_number(getattr(form, key)) for key in _NUMBERS}
    values |= {key: form_number(getattr(form, key), whole=True) for key in _DAYS}
    values |= {"task": form.task.strip() or None, "title": form.title.strip() or None,
               "title_zh": form.title_zh.strip() or None}
    if values["task"] not in (None, *TASK_KINDS):
        raise ConfigError(f"[playbooks.{name}] task {values['task']!r} is not one of "
                          f"{', '.join(TASK_KINDS)}.")
    return _save(db, folder, "playbooks", name, values, form.settings_version or None,
                 parse_playbooks, DEFAULT_PLAYBOOKS)


def _save(db: Session, folder: Path, section: str, name: str, values: dict[str, Any],
          version: str | None, validate: Any, defaults: Any) -> SettingsChange:
    """Audit first (in the request's transaction), then write: a failed write rolls the
    audit entry back with the request."""
    change = edit_settings(folder, section, name, values, expected_version=version,
                           validate=validate, defaults=defaults, dry_run=True)
    audit.record(db, "settings", [(f"{section}.{name}", change.before, change.after)],
                 action="update")
    db.flush()
    return edit_settings(folder, section, name, values, expected_version=version,
                         validate=validate, defaults=defaults)


def current_version(folder: Path | None) -> str:
    """The settings file's version for the forms (empty without a workspace)."""
    return settings_version(folder) if folder is not None else ""
