"""Churn definitions on tiny hand-built tables with answers worked out by hand."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from churnguard.churn import ContractEnd, Inactivity, to_date
from churnguard.errors import ConfigError
from tests.factories import make_workspace, orders_frame

D = date.fromisoformat

# Inactivity(days=30) history (worked by hand):
#   a: buys 01-01, 01-20, 03-15 → the 55-day gap churns a on 01-20+30 = 02-19; back 03-15
#   b: buys 02-01, returns goods 03-10 (negative, not a purchase) → churned on 03-02
#   c: never orders → prospect;  d: only a return → prospect
#   e: buys 01-01 and 01-31 (a gap of exactly 30 days is no churn) → churned on 03-01
#   f: buys 04-01 23:30 (not before as_of 04-01) → prospect as of 04-01
ORDERS = orders_frame([
    ("a", "2024-01-01", 100.0), ("a", "2024-01-20", 50.0), ("a", "2024-03-15", 70.0),
    ("b", "2024-02-01", 40.0), ("b", "2024-03-10", -20.0),
    ("d", "2024-01-05", -10.0),
    ("e", "2024-01-01", 10.0), ("e", "2024-01-31 18:00", 10.0),
    ("f", "2024-04-01 23:30", 5.0),
])
CUSTOMERS = pd.DataFrame({"customer_id": list("abcdef")})
NEW_ORDER_OF_C = pd.DataFrame({"order_id": ["n1"], "customer_id": ["c"],
                               "order_date": ["2024-03-20"], "amount": [9.0]})


@pytest.fixture
def ws(tmp_path: Path):
    ws = make_workspace(tmp_path / "ws", customers=CUSTOMERS, orders=ORDERS)
    yield ws
    ws.close()


def _status(ws, as_of, churn) -> pd.DataFrame:
    frame = churn.status(ws, as_of).to_pandas().sort_values("customer_id")
    return frame.reset_index(drop=True)


def test_inactivity_status_by_hand(ws) -> None:
    got = _status(ws, "2024-04-01", Inactivity(days=30))
    expected = pd.DataFrame({
        "customer_id": list("abcdef"),
        "first_order": [D("2024-01-01"), D("2024-02-01"), None, None, D("2024-01-01"), None],
        "last_order": [D("2024-03-15"), D("2024-02-01"), None, None, D("2024-01-31"), None],
        "status": ["active", "churned", "prospect", "prospect", "churned", "prospect"],
        "churn_date": [None, D("2024-03-02"), None, None, D("2024-03-01"), None],
    })
    for col in ("first_order", "last_order", "churn_date"):
        got[col] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in got[col]]
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_inactivity_boundary_is_inclusive(ws) -> None:
    # b bought on 02-01: exactly 30 days later (03-02) still active, a day after churned.
    on_day = _status(ws, date(2024, 3, 2), Inactivity(days=30)).set_index("customer_id")
    after = _status(ws, date(2024, 3, 3), Inactivity(days=30)).set_index("customer_id")
    assert on_day.loc["b", "status"] == "active"
    assert after.loc["b", "status"] == "churned"
    assert pd.Timestamp(after.loc["b", "churn_date"]).date() == date(2024, 3, 2)


def test_order_on_as_of_does_not_count(ws) -> None:
    assert _status(ws, "2024-04-01", Inactivity(days=30)).status.iloc[5] == "prospect"
    assert _status(ws, "2024-04-02", Inactivity(days=30)).status.iloc[5] == "active"


def test_workspace_status_uses_definition(ws) -> None:
    frame = ws.status("2024-04-01", Inactivity(days=30))
    assert sorted(frame.columns) == sorted(
        ["customer_id", "first_order", "last_order", "status", "churn_date"])
    assert frame.status.value_counts().to_dict() == {"prospect": 3, "churned": 2, "active": 1}


def _events(ws, as_of, churn) -> list[tuple[str, str, date]]:
    frame = churn.events(ws, as_of).to_pandas()
    rows = [(r.customer_id, r.event, pd.Timestamp(r.event_date).date())
            for r in frame.itertuples()]
    return sorted(rows)


def test_inactivity_events_by_hand(ws) -> None:
    assert _events(ws, "2024-04-01", Inactivity(days=30)) == [
        ("a", "churn", D("2024-02-19")), ("a", "new", D("2024-01-01")),
        ("a", "reactivation", D("2024-03-15")),
        ("b", "churn", D("2024-03-02")), ("b", "new", D("2024-02-01")),
        ("e", "churn", D("2024-03-01")), ("e", "new", D("2024-01-01")),
    ]


def test_events_only_before_as_of(ws) -> None:
    # As of 03-01: a's reactivation (03-15), b's churn (03-02) and e's churn (03-01) lie ahead.
    assert _events(ws, "2024-03-01", Inactivity(days=30)) == [
        ("a", "churn", D("2024-02-19")), ("a", "new", D("2024-01-01")),
        ("b", "new", D("2024-02-01")), ("e", "new", D("2024-01-01")),
    ]


def test_events_agree_with_status_around_every_event(ws) -> None:
    churn = Inactivity(days=30)
    events = churn.events(ws, "2024-06-01").to_pandas()
    events["event_date"] = pd.to_datetime(events.event_date)
    sign = events.event.map({"new": 1, "reactivation": 1, "churn": -1})
    days = {d.date() + timedelta(days=k) for d in events.event_date for k in (0, 1)}
    for day in sorted(days | {date(2024, 6, 1)}):
        status = _status(ws, day, churn)
        before = sign[events.event_date < pd.Timestamp(day)].groupby(events.customer_id).sum()
        active_by_events = sorted(before[before == 1].index)
        assert active_by_events == sorted(status.customer_id[status.status == "active"]), day


def test_contract_end(tmp_path: Path) -> None:
    customers = pd.DataFrame({
        "customer_id": ["g", "h", "i", "j"],
        "contract_end": ["2024-02-01", None, "2023-12-01", "2024-02-01"],
    })
    orders = orders_frame([("g", "2024-01-10", 100.0), ("h", "2024-01-10", 100.0),
                           ("i", "2024-01-10", 100.0)])
    ws = make_workspace(tmp_path / "ws", customers=customers, orders=orders)
    churn = ContractEnd(grace_days=30)
    on_day = _status(ws, "2024-03-02", churn).set_index("customer_id")
    assert on_day.status.to_dict() == {"g": "active", "h": "active", "i": "churned",
                                       "j": "prospect"}
    # i's contract ended before its first order: the churn date is the first order itself.
    assert pd.Timestamp(on_day.loc["i", "churn_date"]).date() == date(2024, 1, 10)
    after = _status(ws, "2024-03-03", churn).set_index("customer_id")
    assert after.loc["g", "status"] == "churned"
    assert pd.Timestamp(after.loc["g", "churn_date"]).date() == date(2024, 3, 2)
    assert _events(ws, "2024-03-03", churn) == [
        ("g", "churn", D("2024-03-02")), ("g", "new", D("2024-01-10")),
        ("h", "new", D("2024-01-10")),
        ("i", "churn", D("2024-01-10")), ("i", "new", D("2024-01-10")),
    ]
    ws.close()


def test_workspace_default_definition(ws) -> None:
    assert ws.churn_definition() == Inactivity(days=180)


def test_bad_arguments_say_what_to_fix() -> None:
    with pytest.raises(ConfigError, match=r"positive whole number of days, received 0"):
        Inactivity(days=0)
    with pytest.raises(ConfigError, match=r"grace_days=.*received -1"):
        ContractEnd(grace_days=-1)
    with pytest.raises(ConfigError, match=r"'2024-13-45' is not a date"):
        to_date("2024-13-45")


def test_spells_pair_starts_with_churn_dates(ws) -> None:
    frame = Inactivity(days=30).spells(ws, "2024-04-01").to_pandas()
    rows = sorted(
        (r.customer_id, r.kind, pd.Timestamp(r.spell_start).date(),
         None if pd.isna(r.churn_date) else pd.Timestamp(r.churn_date).date(),
         None if pd.isna(r.previous_churn) else pd.Timestamp(r.previous_churn).date())
        for r in frame.itertuples())
    assert rows == [
        ("a", "new", D("2024-01-01"), D("2024-02-19"), None),
        ("a", "reactivation", D("2024-03-15"), None, D("2024-02-19")),
        ("b", "new", D("2024-02-01"), D("2024-03-02"), None),
        ("e", "new", D("2024-01-01"), D("2024-03-01"), None),
    ]


def test_status_follows_new_data_after_a_load(ws) -> None:
    """The purchase timeline is materialised once; a load must replace it."""
    churn = Inactivity(days=30)
    before = _status(ws, "2024-04-01", churn).set_index("customer_id")["status"]
    assert before["c"] == "prospect"
    ws.load("orders", NEW_ORDER_OF_C)
    after = _status(ws, "2024-04-01", churn).set_index("customer_id")["status"]
    assert after["c"] == "active"
    assert (after.drop("c") == before.drop("c")).all()


def test_timeline_is_built_once_per_data_version(ws) -> None:
    from churnguard.churn import purchase_timeline

    first = purchase_timeline(ws)
    assert purchase_timeline(ws) is first
    ws.load("interactions", pd.DataFrame({"interaction_id": ["i1"], "customer_id": ["a"],
                                          "ts": ["2024-02-01"], "kind": ["complaint"]}))
    assert purchase_timeline(ws) is first          # a table it does not read
    ws.load("orders", NEW_ORDER_OF_C)
    assert purchase_timeline(ws) is not first


def test_scoped_view_has_its_own_timeline(ws) -> None:
    from churnguard.report.scope import ScopedWorkspace

    ws.load("customers", pd.DataFrame({"customer_id": list("abcdef"),
                                       "region": ["east", "west"] * 3}))
    churn = Inactivity(days=30)
    everyone = _status(ws, "2024-04-01", churn)
    east = _status(ScopedWorkspace(ws, region="east"), "2024-04-01", churn)
    assert east["customer_id"].tolist() == ["a", "c", "e"]
    assert everyone.shape[0] == 6
    events = churn.events(ScopedWorkspace(ws, region="west"), "2024-04-01").to_pandas()
    assert set(events["customer_id"]) == {"b"}
    ws.load("customers", pd.DataFrame({"customer_id": ["b"], "region": ["east"]}))
    east = _status(ScopedWorkspace(ws, region="east"), "2024-04-01", churn)
    assert east["customer_id"].tolist() == ["a", "b", "c", "e"]  # the scope reads customers


def test_several_orders_on_one_day_are_one_purchase_day(tmp_path: Path) -> None:
    orders = orders_frame([("a", "2024-01-01 09:00", 5.0), ("a", "2024-01-01 17:00", 5.0),
                           ("a", "2024-03-01", 5.0), ("a", "2024-03-01 12:00", 5.0)])
    ws = make_workspace(tmp_path / "w", customers=pd.DataFrame({"customer_id": ["a"]}),
                        orders=orders)
    events = Inactivity(days=30).events(ws, "2024-06-01").to_pandas()
    got = sorted((e, str(pd.Timestamp(d).date())) for e, d in
                 zip(events["event"], events["event_date"], strict=True))
    assert got == [("churn", "2024-01-31"), ("churn", "2024-03-31"), ("new", "2024-01-01"),
                   ("reactivation", "2024-03-01")]
    ws.close()
