"""Point-in-time features for the churn-risk model, computed in the warehouse engine.

``features(ws, as_of)`` returns one row per customer who is *active* at ``as_of`` under the
churn definition, built only from rows dated strictly before ``as_of`` (orders by
``order_date``, payments by ``paid_date``, interactions by ``ts``, resolutions by
``resolved_at``, staff departures by ``left_date``, wallet surveys by the end of their year).
Adding data dated on or after ``as_of`` changes no feature (tested). The descriptive columns of
``customers`` (segment, region, channel, owner) are the table as loaded: keep them historical
if they change.

Windows: "last N days" is ``[as_of − N, as_of)``; "the 90 before" is ``[as_of − 180,
as_of − 90)``; "a year earlier" for 180 days is ``[as_of − 545, as_of − 365)``. A change is
``recent / earlier − 1`` (null when the earlier window is empty). Counts are purchases
(``amount >= 0``); revenue is net of returns.

Columns (see :mod:`churnguard.risk.catalog` for their meaning and reason sentences):
``customer_id``, :data:`FEATURE_COLUMNS`. All but ``p_alive`` run in the engine
(:func:`feature_table`); ``p_alive`` (BG/NBD, :mod:`churnguard.risk.alive`) is fitted on the
purchase summary the engine computes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from churnguard.churn import ChurnDefinition, midnight, timeline_before, to_date
from churnguard.errors import ConfigError
from churnguard.risk.alive import p_alive
from churnguard.risk.contact import CONTACT_COLUMNS, contact_features, contact_signals

if TYPE_CHECKING:
    from churnguard.workspace import Workspace

ORDER_COLUMNS = [
    "recency_days", "tenure_days", "orders_30d", "orders_90d", "orders_180d", "orders_365d",
    "revenue_30d", "revenue_90d", "revenue_180d", "revenue_365d", "orders_change_90d",
    "orders_change_yoy_180d", "revenue_change_90d", "revenue_change_yoy_180d",
    "avg_order_value_365d", "order_value_change_180d", "typical_gap_days", "gap_ratio",
    "recency_share", "purchase_rate", "categories_180d", "categories_change_180d",
    "products_365d", "rate_ratio_180d", "order_value_ratio_180d", "last_gap_ratio",
]
PAYMENT_COLUMNS = ["avg_days_late_365d", "max_days_late_365d", "late_share_365d",
                   "overdue_invoices", "late_share_change_180d"]
SERVICE_COLUMNS = ["complaints_90d", "complaints_365d", "complaints_change_90d",
                   "unresolved_complaints", "days_since_complaint", "last_csat", "csat_change",
                   "last_nps", "nps_change", "resolution_days_365d"]
RELATION_COLUMNS = ["owner_left", "days_since_owner_left", "wallet_share",
                    "wallet_share_change", "segment", "region", "channel"]
ENGINE_COLUMNS = (ORDER_COLUMNS + PAYMENT_COLUMNS + SERVICE_COLUMNS + CONTACT_COLUMNS
                  + RELATION_COLUMNS)
MODEL_COLUMNS = ["p_alive"]
FEATURE_COLUMNS = ENGINE_COLUMNS + MODEL_COLUMNS
CATEGORICAL_COLUMNS = ["segment", "region", "channel"]
CSAT_KINDS = ("survey", "csat")
NPS_KINDS = ("nps",)
_ZERO_FILLED = {"orders_30d", "orders_90d", "orders_180d", "orders_365d", "revenue_30d",
                "revenue_90d", "revenue_180d", "revenue_365d", "categories_180d",
                "products_365d", "overdue_invoices", "complaints_90d", "complaints_365d",
                "complaints_change_90d", "unresolved_complaints", "owner_left"}


def _change(recent: ir.NumericValue, earlier: ir.NumericValue) -> ir.FloatingValue:
    return ibis.ifelse(earlier > 0, recent.cast("float64") / earlier - 1, ibis.null("float64"))


def _days_between(later: date | ir.DateValue, earlier: ir.DateValue) -> ir.IntegerValue:
    start = ibis.date(later) if isinstance(later, date) else later
    return start.delta(earlier, unit="day")


def order_features(ws: Workspace, as_of: date, *, known_until: date | None = None) -> ir.Table:
    """Purchase and spend features per customer with an order before ``as_of`` (before
    ``known_until`` when given; times are still measured at ``as_of``).

    One pass of plain conditional aggregates over the orders, the lateness of invoices
    (:data:`PAYMENT_COLUMNS`, see :func:`payment_features`) included; the distinct counts of
    categories and products are counted from ``(customer, category)`` and
    ``(customer, product)`` pairs, which engines do much faster than ``COUNT(DISTINCT …)``
    inside the big aggregate. Besides the features it keeps ``purchase_days`` (distinct
    days with a purchase), the input of the BG/NBD ``p_alive``.
    """
    cut = known_until or as_of
    orders = ws.table("orders")
    orders = orders.filter(orders.order_date < midnight(cut))
    day = orders.order_date.cast("date")
    orders = orders.mutate(day=day, age=_days_between(as_of, day))
    buy = orders.amount >= 0
    age = orders.age

    def count(low: int, high: int) -> ir.IntegerValue:
        return orders.order_id.count(where=buy & (age > low) & (age <= high))

    def revenue(low: int, high: int) -> ir.FloatingValue:
        return orders.amount.sum(where=(age > low) & (age <= high)).fill_null(0.0)

    agg = orders.group_by("customer_id").aggregate(
        first_day=orders.day.min(where=buy), last_day=orders.day.max(where=buy),
        orders_30d=count(0, 30), orders_90d=count(0, 90), orders_180d=count(0, 180),
        orders_365d=count(0, 365), orders_90_180=count(90, 180), orders_365_545=count(365, 545),
        orders_180_360=count(180, 360),
        revenue_30d=revenue(0, 30), revenue_90d=revenue(0, 90), revenue_180d=revenue(0, 180),
        revenue_365d=revenue(0, 365), revenue_90_180=revenue(90, 180),
        revenue_365_545=revenue(365, 545), revenue_180_360=revenue(180, 360),
        orders_before_180=orders.order_id.count(where=buy & (age > 180)),
        revenue_before_180=orders.amount.sum(where=age > 180).fill_null(0.0),
        **_payment_aggregates(orders, as_of, cut),
    )
    agg = agg.filter(agg.last_day.notnull())
    for part in (_purchase_days(ws, cut), _breadth(orders.filter(buy))):
        agg = agg.left_join(part, "customer_id").drop("customer_id_right")
    recency = _days_between(as_of, agg.last_day)
    tenure = _days_between(as_of, agg.first_day).cast("float64")
    gap = ibis.ifelse(agg.purchase_days > 1,
                      _days_between(agg.last_day, agg.first_day).cast("float64")
                      / (agg.purchase_days - 1), ibis.null("float64"))
    aov_recent = ibis.ifelse(agg.orders_180d > 0, agg.revenue_180d / agg.orders_180d,
                             ibis.null("float64"))
    aov_before = ibis.ifelse(agg.orders_180_360 > 0, agg.revenue_180_360 / agg.orders_180_360,
                             ibis.null("float64"))
    categories = agg.categories_180d.fill_null(0)
    # the customer's own past: purchases per day and value per order before the last 180 days
    earlier_days = tenure - 180
    rate_ratio = ibis.ifelse((earlier_days >= 90) & (agg.orders_before_180 > 0),
                             agg.orders_180d * earlier_days
                             / (180.0 * agg.orders_before_180), ibis.null("float64"))
    aov_earlier = ibis.ifelse(agg.orders_before_180 > 0,
                              agg.revenue_before_180 / agg.orders_before_180,
                              ibis.null("float64"))
    last_gap = _days_between(agg.last_day, agg.previous_day).cast("float64")
    return agg.select(
        "customer_id", recency_days=recency, tenure_days=tenure.cast("int64"),
        orders_30d=agg.orders_30d, orders_90d=agg.orders_90d, orders_180d=agg.orders_180d,
        orders_365d=agg.orders_365d, revenue_30d=agg.revenue_30d, revenue_90d=agg.revenue_90d,
        revenue_180d=agg.revenue_180d, revenue_365d=agg.revenue_365d,
        orders_change_90d=_change(agg.orders_90d, agg.orders_90_180),
        orders_change_yoy_180d=_change(agg.orders_180d, agg.orders_365_545),
        revenue_change_90d=_change(agg.revenue_90d, agg.revenue_90_180),
        revenue_change_yoy_180d=_change(agg.revenue_180d, agg.revenue_365_545),
        avg_order_value_365d=ibis.ifelse(agg.orders_365d > 0, agg.revenue_365d
                                         / agg.orders_365d, ibis.null("float64")),
        order_value_change_180d=_change(aov_recent, aov_before),
        typical_gap_days=gap,
        gap_ratio=ibis.ifelse(gap > 0, recency.cast("float64") / gap, ibis.null("float64")),
        recency_share=recency.cast("float64") / tenure,
        purchase_rate=agg.purchase_days * 30.0 / tenure,
        categories_180d=categories,
        categories_change_180d=categories - agg.categories_180_360.fill_null(0),
        products_365d=agg.products_365d.fill_null(0),
        rate_ratio_180d=rate_ratio,
        order_value_ratio_180d=ibis.ifelse(aov_earlier > 0, aov_recent / aov_earlier,
                                           ibis.null("float64")),
        last_gap_ratio=ibis.ifelse(gap > 0, last_gap / gap, ibis.null("float64")),
        **_payment_columns(agg),
        purchase_days=agg.purchase_days,
    )


def _purchase_days(ws: Workspace, as_of: date) -> ir.Table:
    """Distinct days with a purchase per customer, from the purchase timeline the churn
    definitions keep (a purchase on a new day is one whose previous purchase is earlier)."""
    timeline = timeline_before(ws, as_of)
    new_day = timeline.previous_day.isnull() | (timeline.previous_day < timeline.day)
    return timeline.group_by("customer_id").aggregate(
        purchase_days=timeline.count(where=new_day),
        previous_day=timeline.previous_day.max(where=new_day))  # the day before the last


def _breadth(purchases: ir.Table) -> ir.Table:
    """Distinct categories (last 180 days, the 180 before) and products (last 365 days) per
    customer, counted from distinct pairs."""
    recent = purchases.filter(purchases.age <= 360)
    pairs = recent.group_by(["customer_id", "category"]).aggregate(
        now=(recent.age <= 180).any(), before=(recent.age > 180).any())
    pairs = pairs.filter(pairs.category.notnull())
    categories = pairs.group_by("customer_id").aggregate(
        categories_180d=pairs.count(where=pairs.now),
        categories_180_360=pairs.count(where=pairs.before))
    year = purchases.filter(purchases.age <= 365, purchases.product.notnull())
    products = year.select("customer_id", "product").distinct()
    products = products.group_by("customer_id").aggregate(products_365d=products.count())
    return categories.outer_join(products, "customer_id").pipe(_coalesce_key,
                                                               "customer_id_right")


def payment_features(ws: Workspace, as_of: date, *,
                     known_until: date | None = None) -> ir.Table:
    """Lateness of invoices due in the last 365 days; unpaid ones count as late until paid
    (payments known by ``known_until``, default ``as_of``), for the customers with such an
    invoice.

    :func:`order_features` computes the same columns in its own pass over the orders; this
    query on its own is the reference it is tested against.
    """
    cut = known_until or as_of
    orders = ws.table("orders")
    orders = orders.filter(orders.order_date < midnight(cut), _invoice_due(orders, as_of))
    agg = orders.group_by("customer_id").aggregate(**_payment_aggregates(orders, as_of, cut))
    return agg.select("customer_id", **_payment_columns(agg))


def _invoice_due(orders: ir.Table, as_of: date) -> ir.BooleanValue:
    """Invoices due in the 365 days before ``as_of``."""
    due = orders.due_date.cast("date")
    return due.notnull() & (due < as_of) & (_days_between(as_of, due) <= 365)


def _payment_aggregates(orders: ir.Table, as_of: date, cut: date) -> dict[str, ir.Value]:
    """Per-customer aggregates of the invoices due in the 365 days before ``as_of`` among
    ``orders`` (payments known before ``cut``): the other rows are left out by each
    aggregate's filter, so they can sit in one aggregate with the order features."""
    due = orders.due_date.cast("date")
    invoice = _invoice_due(orders, as_of)
    paid = orders.paid_date.cast("date")
    settled = paid.notnull() & (paid < cut)
    late = ibis.ifelse(settled, ibis.greatest(_days_between(paid, due), 0),
                       _days_between(as_of, due))
    late_flag = (late > 0).cast("float64")
    recent = _days_between(as_of, due) <= 180
    return {
        "avg_days_late_365d": late.mean(where=invoice),
        "max_days_late_365d": late.max(where=invoice),
        "late_share_365d": late_flag.mean(where=invoice),
        "overdue_invoices": orders.order_id.count(where=invoice & ~settled),
        "late_recent": late_flag.mean(where=invoice & recent),
        "late_before": late_flag.mean(where=invoice & ~recent),
    }


