"""The fast paths of scoring give the numbers of their plain definitions (issue 18, item 5).

Each fast path (paired trees, per-column logistic terms, reasons ranked by argmax and
grouped by feature, rule summaries by code) is checked against the straightforward
computation it replaces, on small data built here.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from churnguard.risk import ChurnRiskModel, contrib
from churnguard.risk.encoding import _width
from churnguard.risk.explain import explain
from churnguard.risk.rules import evaluate_rules, rules_summary


def _data(n: int = 1200, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "recency_days": rng.integers(1, 365, n).astype(float),
        "complaints_90d": rng.poisson(0.5, n),
        "plan": rng.choice(["basic", "pro", "vip"], n),
        "revenue_90d": np.where(rng.random(n) < 0.1, np.nan, rng.gamma(2.0, 50.0, n)),
    })
    logit = ((X["recency_days"] - 180) / 60 + 0.8 * X["complaints_90d"] - (X["plan"] == "vip")
             + 0.5 * (X["plan"] == "pro") * (X["recency_days"] > 200))
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


@pytest.fixture(scope="module")
def fitted() -> tuple[ChurnRiskModel, pd.DataFrame]:
    X, y = _data()
    return ChurnRiskModel(n_estimators=151, early_stopping_rounds=400,
                          interactions=4).fit(X, y), X


def _per_tree(booster, encoded: pd.DataFrame) -> np.ndarray:
    """Decision-path contributions the plain way: each tree's leaf credits, tree by tree."""
    credit, bias = contrib.path_tables(booster)
    leaves = booster.predict(encoded, pred_leaf=True).astype(int)
    total = np.zeros((len(encoded), credit.shape[2] + 1))
    for tree in range(credit.shape[0]):
        total[:, :-1] += credit[tree, leaves[:, tree]]
    total[:, -1] = bias.sum()
    return total


def test_paired_trees_give_each_tree_credits(fitted, monkeypatch):
    model, X = fitted
    trees = model.booster_.current_iteration()
    assert trees % 2 == 1  # the odd tree is paired with an empty one
    encoded = model._encode(X)
    plain = _per_tree(model.booster_, encoded)
    monkeypatch.setattr(contrib, "CHUNK_ROWS", 100)
    paired = contrib.tree_contributions(model.booster_, encoded, method="path", threads=2)
    np.testing.assert_allclose(paired, plain, rtol=0, atol=1e-12)
    np.testing.assert_allclose(paired.sum(axis=1), model.booster_.predict(encoded,
                               raw_score=True), rtol=0, atol=1e-12)
    monkeypatch.setattr(contrib, "PAIR_TABLE_BYTES", 0)  # too big to pair: single trees
    single = contrib.tree_contributions(model.booster_, encoded, method="path", threads=1)
    np.testing.assert_allclose(single, plain, rtol=0, atol=1e-12)


def test_logistic_terms_per_column_add_up_to_the_design_matrix_product(fitted):
    model, X = fitted
    design = model.design_
    assert any(kind == "pair" for _, kind, _ in design.steps_)
    paired = {c for _, kind, state in design.steps_ if kind == "pair" for c in state["columns"]}
    assert "plan" in paired  # a category's interaction basis read from its codes
    coef = model.linear_.coef_[0]
    scored = X.head(300).copy()
    scored.loc[:5, "plan"] = ["gold", None, "basic", "pro", "vip", None]  # unseen and missing
    encoded = model._encode(scored)
    terms = design.column_terms(encoded, coef)
    centred = (design.transform(encoded) - design.means_) * coef
    np.testing.assert_allclose(terms.sum(axis=1), centred.sum(axis=1), rtol=0, atol=1e-10)
    pair_columns = np.zeros(len(coef), dtype=bool)
    start = 0
    for _, kind, state in design.steps_:
        width = _width(kind, state)
        pair_columns[start:start + width] = kind == "pair"
        start += width
    for position, name in enumerate(design.names_):  # main effects: the owner's columns
        if name in paired:
            continue
        own = (design.owner_ == position) & ~pair_columns
        np.testing.assert_allclose(terms[:, position], centred[:, own].sum(axis=1), rtol=0,
                                   atol=1e-10)


