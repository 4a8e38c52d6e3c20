from __future__ import annotations

import math

import pandas as pd
import pytest

from churnguard import Workspace
from churnguard.errors import ConfigError
from churnguard.risk.features import FEATURE_COLUMNS
from churnguard.risk.rules import RULE_NAMES, evaluate_rules, rules_from_settings, rules_summary


def _customers(**columns: list) -> pd.DataFrame:
    """Hand-made customers: every feature missing unless given."""
    n = len(next(iter(columns.values())))
    frame = pd.DataFrame({name: [math.nan] * n for name in FEATURE_COLUMNS})
    frame.insert(0, "customer_id", [f"c{i}" for i in range(1, n + 1)])
    for name, values in columns.items():
        frame[name] = values
    return frame


def test_each_default_rule_fires_on_its_sign_with_both_sentences():
    frame = _customers(
        orders_change_90d=[-0.6, -0.4, 0.0],
        revenue_change_90d=[-0.75, 0.2, math.nan],
        order_value_change_180d=[-0.3, -0.29, 0.0],
        gap_ratio=[2.5, 1.9, 1.0], recency_days=[100, 38, 20],
        categories_change_180d=[-2, -1, 0],
        complaints_90d=[2, 1, 0], unresolved_complaints=[1, 0, 0],
        last_csat=[2.0, 3.0, math.nan], last_nps=[6.0, 7.0, 10.0],
        avg_days_late_365d=[15.0, 14.9, 0.0], overdue_invoices=[1, 0, 0],
        owner_left=[1, 1, 0], days_since_owner_left=[30, 200, math.nan],
        wallet_share_change=[-0.12, -0.05, 0.1],
    )
    fired = evaluate_rules(frame)
    assert set(fired.loc[fired.customer_id == "c1", "rule"]) == set(RULE_NAMES)
    assert fired.loc[fired.customer_id != "c1"].empty  # just under every threshold
    by_rule = fired.set_index("rule")
    assert by_rule.loc["order_drop", "message_en"] == (
        "orders in the last 90 days fell 60% against the 90 before")
    assert by_rule.loc["order_drop", "message_zh"] == "近90天订单数较前90天下降 60%"
    assert by_rule.loc["spend_drop", "message_en"] == (
        "spend in the last 90 days fell 75% against the 90 before")
    assert by_rule.loc["long_silence", "message_zh"] == "已 100 天未下单，超过其平常购买间隔的两倍"
    assert by_rule.loc["owner_left", "message_en"] == (
        "the account owner left the company 30 days ago")
    assert by_rule.loc["wallet_share_drop", "message_en"] == (
        "share of wallet fell 12 points against the year before")
    assert fired["severity"].iloc[0] == 3  # most severe first


def test_summary_per_customer():
    frame = _customers(orders_change_90d=[-0.6, 0.0], unresolved_complaints=[2, 0])
    summary = rules_summary(frame, evaluate_rules(frame))
    assert summary["rules_fired"].tolist() == [2, 0]
    assert summary["rule_score"].tolist() == [5, 0]
    assert summary["rules"].tolist() == ["unresolved_complaint, order_drop", ""]
    assert summary["rules_zh"].iloc[0] == "2 个投诉尚未解决；近90天订单数较前90天下降 60%"


def test_settings_from_the_workspace_toml(tmp_path):
    ws = Workspace.create(tmp_path / "w")
    path = ws.folder / "churnguard.toml"
    path.write_text(path.read_text() + "\n[rules.order_drop]\nthreshold = 0.7\n"
                    "[rules.unresolved_complaint]\nenabled = false\n", encoding="utf-8")
    ws.close()
    ws = Workspace.open(tmp_path / "w")
    rules = rules_from_settings(ws.settings.section("rules"))
    frame = _customers(orders_change_90d=[-0.6, -0.7], unresolved_complaints=[3, 3])
    fired = evaluate_rules(frame, rules)
    assert fired[["customer_id", "rule"]].values.tolist() == [["c2", "order_drop"]]
    ws.close()


def test_bad_settings_say_what_to_fix():
    with pytest.raises(ConfigError, match="unknown rule\\(s\\) order_dorp"):
        rules_from_settings({"order_dorp": {"threshold": 0.5}})
    with pytest.raises(ConfigError, match="unknown setting\\(s\\) treshold"):
        rules_from_settings({"order_drop": {"treshold": 0.5}})
    with pytest.raises(ConfigError, match="threshold must be a number ≥ 0"):
        rules_from_settings({"order_drop": {"threshold": "half"}})


@pytest.mark.parametrize(("options", "message"), [
    ({"threshold": float("nan")}, "threshold must be a number ≥ 0"),
    ({"threshold": float("inf")}, "threshold must be a number ≥ 0"),
    ({"threshold": -0.5}, "threshold must be a number ≥ 0"),
    ({"threshold": True}, "threshold must be a number ≥ 0"),
    ({"severity": 4}, "severity must be 1 \\(watch\\), 2 or 3"),
    ({"severity": 2.5}, "severity must be 1"),
    ({"severity": "high"}, "severity must be 1"),
    ({"enabled": "false"}, "enabled must be true or false"),
    ({"enabled": 0}, "enabled must be true or false"),
])
def test_out_of_range_settings_are_refused(options, message):
    with pytest.raises(ConfigError, match=f"\\[rules.order_drop\\] {message}"):
        rules_from_settings({"order_drop": options})


def test_whole_numbers_are_accepted_as_thresholds_and_severities():
    rule = next(r for r in rules_from_settings({"late_payment": {"threshold": 30,
                                                                  "severity": 3.0}})
                if r.name == "late_payment")
    assert (rule.threshold, rule.severity) == (30.0, 3)