def _payment_columns(agg: ir.Table) -> dict[str, ir.Value]:
    return {"avg_days_late_365d": agg.avg_days_late_365d,
            "max_days_late_365d": agg.max_days_late_365d,
            "late_share_365d": agg.late_share_365d, "overdue_invoices": agg.overdue_invoices,
            "late_share_change_180d": agg.late_recent - agg.late_before}


def service_features(ws: Workspace, as_of: date, *,
                     known_until: date | None = None) -> ir.Table:
    """Complaints (counts, trend, unresolved, days since last) and the last two survey scores
    (interactions known by ``known_until``, default ``as_of``)."""
    cutoff = midnight(known_until or as_of)
    rows = ws.table("interactions")
    rows = rows.filter(rows.ts < cutoff)
    rows = rows.mutate(age=_days_between(as_of, rows.ts.cast("date")))
    complaint = rows.kind == "complaint"
    open_ = complaint & (rows.resolved_at.isnull() | (rows.resolved_at >= cutoff))
    complaints = rows.group_by("customer_id").aggregate(
        complaints_90d=rows.interaction_id.count(where=complaint & (rows.age <= 90)),
        complaints_365d=rows.interaction_id.count(where=complaint & (rows.age <= 365)),
        complaints_90_180=rows.interaction_id.count(
            where=complaint & (rows.age > 90) & (rows.age <= 180)),
        unresolved_complaints=rows.interaction_id.count(where=open_),
        days_since_complaint=rows.age.min(where=complaint),
        resolution_days_365d=(rows.resolved_at.epoch_seconds() - rows.ts.epoch_seconds()).mean(
            where=complaint & (rows.age <= 365) & rows.resolved_at.notnull()
            & (rows.resolved_at < cutoff)) / 86400.0,
    )
    complaints = complaints.mutate(
        complaints_change_90d=complaints.complaints_90d - complaints.complaints_90_180
    ).drop("complaints_90_180")
    csat = _last_two_scores(rows, CSAT_KINDS, "csat")
    nps = _last_two_scores(rows, NPS_KINDS, "nps")
    return (complaints.outer_join(csat, "customer_id", rname="{name}_csat")
            .pipe(_coalesce_key, "customer_id_csat")
            .outer_join(nps, "customer_id", rname="{name}_nps")
            .pipe(_coalesce_key, "customer_id_nps"))