def test_reasons_are_the_first_three_of_a_stable_descending_sort_with_ties(fitted):
    model, X = fitted
    rows = X.head(4)
    names = list(model.features_)
    impact = np.array([
        [0.5, 0.5, 0.1, 0.5],     # a three-way tie: kept in column order
        [0.0, -0.2, 0.3, 0.0],    # one reason raises the risk, the rest do not
        [-0.1, -0.2, -0.3, -0.4],  # nothing raises the risk
        [0.2, 0.7, 0.7, 0.1],
    ])
    parts = pd.DataFrame(impact, columns=names).assign(**{"(baseline)": 0.0})
    reasons = explain(model, rows, contributions=parts)
    order = np.argsort(-impact, axis=1, kind="stable")[:, :3]
    for k in range(3):
        expected = [names[order[r, k]] if impact[r, order[r, k]] > 0 else None
                    for r in range(4)]
        assert reasons[f"reason_{k + 1}"].tolist() == expected
    assert reasons["reason_1"].tolist() == [names[0], names[2], None, names[1]]
    days = int(rows["recency_days"].iloc[0])
    assert reasons["reason_1_en"].iloc[0] == f"no order for {days} days"
    assert reasons["reason_1_zh"].iloc[0] == f"已 {days} 天未下单"
    assert reasons.loc[rows.index[2]].filter(like="_en").isna().all()
    # NaN contributions fall back to the sort (NaN last)
    with_nan = parts.copy()
    with_nan.iloc[3, 1] = math.nan
    assert explain(model, rows, contributions=with_nan)["reason_1"].iloc[3] == names[2]


def test_no_reasons_when_nothing_raises_the_risk(fitted):
    model, X = fitted
    rows = X.head(3)
    parts = pd.DataFrame(-np.ones((3, len(model.features_))), columns=model.features_)
    reasons = explain(model, rows, contributions=parts.assign(**{"(baseline)": 0.0}))
    assert reasons.filter(regex=r"^reason_\d").isna().all().all()
    assert reasons.filter(like="impact").isna().all().all()


def test_reason_sentences_are_each_rows_own_value(fitted):
    model, X = fitted
    reasons = explain(model, X)
    for k in (1, 2, 3):
        chose = reasons[f"reason_{k}"] == "recency_days"
        days = X.loc[chose, "recency_days"].astype(int).astype(str)
        assert chose.any()
        assert (reasons.loc[chose, f"reason_{k}_en"] == "no order for " + days + " days").all()


def test_rule_summary_joins_each_customers_rules_by_severity_then_name():
    frame = pd.DataFrame({
        "customer_id": ["c3", "c1", "c2", "c4"],
        "orders_change_90d": [-0.6, -0.9, 0.0, -0.5],
        "revenue_change_90d": [-0.5, 0.0, -0.8, math.nan],
        "unresolved_complaints": [1, 0, 2, 0],
    })
    summary = rules_summary(frame, evaluate_rules(frame))
    assert summary["customer_id"].tolist() == ["c3", "c1", "c2", "c4"]
    assert summary["rules"].tolist() == [
        "unresolved_complaint, order_drop, spend_drop", "order_drop",
        "unresolved_complaint, spend_drop", "order_drop"]
    assert summary["rule_score"].tolist() == [7, 2, 5, 2]
    assert summary["rules_fired"].tolist() == [3, 1, 2, 1]
    assert summary["rules_en"].iloc[2] == (
        "2 complaint(s) still unresolved; spend in the last 90 days fell 80% against the 90 "
        "before")
    assert summary["rules_zh"].iloc[1] == "近90天订单数较前90天下降 90%"
