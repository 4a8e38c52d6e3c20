"""The admin page's settings in words: each warning rule's condition with its threshold, each
playbook as "when … then …", and catalogue texts with `commands` set as code.

Examples
--------
>>> rule_condition("order_drop", 0.5, "en")
'orders in the last 90 days fell by 50% or more against the 90 days before'
>>> rule_condition("complaints", 2.0, "zh")
'近90天投诉 2 次或以上'
>>> str(code_markup("run `churnguard score` <now>"))
'run <code translate="no">churnguard score</code> &lt;now&gt;'
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup, escape

from churnguard.i18n import catalogue, translate, translate_value

#: rules whose threshold is a share (0.5) shown as a percentage (50%)
PERCENT_RULES = ("order_drop", "spend_drop", "order_value_drop", "wallet_share_drop")
_PLACEHOLDER = re.compile(r"\{(\w+)(?::[^}]*)?\}")
_CODE = re.compile(r"`([^`]+)`")


def rule_condition(name: str, threshold: float | None, lang: str) -> str:
    """When rule ``name`` fires, in words, with its threshold."""
    key = f"rule.{name}"
    if threshold is None or key not in catalogue(lang):
        return name
    shown = threshold * 100 if name in PERCENT_RULES else threshold
    return translate(key, lang, t=f"{shown:g}")


def code_markup(text: str) -> Markup:
    """``text`` escaped, with each `backticked` part set as code (never translated)."""
    return Markup(_CODE.sub(r'<code translate="no">\1</code>', str(escape(text))))


def playbook_summary(spec: dict[str, Any], lang: str) -> dict[str, Any]:
    """A playbook as ``{"when": [condition…], "then": "call within 2 days: …",
    "cooldown": text or None}`` in ``lang``.

    Examples
    --------
    >>> playbook_summary({"risk_band": "high", "task": "call", "due_days": 7,
    ...                   "title": "Call {name}: churn risk {p_churn:.0%}"}, "en")["then"]
    'Call within 7 days: “Call ‹Name›: churn risk ‹Churn risk›”'
    """
    when = []
    colon = "：" if lang == "zh" else ": "
    for field in ("tier", "risk_band", "segment"):
        value = spec.get(field)
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        family = {"tier": "tier", "risk_band": "risk_band", "segment": "segment"}[field]
        when.append(translate(f"playbook.{field}", lang).split("（")[0].split(" (")[0] + colon
                    + ", ".join(translate_value(family, v, lang) for v in values))
    if spec.get("is_core") is not None:
        when.append(translate("playbook.is_core", lang) + colon
                    + translate("common.yes" if spec["is_core"] else "common.no", lang))
    for field in ("p_churn_min", "p_churn_max"):
        if spec.get(field) is not None:
            when.append(f"{translate(f'playbook.{field}', lang)} {spec[field]:.0%}")
    for field in ("profit_at_risk_min", "clv_min"):
        if spec.get(field) is not None:
            when.append(f"{translate(f'playbook.{field}', lang)} ¥{spec[field]:,.0f}")
    title = spec.get("title_zh" if lang == "zh" else "title") or spec.get("title") or ""
    title = _PLACEHOLDER.sub(lambda m: f"‹{_field_label(m.group(1), lang)}›", title)
    task = translate_value("task", spec.get("task", "call"), lang)
    then = translate("admin.playbook_task", lang, task=task, days=spec.get("due_days", 7),
                     title=title)
    cooldown = (translate("admin.playbook_cooldown", lang, days=spec["cooldown_days"])
                if spec.get("cooldown_days") else None)
    return {"when": when or [translate("admin.playbook_all", lang)],
            "then": then[0].upper() + then[1:], "cooldown": cooldown}


def _field_label(field: str, lang: str) -> str:
    key = f"audit.field.{field}"
    return translate(key, lang) if key in catalogue(lang) else field
