"""Complaints, surveys (CSAT 1–5, NPS 0–10) and exit surveys of the synthetic company.

Customers about to leave complain more, about their real reason, get slower resolutions and
score surveys lower; many answer an exit survey after leaving.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from churnguard.synth.company import FAR_FUTURE, ORDINARY_REASONS, Company
from churnguard.synth.ids import make_ids
from churnguard.synth.texts import compose

BASE_COMPLAINTS_PER_YEAR = 0.25
WARNING_COMPLAINTS_PER_YEAR = 2.5
WARNING_DAYS = 180
CSAT_HEALTHY = np.array([0.03, 0.05, 0.12, 0.35, 0.45])
CSAT_UNHAPPY = np.array([0.22, 0.30, 0.28, 0.14, 0.06])


def make_interactions(rng: np.random.Generator, company: Company,
                      end: np.datetime64) -> pd.DataFrame:
    """All interactions, sorted by time, with ids I1, I2, …"""
    chinese = rng.random(len(company.signup)) < 0.7
    complaints = _complaints(rng, company, end, chinese)
    parts = [
        complaints,
        _follow_up_surveys(rng, complaints, end),
        _periodic_surveys(rng, company, end, kind="survey"),
        _periodic_surveys(rng, company, end, kind="nps"),
        _exit_surveys(rng, company, end, chinese),
    ]
    with warnings.catch_warnings():  # all-null columns of some parts; dtypes are set below
        warnings.simplefilter("ignore", FutureWarning)
        frame = pd.concat(parts, ignore_index=True).sort_values("ts", kind="stable")
    frame["resolved_at"] = pd.to_datetime(frame["resolved_at"])
    frame.insert(0, "interaction_id", make_ids("I", len(frame)))
    return frame.reset_index(drop=True)


def _events(rng: np.random.Generator, begin: np.ndarray, finish: np.ndarray,
            per_year: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Poisson events per row in [begin, finish): returns row index and day of each event."""
    length = (finish - begin).astype(int).clip(0)
    counts = rng.poisson(per_year * length / 365.0)
    rows = np.repeat(np.arange(len(begin)), counts)
    offset = (rng.random(counts.sum()) * np.repeat(length, counts)).astype(int)
    return rows, np.repeat(begin, counts) + offset.astype("timedelta64[D]")


def _complaints(rng: np.random.Generator, company: Company, end: np.datetime64,
                chinese: np.ndarray) -> pd.DataFrame:
    leave = np.minimum(company.churn_at, end)
    base_rows, base_day = _events(rng, company.signup, leave,
                                  np.full(len(leave), BASE_COMPLAINTS_PER_YEAR))
    churner = company.churn_at < FAR_FUTURE
    warn_begin = np.maximum(company.signup, company.churn_at - WARNING_DAYS)
    warn_rows, warn_day = _events(rng, np.where(churner, warn_begin, leave), leave,
                                  np.full(len(leave), WARNING_COMPLAINTS_PER_YEAR))
    rows = np.concatenate([base_rows, warn_rows])
    day = np.concatenate([base_day, warn_day])
    warning = np.concatenate([np.zeros(len(base_rows), bool), np.ones(len(warn_rows), bool)])
    everyday = rng.choice(ORDINARY_REASONS, len(rows), p=[0.1, 0.25, 0.02, 0.33, 0.25, 0.05, 0.0])
    reason = np.where(warning, company.reason[rows], everyday).astype(object)
    hours = rng.uniform(2, 240, len(rows)) * np.where(warning, 3.0, 1.0)
    resolved = day.astype("datetime64[s]") + (hours * 3600).astype("timedelta64[s]")
    unresolved = rng.random(len(rows)) < np.where(warning, 0.35, 0.04)
    resolved_ok = (~unresolved) & (resolved < end)
    ts = day.astype("datetime64[s]") + rng.integers(8 * 3600, 19 * 3600, len(rows)).astype(
        "timedelta64[s]")
    return pd.DataFrame({
        "customer_id": company.customers["customer_id"].to_numpy()[rows],
        "ts": ts,
        "kind": "complaint",
        "text": compose(reason, chinese[rows], rng),
        "score": np.nan,
        "resolved_at": pd.to_datetime(np.where(resolved_ok, resolved, np.datetime64("NaT"))),
        "reason": np.where(rng.random(len(rows)) < 0.6, reason, None),
    })