def _coalesce_key(table: ir.Table, other: str) -> ir.Table:
    return table.mutate(customer_id=table.customer_id.fill_null(table[other])).drop(other)


def _last_two_scores(rows: ir.Table, kinds: tuple[str, ...], name: str) -> ir.Table:
    scored = rows.filter(rows.kind.isin(kinds), rows.score.notnull())
    window = ibis.window(group_by="customer_id", order_by=[ibis.desc("ts"),
                                                           ibis.desc("interaction_id")])
    scored = scored.mutate(rank=ibis.row_number().over(window))  # 0 = latest
    last = scored.score.max(where=scored.rank == 0)
    previous = scored.score.max(where=scored.rank == 1)
    agg = scored.group_by("customer_id").aggregate(last=last, previous=previous)
    return agg.select("customer_id", **{f"last_{name}": agg["last"],
                                        f"{name}_change": agg["last"] - agg.previous})


def relationship_features(ws: Workspace, as_of: date, *,
                          known_until: date | None = None) -> ir.Table:
    """Owner departure, segment/region/channel and share of wallet per customer (departures
    and surveys known by ``known_until``, default ``as_of``)."""
    cut = known_until or as_of
    customers = ws.table("customers")
    staff = ws.table("staff")
    left = staff.filter(staff.left_date.notnull(), staff.left_date.cast("date") < cut)
    left = left.select(owner=left.staff_id, left_day=left.left_date.cast("date"))
    joined = customers.left_join(left, customers.owner_id == left.owner)
    base = joined.select(
        "customer_id", "segment", "region", "channel",
        owner_left=joined.left_day.notnull().cast("int64"),
        days_since_owner_left=_days_between(as_of, joined.left_day),
    )
    wallet = _wallet_share(ws, cut)
    return base.left_join(wallet, "customer_id").drop("customer_id_right")


