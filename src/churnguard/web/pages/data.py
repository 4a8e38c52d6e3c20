"""Warehouse look-ups the pages need (cached until the warehouse changes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd

from churnguard.report.review import add_months, month_bounds
from churnguard.report.scope import cached

if TYPE_CHECKING:
    from churnguard.workspace import Workspace


@dataclass(frozen=True)
class FilterOptions:
    """Choices for the dashboard filters."""

    months: list[date] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    owners: list[tuple[str, str]] = field(default_factory=list)  # (staff_id, name)


def data_end(ws: Workspace) -> date | None:
    """The day after the last order (None without orders)."""

    def compute() -> date | None:
        orders = ws.table("orders")
        last = orders.order_date.max().execute()
        return None if last is None or pd.isna(last) else pd.Timestamp(last).date() + \
            timedelta(days=1)

    return cached(ws, ("data_end",), compute)


def default_month(ws: Workspace | None, today: date | None = None) -> date:
    """The month a review opens on: the last complete month of data (or of the calendar).

    Examples
    --------
    >>> default_month(None, date(2024, 7, 15))
    datetime.date(2024, 6, 1)
    """
    today = today or date.today()
    end = data_end(ws) if ws is not None else None
    limit = min(end, today) if end else today
    return add_months(month_bounds(limit)[0], -1)


def filter_options(ws: Workspace, *, months: int = 24) -> FilterOptions:
    """Months with data (newest first), segments, regions and owners for the filters."""

    def compute() -> FilterOptions:
        customers = ws.table("customers")
        segments = _distinct(customers, "segment")
        regions = _distinct(customers, "region")
        owners = _distinct(customers, "owner_id")
        names: dict[str, str] = {}
        if ws.has_table("staff"):
            staff = ws.table("staff").select("staff_id", "name").to_pandas()
            names = {str(k): str(v) for k, v in zip(staff.staff_id, staff.name, strict=True)
                     if v is not None and v == v}
        last = default_month(ws)
        return FilterOptions(months=[add_months(last, -i) for i in range(months)],
                             segments=segments, regions=regions,
                             owners=[(o, names.get(o, o)) for o in owners])

    return cached(ws, ("filter_options", months), compute)


def _distinct(table: ibis.Table, column: str) -> list[str]:
    values = table.select(column).distinct().to_pandas()[column]
    return sorted(str(v) for v in values.dropna())


PHONE_COLUMNS = ("phone",)
"""The customers column with a phone number (optional in the canonical schema)."""


def customer_phones(ws: Workspace | None, customer_ids: list[str]) -> dict[str, str]:
    """Customer → phone number for ``customer_ids`` (from the first of :data:`PHONE_COLUMNS`
    the customers table has); empty when it has none."""
    if ws is None or not customer_ids:
        return {}
    customers = ws.table("customers")
    column = next((c for c in PHONE_COLUMNS if c in customers.columns), None)
    if column is None:
        return {}
    rows = customers.filter(customers.customer_id.isin(customer_ids)
                            & customers[column].notnull())
    frame = rows.select("customer_id", phone=rows[column].cast("string")).to_pandas()
    return {str(k): str(v).strip() for k, v in zip(frame.customer_id, frame.phone, strict=True)
            if str(v).strip()}


def tel_href(phone: str) -> str:
    """A ``tel:`` link for a phone number as people write it.

    Examples
    --------
    >>> tel_href("+86 138-0013 8000"), tel_href("(010) 6552 9988 ext. 12")
    ('tel:+8613800138000', 'tel:01065529988')
    """
    digits = phone.split("ext")[0].split("转")[0]
    return "tel:" + ("+" if digits.strip().startswith("+") else "") + \
        "".join(ch for ch in digits if ch.isdigit())


def customer_orders(ws: Workspace, customer_id: str) -> pd.DataFrame:
    """The customer's orders, newest first."""
    orders = ws.table("orders")
    return (orders.filter(orders.customer_id == customer_id)
            .order_by(ibis.desc("order_date")).to_pandas())


def customer_row(ws: Workspace, customer_id: str) -> dict[str, Any] | None:
    """The customer's warehouse profile, or None."""
    customers = ws.table("customers")
    frame = customers.filter(customers.customer_id == customer_id).limit(1).to_pandas()
    return None if frame.empty else frame.iloc[0].to_dict()


def customer_interactions(ws: Workspace, customer_id: str) -> pd.DataFrame:
    """The customer's interactions (complaints, surveys, calls…), newest first."""
    table = ws.table("interactions")
    return (table.filter(table.customer_id == customer_id)
            .order_by(ibis.desc("ts")).to_pandas())


def customer_risk_history(ws: Workspace, customer_id: str) -> pd.DataFrame:
    """Every stored risk score of the customer (``risk_scores``), oldest first."""
    if not ws.has_table("risk_scores"):
        return pd.DataFrame()
    table = ws.table("risk_scores")
    frame = table.filter(table.customer_id == customer_id).to_pandas()
    stamp = next((c for c in ("as_of", "scored_at", "score_date") if c in frame.columns), None)
    return frame.sort_values(stamp) if stamp else frame


