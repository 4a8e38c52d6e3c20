"""Playbook rules (``[playbooks]`` in the toml) that turn risk scores into tasks for owners.

Each rule names conditions on a customer and the task to create::

    [playbooks.core_high_risk]
    tier = "core"              # or a list; also: risk_band, segment, is_core
    p_churn_min = 0.5          # also: p_churn_max, profit_at_risk_min, clv_min
    task = "call"              # a task kind
    due_days = 2
    title = "Call {name}: churn risk {p_churn:.0%}"
    title_zh = "致电{name}：流失风险 {p_churn:.0%}"   # optional: the title in Chinese
    cooldown_days = 30         # no new task from this rule within 30 days of the last one

Each task stores both renderings (the message ``tasktitle.text`` with ``en`` and ``zh``), so a
Chinese reader sees ``title_zh`` and an English one ``title``; without ``title_zh`` both see
``title``.

Rules are tried in the order they are written and the first that matches a customer wins (a
core customer at high risk gets the 2-day call, not also the 7-day one). A customer gets at most
one task per rule and score date (the ``source_key``), none while any playbook task of theirs is
open, and none within a rule's ``cooldown_days`` of its last one, so running sync again creates
nothing new.

Examples
--------
>>> rules = parse_playbooks({"vip": {"tier": "core", "p_churn_min": 0.5, "due_days": 2}})
>>> rules[0].name, rules[0].task, rules[0].due_days
('vip', 'call', 2)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from churnguard.errors import ConfigError
from churnguard.workflow import audit
from churnguard.workflow.models import Customer, RiskCase, Task, utcnow
from churnguard.workflow.models.tasks import TASK_KINDS
from churnguard.workflow.services.frames import read_frame, records

DEFAULT_PLAYBOOKS: dict[str, dict[str, Any]] = {
    "core_high_risk": {"is_core": True, "p_churn_min": 0.5, "task": "call", "due_days": 2,
                       "title": "Call core customer {name}: churn risk {p_churn:.0%}",
                       "title_zh": "致电核心客户{name}：流失风险 {p_churn:.0%}"},
    "high_risk": {"risk_band": "high", "task": "call", "due_days": 7,
                  "title": "Call {name}: churn risk {p_churn:.0%}",
                  "title_zh": "致电{name}：流失风险 {p_churn:.0%}"},
}
DEFAULT_TITLE = "Contact {name}"
DEFAULT_TITLE_ZH = "联系{name}"
#: What a title may name: the customer's fields (``{name}``, ``{p_churn:.0%}``…).
TITLE_FIELDS = ("id", "name", "owner_id", "tier", "is_core", "risk_band", "segment", "p_churn",
                "profit_at_risk", "clv", "scored_as_of")
_MATCH_KEYS = ("tier", "risk_band", "segment", "is_core")
_RANGE_KEYS = {"p_churn_min": ("p_churn", ">="), "p_churn_max": ("p_churn", "<"),
               "profit_at_risk_min": ("profit_at_risk", ">="), "clv_min": ("clv", ">=")}
_TASK_KEYS = ("task", "due_days", "title", "title_zh", "cooldown_days")


@dataclass(frozen=True)
class Playbook:
    """One rule: conditions (``match`` values, ``ranges``) and the task to create."""

    name: str
    match: dict[str, Any] = field(default_factory=dict)
    ranges: dict[str, float] = field(default_factory=dict)
    task: str = "call"
    due_days: int = 7
    title: str = DEFAULT_TITLE
    title_zh: str | None = None
    cooldown_days: int = 30


def parse_playbooks(section: dict[str, Any]) -> list[Playbook]:
    """Rules from the ``[playbooks]`` section (the defaults when it is empty).

    Raises :class:`~churnguard.errors.ConfigError` naming the rule and key for anything it
    cannot use: an unknown key or task kind, a number that is not one, a negative number of
    days, a title that names a field customers do not have.

    Examples
    --------
    >>> parse_playbooks({"x": {"due_days": "soon"}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    churnguard.errors.ConfigError: [playbooks.x] due_days must be a whole number ≥ 0, ...
    """
    return [_parse_rule(name, spec) for name, spec in (section or DEFAULT_PLAYBOOKS).items()]


def _parse_rule(name: str, spec: Any) -> Playbook:
    if not isinstance(spec, dict):
        raise ConfigError(f"[playbooks.{name}] must be a table of conditions, got {spec!r}.")
    unknown = set(spec) - set(_MATCH_KEYS) - set(_RANGE_KEYS) - set(_TASK_KEYS)
    if unknown:
        raise ConfigError(f"[playbooks.{name}] has unknown key(s) "
                          f"{', '.join(sorted(unknown))}; conditions are "
                          f"{', '.join((*_MATCH_KEYS, *_RANGE_KEYS))}, the task "
                          f"{', '.join(_TASK_KEYS)}.")
    kind = spec.get("task", "call")
    if kind not in TASK_KINDS:
        raise ConfigError(f"[playbooks.{name}] task {kind!r} is not one of "
                          f"{', '.join(TASK_KINDS)}.")
    ranges = {}
    for key in (k for k in _RANGE_KEYS if k in spec):
        value = spec[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise ConfigError(f"[playbooks.{name}] {key} must be a number, got {value!r}.")
        ranges[key] = float(value)
    titles = {}
    for key, default in (("title", DEFAULT_TITLE), ("title_zh", None)):
        title = spec.get(key, default)
        if title is not None:
            if not isinstance(title, str) or not title.strip():
                raise ConfigError(f"[playbooks.{name}] {key} must be a text, got {title!r}.")
            _check_title(name, key, title)
        titles[key] = title
    return Playbook(name=name, match={k: spec[k] for k in _MATCH_KEYS if k in spec},
                    ranges=ranges, task=kind, due_days=_days(name, spec, "due_days", 7),
                    cooldown_days=_days(name, spec, "cooldown_days", 30), **titles)


def _days(name: str, spec: dict[str, Any], key: str, default: int) -> int:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"[playbooks.{name}] {key} must be a whole number ≥ 0, "
                          f"got {value!r}.")
    return value


def _check_title(name: str, key: str, title: str) -> None:
    sample = {field: "" for field in TITLE_FIELDS} | {"name": "x", "p_churn": 0.5,
                                                      "profit_at_risk": 0.0, "clv": 0.0}
    try:
        title.format(**sample)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f"[playbooks.{name}] {key} {title!r} cannot be filled in ({exc!r}); "
                          f"it may name {', '.join('{' + f + '}' for f in TITLE_FIELDS)}, "
                          f"e.g. {{p_churn:.0%}}.") from None


def matching(customers: pd.DataFrame, rule: Playbook) -> pd.DataFrame:
    """The customers (rows of the app's customer frame) a rule selects, vectorised.

    Examples
    --------
    >>> frame = pd.DataFrame({"id": ["a", "b"], "tier": ["core", "low"], "p_churn": [0.6, 0.9]})
    >>> rule = Playbook("vip", match={"tier": "core"}, ranges={"p_churn_min": 0.5})
    >>> matching(frame, rule)["id"].tolist()
    ['a']
    """
    mask = pd.Series(True, index=customers.index)
    for key, wanted in rule.match.items():
        values = wanted if isinstance(wanted, list) else [wanted]
        mask &= customers[key].isin(values)
    for key, bound in rule.ranges.items():
        column, op = _RANGE_KEYS[key]
        values = pd.to_numeric(customers[column], errors="coerce")
        mask &= (values >= bound) if op == ">=" else (values < bound)
    return customers[mask.fillna(False)]


def run_playbooks(session: Session, rules: list[Playbook], *, today: date) -> int:
    """Create the tasks the rules call for; returns how many were created."""
    customers = read_frame(session, select(
        Customer.id, Customer.name, Customer.owner_id, Customer.tier, Customer.is_core,
        Customer.risk_band, Customer.segment, Customer.p_churn, Customer.profit_at_risk,
        Customer.clv, Customer.scored_as_of).where(Customer.status == "active"))
    created = 0
    open_cases = dict(session.execute(select(RiskCase.customer_id, RiskCase.id).where(
        RiskCase.stage.not_in(("recovered", "lost")))).all())
    taken = set(session.scalars(select(Task.customer_id).where(
        Task.signal.like("playbook:%"), Task.status == "open")))
    for rule in rules:
        chosen = matching(customers, rule)
        chosen = chosen[~chosen["id"].isin(taken | _recent(session, rule, today))]
        taken |= set(matching(customers, rule)["id"])  # first matching rule wins
        if chosen.empty:
            continue
        keys = "playbook:" + rule.name + ":" + chosen["id"] + ":" + chosen["scored_as_of"].astype(
            str)
        rows = chosen.to_dict("records")
        english = [_title(rule.title, row) for row in rows]
        chinese = [_title(rule.title_zh, row) for row in rows] if rule.title_zh else english
        tasks = pd.DataFrame({
            "customer_id": chosen["id"], "owner_id": chosen["owner_id"], "kind": rule.task,
            "title": [text[:300] for text in english], "title_key": "tasktitle.text",
            "title_params": [{"en": en, "zh": zh} for en, zh in zip(english, chinese,
                                                                     strict=True)],
            "due_date": today + timedelta(days=rule.due_days), "status": "open",
            "signal": f"playbook:{rule.name}", "source_key": keys, "created_at": utcnow(),
            "risk_case_id": chosen["id"].map(open_cases).astype("Int64"), "version": 1})
        existing = set(session.scalars(select(Task.source_key).where(
            Task.source_key.in_(keys.tolist()))))
        tasks = tasks[~tasks["source_key"].isin(existing)]
        rows = records(tasks)
        if rows:
            ids = session.execute(insert(Task).returning(Task.id), rows).scalars().all()
            audit.record(session, "tasks", [(i, None, r) for i, r in zip(ids, rows,
                                                                         strict=True)],
                         action="insert")
        created += len(rows)
    return created


def _recent(session: Session, rule: Playbook, today: date) -> set[str]:
    """Customers who got a task from ``rule`` within its cooldown."""
    # a task made on day d is due on d + due_days: "made within the cooldown" in due dates
    due_since = today - timedelta(days=rule.cooldown_days) + timedelta(days=rule.due_days)
    recent = select(Task.customer_id).where(Task.signal == f"playbook:{rule.name}",
                                            Task.due_date > due_since)
    return set(session.scalars(recent))


def _title(template: str, row: dict[str, Any]) -> str:
    values = {k: (v if v is not None and v == v else "") for k, v in row.items()}
    values["name"] = values.get("name") or row["id"]
    values["p_churn"] = float(row["p_churn"]) if row.get("p_churn") == row.get("p_churn") \
        and row.get("p_churn") is not None else 0.0
    try:
        return template.format(**values)
    except (KeyError, ValueError, IndexError):
        return template