def _follow_up_surveys(rng: np.random.Generator, complaints: pd.DataFrame,
                       end: np.datetime64) -> pd.DataFrame:
    """Half of resolved complaints get a CSAT follow-up; slow fixes score low."""
    resolved = complaints["resolved_at"].to_numpy(dtype="datetime64[s]")
    opened = complaints["ts"].to_numpy(dtype="datetime64[s]")
    asked = ~np.isnat(resolved) & (rng.random(len(resolved)) < 0.5)
    ts = resolved + rng.integers(1, 7 * 24, len(resolved)).astype("timedelta64[h]")
    asked &= ts < end
    slow = (resolved - opened) > np.timedelta64(72, "h")
    probs = np.where(slow[:, None], CSAT_UNHAPPY, CSAT_HEALTHY)
    score = (rng.random(len(resolved))[:, None] > probs.cumsum(axis=1)).sum(axis=1) + 1
    return pd.DataFrame({
        "customer_id": complaints["customer_id"].to_numpy()[asked],
        "ts": ts[asked],
        "kind": "survey",
        "text": None,
        "score": score[asked].clip(1, 5).astype(float),
        "resolved_at": pd.NaT,
        "reason": None,
    })


def _periodic_surveys(rng: np.random.Generator, company: Company, end: np.datetime64, *,
                      kind: str) -> pd.DataFrame:
    """Yearly relationship surveys: CSAT 1–5 (kind ``survey``) or NPS 0–10 (kind ``nps``)."""
    leave = np.minimum(company.churn_at, end)
    per_year = np.full(len(leave), 0.6 if kind == "survey" else 0.35)
    rows, day = _events(rng, company.signup, leave, per_year)
    churn_at = company.churn_at[rows]
    unhappy = (churn_at < FAR_FUTURE) & (day >= churn_at - WARNING_DAYS)
    if kind == "survey":
        probs = np.where(unhappy[:, None], CSAT_UNHAPPY, CSAT_HEALTHY)
        score = (rng.random(len(rows))[:, None] > probs.cumsum(axis=1)).sum(axis=1) + 1
        score = score.clip(1, 5)
    else:
        mean = np.where(unhappy, 4.5, 8.0)
        score = np.round(rng.normal(mean, 1.8)).clip(0, 10)
    return pd.DataFrame({
        "customer_id": company.customers["customer_id"].to_numpy()[rows],
        "ts": day.astype("datetime64[s]") + np.timedelta64(10, "h"),
        "kind": kind,
        "text": None,
        "score": score.astype(float),
        "resolved_at": pd.NaT,
        "reason": None,
    })


def _exit_surveys(rng: np.random.Generator, company: Company, end: np.datetime64,
                  chinese: np.ndarray) -> pd.DataFrame:
    """About half of the customers who left say why, a few weeks later."""
    ts = company.churn_at + rng.integers(7, 45, len(company.churn_at)).astype("timedelta64[D]")
    answered = (company.churn_at < FAR_FUTURE) & (rng.random(len(ts)) < 0.55) & (ts < end)
    rows = np.flatnonzero(answered)
    reason = company.reason[rows]
    return pd.DataFrame({
        "customer_id": company.customers["customer_id"].to_numpy()[rows],
        "ts": ts[rows].astype("datetime64[s]") + np.timedelta64(11, "h"),
        "kind": "exit_survey",
        "text": compose(reason, chinese[rows], rng),
        "score": np.nan,
        "resolved_at": pd.NaT,
        "reason": np.where(rng.random(len(rows)) < 0.5, reason, None),
    })