def monthly_spend(orders: pd.DataFrame) -> pd.DataFrame:
    """Revenue per calendar month of one customer's orders (``month``, ``amount``).

    Examples
    --------
    >>> o = pd.DataFrame({"order_date": pd.to_datetime(["2024-01-03", "2024-01-20", "2024-03-01"]),
    ...                   "amount": [10.0, 5.0, 7.0]})
    >>> monthly_spend(o).to_dict("records")
    [{'month': '2024-01', 'amount': 15.0}, {'month': '2024-02', 'amount': 0.0}, \
{'month': '2024-03', 'amount': 7.0}]
    """
    if orders.empty:
        return pd.DataFrame({"month": [], "amount": []})
    months = pd.to_datetime(orders["order_date"]).dt.to_period("M")
    spend = orders.groupby(months)["amount"].sum()
    full = pd.period_range(spend.index.min(), spend.index.max(), freq="M")
    spend = spend.reindex(full, fill_value=0.0)
    return pd.DataFrame({"month": [str(p) for p in spend.index],
                         "amount": spend.to_numpy(dtype=float)})


def rfm_of(orders: pd.DataFrame, as_of: date) -> dict[str, float | None]:
    """Recency (days since last order), frequency (orders) and monetary (mean order) of one
    customer's orders before ``as_of``."""
    before = orders[pd.to_datetime(orders["order_date"]) < pd.Timestamp(as_of)]
    if before.empty:
        return {"recency": None, "frequency": 0, "monetary": None}
    last = pd.to_datetime(before["order_date"]).max()
    return {"recency": float((pd.Timestamp(as_of) - last).days),
            "frequency": float(len(before)), "monetary": float(before["amount"].mean())}


def fired_rules(ws: Workspace | None, customer_ids: list[str], lang: str) -> dict[str, list[str]]:
    """The warning rules each of ``customer_ids`` fired at their latest score."""
    return _pick_texts(ws, customer_ids, (f"rules_{lang}", "rules_en", "rules_fired"))


def risk_reasons(ws: Workspace | None, customer_ids: list[str], lang: str) -> dict[str, list[str]]:
    """The model's reasons for each of ``customer_ids`` at their latest score, in ``lang``."""
    return _pick_texts(ws, customer_ids, ("reasons_zh", "reasons") if lang == "zh"
                       else ("reasons_en", "reasons"))


def risk_subjects(ws: Workspace | None, customer_ids: list[str]
                  ) -> dict[str, tuple[list[str], list[str]]]:
    """What each customer's reasons and fired rules are about, at their latest score: the
    features of ``reason_1..3`` and of the rules in ``rules_fired`` (a rule's feature from the
    workspace's rules), in the order of their sentences; empty lists when unknown."""
    if ws is None or not customer_ids:
        return {}
    every = _latest_subjects(ws)
    return {cid: every[cid] for cid in customer_ids if cid in every}


def _latest_subjects(ws: Workspace) -> dict[str, tuple[list[str], list[str]]]:
    from churnguard.risk.rules import rules_from_settings

    def compute() -> dict[str, tuple[list[str], list[str]]]:
        if not ws.has_table("risk_scores"):
            return {}
        table = ws.table("risk_scores")
        reasons = [c for c in ("reason_1", "reason_2", "reason_3") if c in table.columns]
        if not reasons or "rules_fired" not in table.columns or "as_of" not in table.columns:
            return {}
        frame = latest_rows(table).select("customer_id", "rules_fired", *reasons).to_pandas()
        feature_of = {rule.name: rule.feature
                      for rule in rules_from_settings(ws.settings.section("rules"))}
        out = {}
        for row in frame.itertuples(index=False):  # the customers on one page or all scored
            names = [n.strip() for n in str(row.rules_fired or "").split(",") if n.strip()]
            out[str(row.customer_id)] = (
                [str(getattr(row, c)) for c in reasons if getattr(row, c) not in (None, "")
                 and getattr(row, c) == getattr(row, c)],
                [feature_of.get(name, name) for name in names])
        return out

    return cached(ws, ("latest_subjects",), compute)


def _pick_texts(ws: Workspace | None, customer_ids: list[str],
                columns: tuple[str, ...]) -> dict[str, list[str]]:
    if ws is None or not customer_ids:
        return {}
    every = latest_texts(ws, columns)
    return {cid: every[cid] for cid in customer_ids if cid in every}


def latest_rows(scores: ibis.Table) -> ibis.Table:
    """Each customer's row of ``risk_scores`` at their latest ``as_of``."""
    latest = scores.group_by("customer_id").agg(_latest=scores.as_of.max())
    return scores.join(latest, [scores.customer_id == latest.customer_id,
                                scores.as_of == latest._latest]).select(scores.columns)


def latest_texts(ws: Workspace, columns: tuple[str, ...]) -> dict[str, list[str]]:
    """Customer → the list in the first of ``columns`` that ``risk_scores`` has, at the
    customer's latest score (texts joined with ``;``/``；``, names with ``,``); cached until
    the warehouse changes."""

    def compute() -> dict[str, list[str]]:
        if not ws.has_table("risk_scores"):
            return {}
        table = ws.table("risk_scores")
        column = next((c for c in columns if c in table.columns), None)
        if column is None or not table[column].type().is_string():
            return {}
        rows = latest_rows(table) if "as_of" in table.columns else table
        rows = rows.filter(rows[column].notnull() & (rows[column] != ""))
        frame = rows.select("customer_id", column).to_pandas()
        texts = frame[column].str.replace("；", ";")
        if not texts.str.contains(";").any():
            texts = texts.str.replace(",", ";")
        return {str(cid): [p.strip() for p in text.split(";") if p.strip()]
                for cid, text in zip(frame["customer_id"], texts, strict=True)}

    return cached(ws, ("latest_texts", columns), compute)
