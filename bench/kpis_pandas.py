"""A plain pandas implementation of the KPI suite, written independently of the engine code
(groupby / merge / numpy over whole columns; the only Python loops run over periods). It is the
baseline of bench/kpis.py and doubles as a second opinion on every number."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from churnguard.metrics import KPI_COLUMNS, Periods


def _purchase_days(orders: pd.DataFrame, end: date) -> pd.DataFrame:
    bought = orders[(orders["order_date"] < pd.Timestamp(end)) & (orders["amount"] >= 0)]
    days = pd.DataFrame({"customer_id": bought["customer_id"].to_numpy(),
                         "day": bought["order_date"].dt.normalize().to_numpy()})
    return days.drop_duplicates().sort_values(["customer_id", "day"], ignore_index=True)


def _spells(orders: pd.DataFrame, end: date, days: int) -> pd.DataFrame:
    d = _purchase_days(orders, end)
    gap = pd.Timedelta(days=days)
    previous = d.groupby("customer_id")["day"].shift()
    starts = previous.isna() | (previous + gap < d["day"])
    d["spell"] = starts.astype(int).groupby(d["customer_id"]).cumsum()
    spells = d.groupby(["customer_id", "spell"], as_index=False).agg(
        start=("day", "min"), last=("day", "max"))
    lapse = spells["last"] + gap
    spells["churn"] = lapse.where(lapse < pd.Timestamp(end))
    spells["kind"] = np.where(spells["spell"] == 1, "new", "reactivation")
    spells["previous_churn"] = spells.groupby("customer_id")["churn"].shift()
    return spells


def _active(spells: pd.DataFrame, at: pd.Timestamp) -> np.ndarray:
    mask = (spells["start"] < at) & (spells["churn"].isna() | (spells["churn"] >= at))
    return spells["customer_id"].to_numpy()[mask.to_numpy()]


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.where(b != 0, a / np.where(b == 0, 1, b), np.nan)


def _period(values: pd.Series, bounds: np.ndarray, n: int) -> np.ndarray:
    k = np.searchsorted(bounds, values.to_numpy(dtype="datetime64[ns]"), side="right") - 1
    return np.where((k >= 0) & (k < n), k, -1)


def _count(k: np.ndarray, n: int, weights: np.ndarray | None = None) -> np.ndarray:
    keep = k >= 0
    return np.bincount(k[keep], weights=None if weights is None else weights[keep], minlength=n)


def pandas_kpis(tables: dict[str, pd.DataFrame], start: date, end: date, *,
                days: int) -> pd.DataFrame:
    orders = tables["orders"]
    periods = Periods.make(start, end, freq="month")
    n = periods.n
    bounds = pd.to_datetime(list(periods.bounds)).to_numpy()
    spells = _spells(orders, end, days)
    active = [_active(spells, pd.Timestamp(b)) for b in bounds]
    start_count = np.array([len(a) for a in active])
    retained = np.array([len(np.intersect1d(active[k], active[k + 1])) for k in range(n)])
    new = _count(_period(spells.loc[spells.kind == "new", "start"], bounds, n), n)
    react = spells[spells.kind == "reactivation"]
    back = _count(_period(react["start"], bounds, n), n)
    churned = _count(_period(spells["churn"].dropna(), bounds, n), n)
    firsts = spells.loc[spells.kind == "new", "start"].to_numpy()
    ever = np.array([(firsts < b).sum() for b in bounds[:n]])
    k_react = _period(react["start"], bounds, n)
    won = np.zeros(n)
    ok = k_react >= 0
    before = react["previous_churn"].to_numpy()[ok] < bounds[k_react[ok]]
    np.add.at(won, k_react[ok][before], 1)

    frame = periods.frame().drop(columns="period")
    frame["customers_start"] = start_count[:n]
    frame["new_customers"] = new
    frame["churned_customers"] = churned
    frame["reactivated_customers"] = back
    frame["customers_end"] = start_count[1:]
    retention = _ratio(retained, start_count[:n])
    frame["retention_rate"] = retention
    frame["churn_rate"] = 1 - retention
    _order_kpis(frame, orders, bounds, n)
    frame["revenue_churn_rate"] = _revenue_churn(orders, spells, bounds, n, 365)
    frame["grr_mom"], frame["nrr_mom"] = _grr_nrr(orders, periods, active, n)
    frame["new_customer_retention_90d"] = _new_retention(orders, end, bounds, n)
    frame["share_of_wallet"] = _wallet(tables.get("wallet"), orders, periods, n)
    frame["complaint_satisfaction"] = _complaints(tables["interactions"], end, bounds, n)
    frame["winback_rate"] = _ratio(won, ever - start_count[:n])
    return frame[[c for c in KPI_COLUMNS if c in frame.columns]]


def _order_kpis(frame: pd.DataFrame, orders: pd.DataFrame, bounds: np.ndarray, n: int) -> None:
    inside = orders[(orders["order_date"] >= bounds[0]) & (orders["order_date"] < bounds[-1])]
    k = _period(inside["order_date"], bounds, n)
    revenue = _count(k, n, inside["amount"].to_numpy())
    bought = inside["amount"].to_numpy() >= 0
    purchases = _count(k[bought], n)
    buyers = (pd.DataFrame({"k": k[bought], "c": inside["customer_id"].to_numpy()[bought]})
              .drop_duplicates().groupby("k").size().reindex(range(n), fill_value=0).to_numpy())
    frame["revenue"] = revenue
    frame["purchase_frequency"] = _ratio(purchases, buyers)
    frame["avg_order_value"] = _ratio(revenue, purchases)
    frame["avg_spend_per_customer"] = _ratio(revenue, buyers)


def _revenue_churn(orders: pd.DataFrame, spells: pd.DataFrame, bounds: np.ndarray, n: int,
                   lookback: int) -> np.ndarray:
    churn = spells.dropna(subset=["churn"])
    k_churn = _period(churn["churn"], bounds, n)
    out = np.zeros(n)
    for k in range(n):
        window = orders[(orders["order_date"] >= bounds[k] - np.timedelta64(lookback, "D"))
                        & (orders["order_date"] < bounds[k])]
        leavers = np.unique(churn["customer_id"].to_numpy()[k_churn == k])
        total = window["amount"].sum()
        part = window.loc[window["customer_id"].isin(leavers), "amount"].sum()
        out[k] = part / total if total != 0 else np.nan
    return out


def _grr_nrr(orders: pd.DataFrame, periods: Periods, active: list[np.ndarray],
             n: int) -> tuple[np.ndarray, np.ndarray]:
    bounds = pd.to_datetime([periods.previous, *periods.bounds]).to_numpy()
    inside = orders[(orders["order_date"] >= bounds[0]) & (orders["order_date"] < bounds[-1])]
    k = np.searchsorted(bounds, inside["order_date"].to_numpy(), side="right") - 2
    revenue = (pd.DataFrame({"c": inside["customer_id"].to_numpy(), "k": k,
                             "a": inside["amount"].to_numpy()})
               .groupby(["c", "k"])["a"].sum().unstack(fill_value=0.0))
    grr, nrr = np.full(n, np.nan), np.full(n, np.nan)
    for period in range(n):
        rows = revenue.reindex(active[period], fill_value=0.0)
        cur = rows.get(period, pd.Series(0.0, index=rows.index)).to_numpy()
        prev = rows.get(period - 1, pd.Series(0.0, index=rows.index)).to_numpy()
        base = prev.sum()
        if base != 0:
            nrr[period] = cur.sum() / base
            grr[period] = np.maximum(0, np.minimum(cur, prev)).sum() / base
    return grr, nrr


def _new_retention(orders: pd.DataFrame, end: date, bounds: np.ndarray, n: int) -> np.ndarray:
    d = _purchase_days(orders, end)
    first = d.groupby("customer_id")["day"].transform("min")
    second = d[d["day"] > first].groupby("customer_id")["day"].min()
    firsts = d.groupby("customer_id")["day"].min()
    mature = firsts[firsts + pd.Timedelta(days=90) < pd.Timestamp(end)]
    again = second.reindex(mature.index) <= mature + pd.Timedelta(days=90)
    k = _period(mature, bounds, n)
    return _ratio(_count(k, n, again.to_numpy(float)), _count(k, n))


def _wallet(wallet: pd.DataFrame | None, orders: pd.DataFrame, periods: Periods,
            n: int) -> np.ndarray:
    if wallet is None or wallet.empty:
        return np.full(n, np.nan)
    dates = sorted(pd.to_datetime(wallet["period"]).unique())
    gap = min((b - a).days for a, b in zip(dates, dates[1:], strict=False)) if len(dates) > 1 \
        else 400
    months = 12 if gap >= 360 else 3 if gap >= 88 else 1
    end = pd.Timestamp(periods.bounds[-1])
    wallet = wallet.assign(w_start=pd.to_datetime(wallet["period"]))
    wallet["w_end"] = (wallet["w_start"] + pd.DateOffset(months=months)).clip(upper=end)
    full_end = wallet["w_start"] + pd.DateOffset(months=months)
    joined = wallet.merge(orders[["customer_id", "order_date", "amount"]], on="customer_id")
    joined = joined[(joined["order_date"] >= joined["w_start"])
                    & (joined["order_date"] < joined["w_end"])]
    ours = joined.groupby(["customer_id", "w_start"])["amount"].sum()
    wallet["ours"] = ours.reindex(pd.MultiIndex.from_frame(wallet[["customer_id", "w_start"]]),
                                  fill_value=0.0).to_numpy()
    out = np.full(n, np.nan)
    for k in range(n):
        lo, hi = pd.Timestamp(periods.bounds[k]), pd.Timestamp(periods.bounds[k + 1])
        rows = wallet[(wallet["w_start"] < hi) & (full_end > lo)]
        spend = rows["category_spend"].sum()
        if len(rows) and spend != 0:
            out[k] = rows["ours"].sum() / spend
    return out


def _complaints(interactions: pd.DataFrame, end: date, bounds: np.ndarray, n: int) -> np.ndarray:
    cutoff = pd.Timestamp(end)
    known = interactions[interactions["ts"] < cutoff]
    surveys = known[(known["kind"] == "survey") & known["score"].notna()]
    complaints = known[known["kind"] == "complaint"]
    resolved = complaints["resolved_at"].where(complaints["resolved_at"] < cutoff)
    complaints = pd.DataFrame({"customer_id": complaints["customer_id"],
                               "opened": complaints["ts"],
                               "until": resolved.fillna(complaints["ts"]) + pd.Timedelta(days=14)})
    joined = surveys.merge(complaints, on="customer_id")
    joined = joined[(joined["opened"] <= joined["ts"]) & (joined["ts"] <= joined["until"])]
    joined = joined.drop_duplicates("interaction_id")
    k = _period(joined["ts"], bounds, n)
    return _ratio(_count(k, n, (joined["score"] >= 4).to_numpy(float)), _count(k, n))


def pandas_status(tables: dict[str, pd.DataFrame], as_of: date, *, days: int) -> pd.DataFrame:
    d = _purchase_days(tables["orders"], as_of)
    spans = d.groupby("customer_id")["day"].agg(first_order="min", last_order="max")
    frame = tables["customers"][["customer_id"]].merge(spans, left_on="customer_id",
                                                        right_index=True, how="left")
    lapse = frame["last_order"] + pd.Timedelta(days=days)
    churned = lapse < pd.Timestamp(as_of)
    frame["status"] = np.where(frame["first_order"].isna(), "prospect",
                               np.where(churned, "churned", "active"))
    frame["churn_date"] = lapse.where(churned)
    return frame.reset_index(drop=True)


def pandas_cohorts(tables: dict[str, pd.DataFrame], as_of: date, *, days: int) -> pd.DataFrame:
    spells = _spells(tables["orders"], as_of, days)
    first = spells[spells.kind == "new"].set_index("customer_id")["start"]
    cohort = first.dt.year * 12 + first.dt.month - 1
    last = as_of.year * 12 + as_of.month - 1 - 1
    cohorts = np.sort(cohort[cohort <= last].unique())
    sizes = cohort.value_counts().reindex(cohorts).to_numpy()
    width = int(last - cohorts.min() + 1)
    grid = np.zeros((len(cohorts), width))
    for boundary in range(int(cohorts.min()) + 1, last + 2):
        at = pd.Timestamp(year=boundary // 12, month=boundary % 12 + 1, day=1)
        members = cohort.reindex(_active(spells, at)).to_numpy()
        offsets = boundary - members - 1
        keep = (members <= last) & (offsets >= 0) & (offsets < width)
        rows = np.searchsorted(cohorts, members[keep])
        np.add.at(grid, (rows, offsets[keep].astype(int)), 1)
    shares = grid / sizes[:, None]
    shares[(cohorts[:, None] + np.arange(width)[None, :]) > last] = np.nan
    frame = pd.DataFrame(shares, columns=list(range(width)))
    frame.insert(0, "cohort_size", sizes)
    frame.insert(0, "cohort", pd.to_datetime([f"{c // 12}-{c % 12 + 1:02d}-01" for c in cohorts]))
    return frame