def _wallet_share(ws: Workspace, as_of: date) -> ir.Table:
    """Our revenue over the customer's category spend, for the last two survey years that
    ended before ``as_of`` (a survey period is the 365 days from its ``period``)."""
    wallet = ws.table("wallet")
    start = wallet.period.cast("date")
    wallet = wallet.mutate(start=start, stop=(start + ibis.interval(days=365)).cast("date"))
    wallet = wallet.filter(wallet.stop <= as_of, wallet.category_spend > 0)
    window = ibis.window(group_by="customer_id", order_by=ibis.desc("start"))
    wallet = wallet.mutate(rank=ibis.row_number().over(window))
    wallet = wallet.filter(wallet.rank <= 1)
    orders = ws.table("orders")
    orders = orders.filter(orders.order_date < midnight(as_of))
    orders = orders.select(buyer=orders.customer_id, day=orders.order_date.cast("date"),
                           amount=orders.amount)
    matched = wallet.left_join(orders, (wallet.customer_id == orders.buyer)
                               & (orders.day >= wallet.start) & (orders.day < wallet.stop))
    per = matched.group_by(["customer_id", "rank", "category_spend"]).aggregate(
        revenue=matched.amount.sum().fill_null(0.0))
    per = per.mutate(share=per.revenue / per.category_spend)
    out = per.group_by("customer_id").aggregate(
        wallet_share=per.share.max(where=per.rank == 0),
        earlier=per.share.max(where=per.rank == 1),
    )
    return out.select("customer_id", "wallet_share",
                      wallet_share_change=out.wallet_share - out.earlier)


