"""Contacts as signs of life and of leaving: exit surveys since the last order, the last
contact against the last order, complaints naming a reason to switch."""

from __future__ import annotations

import pandas as pd
from tests.factories import make_workspace

from churnguard.churn import Inactivity
from churnguard.risk.features import features
from churnguard.risk.scoring import lifecycle

AS_OF = "2024-07-01"


def _workspace(folder, *, future: bool = False):
    orders = pd.DataFrame({
        "order_id": ["a1", "b1", "b2", "c1"],
        "customer_id": ["a", "b", "b", "c"],
        "order_date": ["2024-05-02", "2024-03-01", "2024-06-01", "2024-04-01"],
        "amount": [50.0, 30.0, 40.0, 20.0],
    })
    rows = [  # id, customer, time, kind, reason
        ("i1", "a", "2024-06-10 09:00", "exit_survey", "competitor"),  # after a's last order
        ("i2", "b", "2024-04-01 10:00", "exit_survey", "price"),  # b bought again after it
        ("i3", "b", "2024-06-20 10:00", "complaint", "price"),  # 11 days ago: switching
        ("i4", "b", "2023-11-01 10:00", "complaint", "competitor"),  # 243 days ago: too old
        ("i5", "b", "2024-06-25 10:00", "complaint", "delivery"),  # routine
        ("i6", "c", "2024-05-01 10:00", "email", None),  # our e-mail: not a sign of life
        ("i7", "c", "2024-03-01 10:00", "survey", None),  # answered a survey
    ]
    if future:  # dated on or after as_of: must change nothing
        rows += [("i8", "c", "2024-07-01 08:00", "exit_survey", "price"),
                 ("i9", "a", "2024-07-02 10:00", "complaint", "competitor")]
    interactions = pd.DataFrame(rows, columns=["interaction_id", "customer_id", "ts", "kind",
                                               "reason"])
    return make_workspace(folder, orders=orders, interactions=interactions)


COLUMNS = ["customer_id", "recency_days", "exit_survey_since_order", "days_since_exit_survey",
           "days_since_contact", "contact_after_order_days", "switching_complaints_180d"]


def test_contact_features_by_hand(tmp_path):
    ws = _workspace(tmp_path / "shop")
    got = features(ws, AS_OF, churn=Inactivity(days=180))[COLUMNS]
    nan = float("nan")
    expected = pd.DataFrame({
        "customer_id": ["a", "b", "c"],
        "recency_days": [60, 30, 91],
        "exit_survey_since_order": [1, 0, 0],
        "days_since_exit_survey": [21.0, nan, nan],
        "days_since_contact": [nan, 6.0, 122.0],  # a: only the exit survey; c: the survey
        "contact_after_order_days": [nan, 24.0, -31.0],
        "switching_complaints_180d": [0, 1, 0],
    })
    got = got.astype({c: "float64" for c in COLUMNS[1:]})
    pd.testing.assert_frame_equal(got.reset_index(drop=True),
                                  expected.astype({c: "float64" for c in COLUMNS[1:]}))
    ws.close()


def test_contacts_dated_from_as_of_change_nothing(tmp_path):
    before = _workspace(tmp_path / "before")
    after = _workspace(tmp_path / "after", future=True)
    pd.testing.assert_frame_equal(features(before, AS_OF)[COLUMNS],
                                  features(after, AS_OF)[COLUMNS])
    before.close()
    after.close()


def test_customers_who_told_us_they_left_go_to_the_win_back_list():
    assert lifecycle([10, 10, 170], Inactivity(days=180), told_left=[1, 0, 0]).tolist() == [
        "lapsing", "active", "lapsing"]
