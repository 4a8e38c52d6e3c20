"""Early-warning rules: readable signals with thresholds a manager can set.

Each rule looks at one feature of :func:`churnguard.risk.features.features` and fires a signal
with a sentence in English and Chinese, e.g. "orders in the last 90 days fell 60% against the
90 before" / "近90天订单数较前90天下降 60%". Defaults cover every early sign of leaving: falling
purchase frequency, falling spend and order value, a long silence against the customer's own
rhythm, shrinking product breadth, complaints (many, unresolved), low satisfaction, late or
overdue payment, the account owner leaving, and a falling share of wallet.

Settings live in the workspace ``churnguard.toml``::

    [rules.order_drop]
    threshold = 0.6      # fire when orders fell by 60% or more
    [rules.owner_left]
    enabled = false

Rules run vectorised over the feature frame (already computed in the engine), never customer
by customer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from churnguard.errors import ConfigError


@dataclass(frozen=True)
class Rule:
    """One warning rule.

    ``test(frame, threshold)`` returns a boolean Series; ``value(frame)`` the number shown in
    the sentences (``{v}``); ``severity`` 1 (watch) to 3 (act now) orders the signals.
    """

    name: str
    feature: str
    threshold: float
    severity: int
    test: Callable[[pd.DataFrame, float], pd.Series]
    value: Callable[[pd.DataFrame], pd.Series]
    en: str
    zh: str
    enabled: bool = True


def _col(name: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda f: f[name].astype("float64")


def _pct_fall(name: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda f: (-100 * f[name].astype("float64")).round()


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("order_drop", "orders_change_90d", 0.5, 2,
         lambda f, t: f["orders_change_90d"] <= -t, _pct_fall("orders_change_90d"),
         "orders in the last 90 days fell {v:.0f}% against the 90 before",
         "近90天订单数较前90天下降 {v:.0f}%"),
    Rule("spend_drop", "revenue_change_90d", 0.5, 2,
         lambda f, t: f["revenue_change_90d"] <= -t, _pct_fall("revenue_change_90d"),
         "spend in the last 90 days fell {v:.0f}% against the 90 before",
         "近90天消费额较前90天下降 {v:.0f}%"),
    Rule("order_value_drop", "order_value_change_180d", 0.3, 1,
         lambda f, t: f["order_value_change_180d"] <= -t, _pct_fall("order_value_change_180d"),
         "average order value fell {v:.0f}% against the 180 days before",
         "客单价较前180天下降 {v:.0f}%"),
    Rule("long_silence", "gap_ratio", 2.0, 2,
         lambda f, t: f["gap_ratio"] >= t, _col("recency_days"),
         "no order for {v:.0f} days, more than twice the customer's usual gap",
         "已 {v:.0f} 天未下单，超过其平常购买间隔的两倍"),
    Rule("breadth_shrink", "categories_change_180d", 2.0, 1,
         lambda f, t: f["categories_change_180d"] <= -t,
         lambda f: -f["categories_change_180d"].astype("float64"),
         "buys {v:.0f} fewer product categories than in the 180 days before",
         "购买品类比前180天少 {v:.0f} 个"),
    Rule("complaints", "complaints_90d", 2.0, 2,
         lambda f, t: f["complaints_90d"] >= t, _col("complaints_90d"),
         "{v:.0f} complaints in the last 90 days", "近90天投诉 {v:.0f} 次"),
    Rule("unresolved_complaint", "unresolved_complaints", 1.0, 3,
         lambda f, t: f["unresolved_complaints"] >= t, _col("unresolved_complaints"),
         "{v:.0f} complaint(s) still unresolved", "{v:.0f} 个投诉尚未解决"),
    Rule("low_satisfaction", "last_csat", 2.0, 2,
         lambda f, t: f["last_csat"] <= t, _col("last_csat"),
         "last satisfaction score was {v:.0f} of 5", "最近一次满意度评分仅 {v:.0f} 分（满分5分）"),
    Rule("detractor", "last_nps", 6.0, 1,
         lambda f, t: f["last_nps"] <= t, _col("last_nps"),
         "last recommendation score was {v:.0f} of 10 (a detractor)",
         "最近一次推荐意愿评分为 {v:.0f} 分（贬损者）"),
    Rule("late_payment", "avg_days_late_365d", 15.0, 2,
         lambda f, t: f["avg_days_late_365d"] >= t, _col("avg_days_late_365d"),
         "pays {v:.0f} days late on average over the last year",
         "近一年平均逾期付款 {v:.0f} 天"),
    Rule("overdue_invoice", "overdue_invoices", 1.0, 2,
         lambda f, t: f["overdue_invoices"] >= t, _col("overdue_invoices"),
         "{v:.0f} invoice(s) overdue and unpaid", "{v:.0f} 张账单逾期未付"),
    Rule("owner_left", "days_since_owner_left", 180.0, 3,
         lambda f, t: (f["owner_left"] == 1) & (f["days_since_owner_left"] <= t),
         _col("days_since_owner_left"),
         "the account owner left the company {v:.0f} days ago",
         "客户经理已于 {v:.0f} 天前离职"),
    Rule("wallet_share_drop", "wallet_share_change", 0.1, 2,
         lambda f, t: f["wallet_share_change"] <= -t,
         lambda f: (-100 * f["wallet_share_change"].astype("float64")).round(),
         "share of wallet fell {v:.0f} points against the year before",
         "钱包份额较上一年下降 {v:.0f} 个百分点"),
)
RULE_NAMES = tuple(rule.name for rule in DEFAULT_RULES)
_SETTING_KEYS = {"enabled", "threshold", "severity"}


def rules_from_settings(settings: Mapping[str, Any] | None = None) -> list[Rule]:
    """The default rules with the ``[rules.<name>]`` settings of a workspace applied.

    Examples
    --------
    >>> rules = rules_from_settings({"order_drop": {"threshold": 0.6},
    ...                              "owner_left": {"enabled": False}})
    >>> [r.threshold for r in rules if r.name == "order_drop"]
    [0.6]
    >>> "owner_left" in [r.name for r in rules]
    False
    """
    settings = dict(settings or {})
    unknown = sorted(set(settings) - set(RULE_NAMES))
    if unknown:
        raise ConfigError(f"[rules] names unknown rule(s) {', '.join(unknown)}. Known rules: "
                          f"{', '.join(RULE_NAMES)}.")
    rules = []
    for rule in DEFAULT_RULES:
        options = settings.get(rule.name) or {}
        if not isinstance(options, Mapping):
            raise ConfigError(f"[rules.{rule.name}] must be a table such as "
                              f"'threshold = 0.5', received {options!r}.")
        bad = sorted(set(options) - _SETTING_KEYS)
        if bad:
            raise ConfigError(f"[rules.{rule.name}] has unknown setting(s) {', '.join(bad)}; "
                              f"use {', '.join(sorted(_SETTING_KEYS))}.")
        rule = replace(rule, **_checked_options(rule, options))
        if rule.enabled:
            rules.append(rule)
    return rules


def _checked_options(rule: Rule, options: Mapping[str, Any]) -> dict[str, Any]:
    """``enabled`` (true/false), ``threshold`` (a finite number ≥ 0: every rule compares a
    magnitude) and ``severity`` (1, 2 or 3) from ``[rules.<name>]``, or a ConfigError."""
    where = f"[rules.{rule.name}]"
    enabled = options.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where} enabled must be true or false, received {enabled!r}.")
    threshold = options.get("threshold", rule.threshold)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) \
            or not math.isfinite(threshold) or threshold < 0:
        raise ConfigError(f"{where} threshold must be a number ≥ 0, received {threshold!r} "
                          f"(the default is {rule.threshold:g}).")
    severity = options.get("severity", rule.severity)
    if isinstance(severity, bool) or severity not in (1, 2, 3):
        raise ConfigError(f"{where} severity must be 1 (watch), 2 or 3 (act now), received "
                          f"{severity!r}.")
    return {"enabled": enabled, "threshold": float(threshold), "severity": int(severity)}


def evaluate_rules(frame: pd.DataFrame, rules: list[Rule] | None = None) -> pd.DataFrame:
    """Every fired signal: one row per customer and rule that fires.

    Columns ``customer_id, rule, severity, value, message_en, message_zh``, ordered by
    customer, then severity (highest first).

    Examples
    --------
    >>> f = pd.DataFrame({"customer_id": ["a"], "orders_change_90d": [-0.6]})
    >>> evaluate_rules(f)[["rule", "message_en"]].values.tolist()
    [['order_drop', 'orders in the last 90 days fell 60% against the 90 before']]
    """
    rules = rules_from_settings() if rules is None else rules
    ids = frame["customer_id"]
    # customer order as integers (cheap to sort): positions when already sorted
    order = (np.arange(len(frame)) if ids.is_monotonic_increasing
             else pd.factorize(ids, sort=True)[0])
    names = sorted(rule.name for rule in rules)
    parts = []
    for rule in rules:  # a loop over rules; customers are vectorised
        if rule.feature not in frame or any(c not in frame for c in _needs(rule)):
            continue
        fired = rule.test(frame, rule.threshold).fillna(False).astype(bool).to_numpy()
        if not fired.any():
            continue
        values = rule.value(frame).to_numpy()[fired]
        parts.append(pd.DataFrame({
            "customer_id": ids.to_numpy()[fired], "rule": rule.name,
            "severity": rule.severity, "value": values,
            "message_en": _format(rule.en, values), "message_zh": _format(rule.zh, values),
            "_order": order[fired], "_rule": names.index(rule.name)}))
    columns = ["customer_id", "rule", "severity", "value", "message_en", "message_zh"]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    fired = pd.concat(parts, ignore_index=True)
    rank = np.lexsort((fired["_rule"].to_numpy(), -fired["severity"].to_numpy(),
                       fired["_order"].to_numpy()))
    return fired.iloc[rank][columns].reset_index(drop=True)


def _needs(rule: Rule) -> tuple[str, ...]:
    return ("owner_left",) if rule.name == "owner_left" else ()


def _format(template: str, values: np.ndarray) -> np.ndarray:
    """Fill ``{v:.0f}`` in ``template`` for all values at once."""
    before, _, after = template.partition("{v:.0f}")
    # one sentence per distinct rounded value, handed to every row with that value
    codes, distinct = pd.factorize(pd.Series(values, dtype="float64").round(),
                                   use_na_sentinel=False)
    text = pd.Series(distinct, dtype="float64").astype("Int64").astype("string").fillna("?")
    return (before + text + after).to_numpy(dtype=object)[codes]


def rules_summary(frame: pd.DataFrame, fired: pd.DataFrame) -> pd.DataFrame:
    """Per customer of ``frame``: ``rules_fired`` (count), ``rule_score`` (sum of
    severities), ``rules`` (names), ``rules_en`` and ``rules_zh`` (sentences joined), most
    severe first.

    Examples
    --------
    >>> f = pd.DataFrame({"customer_id": ["a", "b"], "orders_change_90d": [-0.6, 0.1]})
    >>> rules_summary(f, evaluate_rules(f))["rule_score"].tolist()
    [2, 0]
    """
    ids = pd.Index(frame["customer_id"])
    count = np.zeros(len(ids), dtype="int64")
    score = np.zeros(len(ids), dtype="int64")
    text = {name: np.full(len(ids), "", dtype=object) for name in ("rules", "rules_en",
                                                                  "rules_zh")}
    order = fired[["rule", "severity"]].drop_duplicates().sort_values(
        ["severity", "rule"], ascending=[False, True])
    # rule codes and customer positions once for all fired rows (not text per rule)
    rule_codes, rule_names = pd.factorize(fired["rule"])
    positions = ids.get_indexer(fired["customer_id"])
    messages = {"rules_en": fired["message_en"].to_numpy(dtype=object),
                "rules_zh": fired["message_zh"].to_numpy(dtype=object)}
    for rule, severity in order.itertuples(index=False):  # a loop over rules
        rows = rule_codes == rule_names.get_loc(rule)
        where = positions[rows]
        keep = where >= 0
        where = where[keep]
        count[where] += 1
        score[where] += int(severity)
        for column, values, separator in (
                ("rules", np.full(len(where), rule, dtype=object), ", "),
                ("rules_en", messages["rules_en"][rows][keep], "; "),
                ("rules_zh", messages["rules_zh"][rows][keep], "；")):
            current = text[column][where]
            started = current != ""
            current[started] += separator
            text[column][where] = current + values
    return pd.DataFrame({"customer_id": frame["customer_id"].to_numpy(), "rules_fired": count,
                         "rule_score": score, **text})