def feature_table(ws: Workspace, as_of: date | datetime | str, *,
                  churn: ChurnDefinition | None = None) -> ir.Table:
    """:func:`features` without ``p_alive`` as an Ibis expression (nothing runs until it is
    executed)."""
    day = to_date(as_of)
    definition = churn or ws.churn_definition()
    table = _assemble(ws, day, definition, order_features(ws, day))
    return table.select("customer_id", *ENGINE_COLUMNS)


def _assemble(ws: Workspace, day: date, definition: ChurnDefinition,
              purchases: ir.Table, known_until: date | None = None) -> ir.Table:
    """The customers active at ``known_until`` (default ``day``) joined to their order and
    payment (``purchases``, from :func:`order_features`), service and relationship
    features; keeps ``purchase_days`` for ``p_alive``."""
    status = definition.status(ws, known_until or day)
    table = status.filter(status.status == "active").select("customer_id")
    for part in (purchases, service_features(ws, day, known_until=known_until),
                 contact_features(ws, day, known_until=known_until),
                 relationship_features(ws, day, known_until=known_until)):
        table = table.left_join(part, "customer_id")
        table = table.drop(*[c for c in table.columns if c.endswith("_right")])
    fills = {name: table[name].fill_null(0) for name in _ZERO_FILLED}
    return contact_signals(table.mutate(**fills))


