"""Benchmark: does the worklist put the value that is about to leave at its top?

For each seed a synthetic company (``churnguard.synth``, 3 years, ``--customers`` customers,
with its ground truth) is scored by :func:`churnguard.risk.score` at ``as_of`` = 180 days
before the end of the data (the default model: departure within 180 days, fitted on
snapshots whose labels end by ``as_of``; nothing after ``as_of`` is used). Then, from the
generator's truth:

- a *leaver* is a customer whose true churn date falls in ``[as_of, as_of + 180)``;
- the *lost value* of a leaver is their revenue (net of returns) in the 365 days before
  ``as_of``; the total is over every leaver of the company.

The table gives the share of the total lost value held by the first 10 % of the scored
customers ranked by each ordering, all in the same run:

- ``worklist``: the list as :func:`~churnguard.risk.score` returns it (save list by
  ``profit_at_risk``, lapsing customers after it);
- ``profit_at_risk``: ``profit_at_risk`` alone (lapsing customers included);
- ``p_churn``: the departure probability alone;
- ``revenue``: revenue of the last 365 days alone;
- ``revenue_x_recency``: that revenue times the days since the last purchase;
- ``ceiling``: the leavers' own lost value (what a perfect list would hold).

It also prints the ROC AUC of ``p_churn`` for "leaves in the next 180 days" among the scored
customers not yet gone (true churn date missing or on/after ``as_of``), beside recency's.
Goal (issue 18): the worklist's top 10 % hold ≥ 75 % of the lost value; departure AUC ≥ 0.72
(recency ≈ 0.63). A line starting ``RESULT`` carries the means.

``--labels``: instead, the choice of the default label. On each seed's company, models
trained (on snapshots whose labels end by ``as_of``) for ``churn`` over 90 days (the old
default), ``no_purchase`` over 180 days, ``departure`` over 180 (the default) and over 90
days, and ``no_purchase`` in 30-day steps chained over 180 days, beside recency and BG/NBD's
``1 − p_alive``: ROC AUC for "leaves within 180 days" among the scored customers not yet gone.

Measured (fourth session, after the contact features and bounded calibration; seeds 0, 1, 2;
20,000 customers each; load 1–9.8): worklist 63.1 / 69.6 / 68.3 % (mean 67.0 %, goal 75 % not
met), revenue alone 57.3 / 65.5 / 59.6 %, departure AUC 0.756 / 0.762 / 0.759; seed 7 (check)
57.9 % against revenue 53.6 %. docs/risk.md has the full table.

Earlier (seeds 0, 1, 2; 20,000 customers each; load 3–11): worklist 61.9 / 69.8 / 65.7 %
(mean 65.8 %, goal 75 % not met), profit_at_risk alone 65.7 %, p_churn alone 18.5 %, revenue
alone 60.8 %, revenue × recency 55.2 %, ceiling 98.2 %; departure AUC 0.755 / 0.767 / 0.756
against recency 0.634 / 0.636 / 0.626 (docs/risk.md has the table and why).

Run: ``.venv/bin/python bench/priorities.py`` (defaults: seeds 0 1 2, 20,000 customers) and
``.venv/bin/python bench/priorities.py --labels --seeds 0``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from churnguard import Workspace, synth
from churnguard.risk import score

END = synth.DEFAULT_END
HORIZON = 180
TOP_SHARE = 0.10
ORDERINGS = ("worklist", "profit_at_risk", "p_churn", "revenue", "revenue_x_recency",
             "ceiling")


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _revenue(orders: pd.DataFrame, start: pd.Timestamp, stop: pd.Timestamp) -> pd.Series:
    window = orders[(orders["order_date"] >= start) & (orders["order_date"] < stop)]
    return window.groupby("customer_id")["amount"].sum()


def top_share(order: np.ndarray, lost: np.ndarray, total: float, share: float) -> float:
    """Share of ``total`` held by the first ``ceil(share · n)`` rows of ``order``.

    >>> top_share(np.array([2, 0, 1]), np.array([5.0, 0.0, 3.0]), 10.0, 0.5)
    0.8
    """
    k = int(np.ceil(share * len(order) - 1e-9))
    return float(lost[order[:k]].sum() / total) if total > 0 else float("nan")


def _descending(values: pd.Series) -> np.ndarray:
    return np.argsort(-values.astype("float64").fillna(-np.inf).to_numpy(), kind="stable")


def run_seed(customers: int, seed: int, keep: Path | None = None) -> dict:
    began = time.perf_counter()
    tables = synth.generate(customers=customers, years=3, seed=seed, end=END)
    as_of = END - timedelta(days=HORIZON)
    start, cut = pd.Timestamp(as_of), pd.Timestamp(as_of + timedelta(days=HORIZON))
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.create(Path(tmp) / "company")
        synth.load(ws, tables, validate=False)
        scored = score(ws, as_of, save=False)
        ws.close()
    if keep is not None:  # the scored list with the truth, to look at afterwards
        keep.mkdir(parents=True, exist_ok=True)
        scored.to_pickle(keep / f"scored_{seed}.pkl")
        tables["ground_truth"].to_pickle(keep / f"truth_{seed}.pkl")
    seconds = time.perf_counter() - began
    truth = tables["ground_truth"].set_index("customer_id")["true_churn_date"]
    leaves = (truth >= start) & (truth < cut)
    revenue = _revenue(tables["orders"], start - pd.Timedelta(days=365), start)
    lost_all = revenue.reindex(truth.index).fillna(0.0).clip(lower=0) * leaves
    total = float(lost_all.sum())
    ids = scored["customer_id"]
    lost = lost_all.reindex(ids).fillna(0.0).to_numpy()
    rev = revenue.reindex(ids).fillna(0.0).reset_index(drop=True)
    orders_by = {
        "worklist": np.arange(len(scored)),
        "profit_at_risk": _descending(scored["profit_at_risk"]),
        "p_churn": _descending(scored["p_churn"]),
        "revenue": _descending(rev),
        "revenue_x_recency": _descending(rev * scored["recency_days"].astype("float64")),
        "ceiling": np.argsort(-lost, kind="stable"),
    }
    row = {"seed": seed, "customers": customers, "scored": len(scored),
           "leavers": int(leaves.sum()), "scored_leavers": int(leaves.reindex(ids).sum()),
           "lost_value": round(total), "scored_share": float(lost.sum() / total),
           "lapsing": int((scored["lifecycle"] == "lapsing").sum()),
           "label": scored.attrs.get("label"), "seconds": round(seconds)}
    for name, order in orders_by.items():
        row[name] = top_share(order, lost, total, TOP_SHARE)
    date = truth.reindex(ids)
    alive = (date.isna() | (date >= start)).to_numpy()
    left = leaves.reindex(ids).fillna(False).to_numpy()[alive]
    row["auc_departure"] = float(roc_auc_score(left, scored["p_churn"].to_numpy()[alive]))
    row["auc_recency"] = float(roc_auc_score(left, scored["recency_days"].to_numpy()[alive]))
    row["evaluated_not_gone"] = int(alive.sum())
    row["leave_rate"] = float(left.mean())
    return row


def compare_labels(customers: int, seed: int) -> dict:
    """ROC AUC of each candidate label's model and of the baselines (see the module doc)."""
    from churnguard.risk.backtest import (
        chained_no_purchase,
        fit_history,
        label_lag,
        snapshot_dates,
    )
    from churnguard.risk.features import FEATURE_COLUMNS, features

    tables = synth.generate(customers=customers, years=3, seed=seed, end=END)
    as_of = END - timedelta(days=HORIZON)
    start, cut = pd.Timestamp(as_of), pd.Timestamp(as_of + timedelta(days=HORIZON))
    row: dict = {"seed": seed, "customers": customers}
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.create(Path(tmp) / "company")
        synth.load(ws, tables, validate=False)
        frame = features(ws, as_of)
        truth = tables["ground_truth"].set_index("customer_id")["true_churn_date"]
        date = truth.reindex(frame["customer_id"])
        alive = (date.isna() | (date >= start)).to_numpy()
        left = ((date >= start) & (date < cut)).to_numpy()[alive]

        def auc(values: np.ndarray) -> float:
            return float(roc_auc_score(left, np.asarray(values, dtype="float64")[alive]))

        row.update(evaluated=int(alive.sum()), leave_rate=float(left.mean()),
                   recency=auc(frame["recency_days"]),
                   one_minus_p_alive=auc(-frame["p_alive"].fillna(0.5)))
        definition = ws.churn_definition()
        for label, horizon in (("churn", 90), ("no_purchase", 180), ("departure", 180),
                               ("departure", 90)):
            dates = snapshot_dates(as_of, horizon_days=horizon + label_lag(definition, label),
                                   count=6)
            model = fit_history(ws, dates, horizon_days=horizon, label=label)
            row[f"{label}_{horizon}"] = auc(model.predict_proba(frame[FEATURE_COLUMNS])[:, 1])
        step = fit_history(ws, snapshot_dates(as_of, horizon_days=30, count=10),
                           horizon_days=30, label="no_purchase")
        chain = chained_no_purchase(step, ws, as_of, HORIZON)
        row["no_purchase_chained_30x6"] = auc(chain["p_no_purchase"].to_numpy())
        ws.close()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--keep", type=Path, default=None,
                        help="Folder to keep each seed's scored list and truth in (pickles).")
    parser.add_argument("--labels", action="store_true",
                        help="Compare the candidate labels instead (see the module doc).")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    if args.labels:
        table = pd.DataFrame([compare_labels(args.customers, seed) for seed in args.seeds])
        print(table.round(4).T.to_string())
        return
    rows = []
    for seed in args.seeds:
        rows.append(run_seed(args.customers, seed, args.keep))
        _say(json.dumps(rows[-1]))
    table = pd.DataFrame(rows)
    shown = ["seed", "customers", "scored", "leavers", "lost_value", "label", *ORDERINGS,
             "auc_departure", "auc_recency", "evaluated_not_gone", "leave_rate"]
    mean = table[[*ORDERINGS, "auc_departure", "auc_recency"]].mean()
    print(f"Top {TOP_SHARE:.0%} of the scored list: share of the value leaving within {HORIZON} "
          f"days (as_of = end − {HORIZON} days)")
    print(table[shown].round(3).to_string(index=False))
    print("mean  " + "  ".join(f"{k} {v:.3f}" for k, v in mean.items()))
    goal = mean["worklist"] >= 0.75
    print(f"RESULT worklist top10 {mean['worklist']:.1%} (goal >= 75%: "
          f"{'met' if goal else 'NOT met'}), profit_at_risk {mean['profit_at_risk']:.1%}, "
          f"p_churn {mean['p_churn']:.1%}, revenue {mean['revenue']:.1%}, revenue x recency "
          f"{mean['revenue_x_recency']:.1%}, ceiling {mean['ceiling']:.1%}; departure AUC "
          f"{mean['auc_departure']:.3f} vs recency {mean['auc_recency']:.3f}; seeds "
          f"{args.seeds}, {args.customers:,} customers each; load average "
          f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after", flush=True)


if __name__ == "__main__":
    main()