def point_in_time(ws: Workspace, day: date, definition: ChurnDefinition, *,
                  extra: ir.Table | None = None,
                  known_until: date | None = None) -> pd.DataFrame:
    """``customer_id``, :data:`FEATURE_COLUMNS` (and the columns of ``extra``, joined on
    ``customer_id``) of the customers active at ``day``, sorted by ``customer_id``. With
    ``known_until`` (before ``day``): of the customers active then, from the data before it,
    with times measured at ``day`` — what they would look like at ``day`` had nothing
    happened after ``known_until``.

    The per-customer order summary is computed once (cached in the engine) and feeds both
    the feature query and the BG/NBD fit behind ``p_alive``: the orders are read in one pass.
    """
    if known_until is not None and known_until > day:
        raise ConfigError(f"known_until ({known_until}) must not be after the feature date "
                          f"({day}).")
    with order_features(ws, day, known_until=known_until).cache() as purchases:
        table = _assemble(ws, day, definition, purchases, known_until)
        if extra is not None:
            table = table.left_join(extra, "customer_id").drop("customer_id_right")
        names = [c for c in (extra.columns if extra is not None else []) if c != "customer_id"]
        table = table.select("customer_id", *ENGINE_COLUMNS, "purchase_days", *names)
        frame = _to_frame(table.order_by("customer_id").to_pyarrow())
        keys = ["purchase_days", "recency_days", "tenure_days"]
        patterns = purchases.group_by(keys).aggregate(customers=purchases.count())
        patterns = patterns.order_by(keys).to_pandas()  # a fixed order: a reproducible fit
    frame.insert(1 + len(ENGINE_COLUMNS), "p_alive", p_alive(patterns, frame))
    return frame.drop(columns="purchase_days")


def _to_frame(rows: pa.Table) -> pd.DataFrame:
    """Arrow to pandas; segment, region and channel become categories straight from Arrow
    (no Python string per row)."""
    for name in CATEGORICAL_COLUMNS:
        index = rows.column_names.index(name)
        rows = rows.set_column(index, name, pc.dictionary_encode(rows.column(name)))
    return rows.to_pandas()


def features(ws: Workspace, as_of: date | datetime | str, *,
             churn: ChurnDefinition | None = None,
             known_until: date | datetime | str | None = None) -> pd.DataFrame:
    """One row per customer active at ``as_of`` with the point-in-time features.

    Parameters
    ----------
    ws
        The workspace.
    as_of
        Reference date; only data dated strictly before it is used.
    churn
        Who counts as active; the workspace's churn definition by default.
    known_until
        Use only data before this date (not after ``as_of``) while measuring times at
        ``as_of``: the customers active at ``known_until`` as they would look at ``as_of``
        had they done nothing since (rolls a no-purchase chain forward, see
        :func:`churnguard.risk.backtest.chained_no_purchase`).

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` and :data:`FEATURE_COLUMNS`, sorted by ``customer_id``; segment,
        region and channel are pandas categories.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from churnguard import Workspace
    >>> ws = Workspace.create(tempfile.mkdtemp() + "/shop")
    >>> _ = ws.load("customers", pd.DataFrame({"customer_id": ["a", "b"]}))
    >>> _ = ws.load("orders", pd.DataFrame({"order_id": ["1", "2", "3"],
    ...     "customer_id": ["a", "a", "b"], "amount": [10.0, 30.0, 5.0],
    ...     "order_date": ["2024-01-01", "2024-02-20", "2023-01-01"]}))
    >>> f = features(ws, "2024-03-01")
    >>> f[["customer_id", "recency_days", "orders_90d", "revenue_90d"]].values.tolist()
    [['a', 10, 2, 40.0]]
    """
    return point_in_time(ws, to_date(as_of), churn or ws.churn_definition(),
                         known_until=to_date(known_until) if known_until is not None else None)
