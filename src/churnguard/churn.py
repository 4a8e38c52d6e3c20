"""Churn definitions: who is active, churned or a prospect at a date, and when they left.

A churn definition turns the ``orders`` (and, for contracts, ``customers.contract_end``) of a
workspace into two Ibis expressions that run in the warehouse:

- :meth:`ChurnDefinition.status` — one row per customer as of a date;
- :meth:`ChurnDefinition.events` — the life events of every customer (``new``, ``churn``,
  ``reactivation``) dated before a date. Period counts in :mod:`churnguard.metrics` and the
  labels of the risk model are both built from it, so they always agree.

Rules shared by every definition
--------------------------------
- Only orders strictly before ``as_of`` count (``order_date < as_of`` at midnight).
- A *purchase* is an order row with ``amount >= 0``. Returns (negative amounts) reduce revenue
  but do not make a customer active: a customer who only returns goods is not buying.
- A customer without a purchase before ``as_of`` is a ``prospect``.
- Event identity: for every date ``t``, a customer is active at ``t`` exactly when the number of
  their ``new`` and ``reactivation`` events dated ``< t`` exceeds the number of ``churn`` events
  dated ``< t``. Hence, over a half-open period ``[start, end)``,
  ``active(end) = active(start) + new − churned + reactivated``.

Examples
--------
>>> import tempfile, pandas as pd
>>> from churnguard import Workspace
>>> ws = Workspace.create(tempfile.mkdtemp() + "/shop")
>>> _ = ws.load("customers", pd.DataFrame({"customer_id": ["a", "b", "c"]}))
>>> _ = ws.load("orders", pd.DataFrame({"order_id": ["1", "2"], "customer_id": ["a", "b"],
...     "order_date": ["2024-01-10", "2024-07-01"], "amount": [50.0, 20.0]}))
>>> s = ws.status("2024-09-01", Inactivity(days=90)).sort_values("customer_id")
>>> s[["customer_id", "status"]].values.tolist()
[['a', 'churned'], ['b', 'active'], ['c', 'prospect']]
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import pandas as pd

from churnguard.errors import ConfigError

if TYPE_CHECKING:
    from churnguard.workspace import Workspace

STATUSES = ("active", "churned", "prospect")
EVENT_KINDS = ("new", "churn", "reactivation")


def to_date(value: date | datetime | str | pd.Timestamp) -> date:
    """Normalise a reference date given as a date, datetime, Timestamp or ISO string.

    Examples
    --------
    >>> to_date("2024-03-01")
    datetime.date(2024, 3, 1)
    """
    if isinstance(value, str):
        try:
            return pd.Timestamp(value).date()
        except ValueError:
            raise ConfigError(f"{value!r} is not a date. Use YYYY-MM-DD.") from None
    if isinstance(value, datetime | pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value
    raise ConfigError(f"expected a date, received {type(value).__name__} {value!r}. "
                      f"Pass a datetime.date or a 'YYYY-MM-DD' string.")


def midnight(day: date) -> datetime:
    """``day`` at 00:00, for comparing with timestamp columns."""
    return datetime(day.year, day.month, day.day)


def purchase_timeline(ws: Workspace) -> ir.Table:
    """Every purchase (an order row with ``amount >= 0``) next to the customer's neighbouring
    purchases, over all the data.

    Columns: ``customer_id``, ``day`` (date of the purchase), ``previous_day`` and
    ``next_day`` (the customer's purchase before and after it; null for the first and the last)
    and ``first_day`` (the customer's first purchase). Two orders on one day are two rows, so
    ``previous_day`` may equal ``day``. One sort of the orders gives the whole life of every
    customer; churn events, spells and status at any date are cheap filters of it
    (:func:`timeline_before`). It is materialised once per data version
    (:meth:`Workspace.derived <churnguard.workspace.Workspace.derived>`).

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from churnguard import Workspace
    >>> ws = Workspace.create(tempfile.mkdtemp() + "/shop")
    >>> _ = ws.load("customers", pd.DataFrame({"customer_id": ["a"]}))
    >>> _ = ws.load("orders", pd.DataFrame({"order_id": ["1", "2", "3"],
    ...     "customer_id": ["a", "a", "a"], "amount": [5.0, -5.0, 8.0],
    ...     "order_date": ["2024-01-02", "2024-01-03", "2024-02-01"]}))
    >>> t = purchase_timeline(ws).order_by("day").to_pyarrow().to_pylist()
    >>> [(str(r["day"]), str(r["previous_day"])) for r in t]
    [('2024-01-02', 'None'), ('2024-02-01', '2024-01-02')]
    """
    def build() -> ir.Table:
        orders = ws.table("orders")
        orders = orders.filter(orders.amount >= 0)
        orders = orders.select("customer_id", day=orders.order_date.date())
        ordered = ibis.window(group_by="customer_id", order_by="day")
        return orders.select(
            "customer_id", "day",
            previous_day=orders.day.lag().over(ordered),
            next_day=orders.day.lead().over(ordered),
            first_day=orders.day.min().over(ibis.window(group_by="customer_id")),
        )

    return ws.derived("purchase_timeline", build, tables=["orders"])


def timeline_before(ws: Workspace, as_of: date | datetime | str) -> ir.Table:
    """:func:`purchase_timeline` as it stood at ``as_of``: purchases dated before it, and
    ``next_day`` null when the next purchase is not before it."""
    cutoff = ibis.literal(to_date(as_of), type="date")
    timeline = purchase_timeline(ws)
    timeline = timeline.filter(timeline.day < cutoff)
    return timeline.mutate(next_day=ibis.ifelse(timeline.next_day < cutoff, timeline.next_day,
                                                ibis.null("date")))


def last_purchases(timeline: ir.Table) -> ir.Table:
    """``customer_id, first_order, last_order`` from a :func:`timeline_before` table."""
    last = timeline.filter(timeline.next_day.isnull())
    return last.select("customer_id", first_order=last.first_day, last_order=last.day)


def cached_events(ws: Workspace, churn: ChurnDefinition,
                  as_of: date | datetime | str) -> ir.Table:
    """``churn.events(ws, as_of)``, materialised until the orders or customers change (a
    contract definition reads ``customers.contract_end``)."""
    as_of = to_date(as_of)
    return ws.derived(("churn_events", churn, as_of), lambda: churn.events(ws, as_of),
                      tables=["orders", "customers"])


def plus_days(day: ir.DateValue, days: int) -> ir.DateValue:
    """``day + days`` as a date expression (works the same on every backend)."""
    return (day + ibis.interval(days=days)).cast("date")


class ChurnDefinition(ABC):
    """What it means for a customer to have left.

    Subclasses implement :meth:`events` and :meth:`status`; both return Ibis expressions that
    only use data before ``as_of``.
    """

    @abstractmethod
    def events(self, ws: Workspace, as_of: date | datetime | str) -> ir.Table:
        """Life events dated strictly before ``as_of``.

        Columns: ``customer_id`` (string), ``event`` (``'new'``, ``'churn'`` or
        ``'reactivation'``), ``event_date`` (date). ``new`` is the first purchase;
        ``churn`` the churn date of a spell; ``reactivation`` the first purchase after a
        churn date. Events alternate per customer: new, churn, reactivation, churn, …

        Labels for a risk model: a customer active at ``t`` "churned within ``h`` days"
        when ``events(ws, t + h)`` holds a ``churn`` event with ``t <= event_date < t + h``.
        """

    @abstractmethod
    def status(self, ws: Workspace, as_of: date | datetime | str) -> ir.Table:
        """One row per customer as of ``as_of``.

        Columns: ``customer_id``, ``first_order`` (date of the first purchase, null for
        prospects), ``last_order`` (date of the last purchase), ``status`` (``'active'``,
        ``'churned'`` or ``'prospect'``) and ``churn_date`` (the date the current churn
        took effect; null unless churned).
        """

    def label(self) -> str:
        """A short human description, e.g. ``'no purchase for 180 days'``."""
        return type(self).__name__

    def warm_up_days(self) -> int:
        """Days after the start of the history before churn and "new" can be told.

        A customer who bought before the history starts shows up as new at their first
        purchase in the data, and nobody can churn before this many days have passed. Periods
        that start earlier than ``history_start + warm_up_days()`` are *warm-up* periods in
        :func:`churnguard.metrics.loyalty_kpis`.
        """
        return 0

    def spells(self, ws: Workspace, as_of: date | datetime | str) -> ir.Table:
        """Active spells: one row per ``new`` or ``reactivation`` event before ``as_of``.

        Columns: ``customer_id``, ``kind`` (``'new'`` or ``'reactivation'``), ``spell_start``
        (the purchase that started the spell), ``churn_date`` (when the spell ended; null
        when it is still running at ``as_of``) and ``previous_churn`` (the churn date that
        ended the customer's previous spell; null for ``new``). A customer is active at
        ``t`` exactly when one of their spells has ``spell_start < t <= churn_date`` (or a
        null ``churn_date``).
        """
        return spells_from_events(self.events(ws, as_of))


def spells_from_events(events: ir.Table) -> ir.Table:
    """Pair each ``new``/``reactivation`` event with the ``churn`` that ended it (see
    :meth:`ChurnDefinition.spells`); useful when ``events`` is already cached."""
    rank = ibis.cases((events.event == "new", 0), (events.event == "reactivation", 1),
                      else_=2)
    events = events.mutate(rank=rank)
    window = ibis.window(group_by="customer_id", order_by=["event_date", "rank"])
    events = events.mutate(
        next_event=events.event.lead().over(window),
        next_date=events.event_date.lead().over(window),
        previous_event=events.event.lag().over(window),
        previous_date=events.event_date.lag().over(window),
    )
    starts = events.filter(events.event != "churn")
    return starts.select(
        "customer_id",
        kind=starts.event,
        spell_start=starts.event_date,
        churn_date=ibis.ifelse(starts.next_event == "churn", starts.next_date,
                               ibis.null("date")),
        previous_churn=ibis.ifelse(starts.previous_event == "churn", starts.previous_date,
                                   ibis.null("date")),
    )


def _status_frame(customers: ir.Table, spans: ir.Table) -> ir.Table:
    """Join customers to their ``first_order, last_order, churn_date`` (null when active)."""
    joined = customers.select("customer_id").left_join(spans, "customer_id")
    status = ibis.cases(
        (joined.first_order.isnull(), "prospect"),
        (joined.churn_date.notnull(), "churned"),
        else_="active",
    )
    return joined.select(
        "customer_id",
        "first_order",
        "last_order",
        status=status,
        churn_date=joined.churn_date,
    )


@dataclass(frozen=True)
class Inactivity(ChurnDefinition):
    """Non-contractual churn: a customer has left after ``days`` days without a purchase.

    As of ``t``, a customer with a purchase before ``t`` is *active* when
    ``t − last purchase ≤ days`` and *churned* otherwise; the churn date is
    ``last purchase + days``. A purchase after a churn date is a *reactivation*.

    Parameters
    ----------
    days
        Days without a purchase after which a customer counts as lost (180 by default).

    Examples
    --------
    >>> Inactivity(days=90).label()
    'no purchase for 90 days'
    """

    days: int = 180

    def __post_init__(self) -> None:
        if isinstance(self.days, bool) or not isinstance(self.days, int) or self.days < 1:
            raise ConfigError(f"Inactivity(days=...) must be a positive whole number of days, "
                              f"received {self.days!r}.")

    def label(self) -> str:
        return f"no purchase for {self.days} days"

    def warm_up_days(self) -> int:
        """``days``: a customer active at the history start buys again within it."""
        return self.days

    def events(self, ws: Workspace, as_of: date | datetime | str) -> ir.Table:
        as_of = to_date(as_of)
        days = timeline_before(ws, as_of)
        gaps = days.filter(days.previous_day.notnull()
                           & (plus_days(days.previous_day, self.days) < days.day))
        new = days.filter(days.previous_day.isnull()).select(
            "customer_id", event=ibis.literal("new"), event_date=days.day)
        returned = gaps.select("customer_id", event=ibis.literal("reactivation"),
                               event_date=gaps.day)
        lapsed = gaps.select("customer_id", event=ibis.literal("churn"),
                             event_date=plus_days(gaps.previous_day, self.days))
        last = days.filter(days.next_day.isnull())
        final = last.select("customer_id", event=ibis.literal("churn"),
                            event_date=plus_days(last.day, self.days))
        final = final.filter(final.event_date < as_of)
        return ibis.union(new, returned, lapsed, final, distinct=False)

    def status(self, ws: Workspace, as_of: date | datetime | str) -> ir.Table:
        as_of = to_date(as_of)
        spans = last_purchases(timeline_before(ws, as_of))
        lapse = plus_days(spans.last_order, self.days)
        spans = spans.mutate(churn_date=ibis.ifelse(lapse < as_of, lapse, ibis.null("date")))
        return _status_frame(ws.table("customers"), spans)


@dataclass(frozen=True)
class ContractEnd(ChurnDefinition):
    """Contractual churn: a customer has left when ``contract_end`` passed without renewal.

    ``customers.contract_end`` holds the end of each customer's latest contract (a renewal moves
    it forward). As of ``t``, a customer with a purchase before ``t`` is *churned* when
    ``contract_end + grace_days < t``; the churn date is ``contract_end + grace_days`` (never
    before the first purchase). A null ``contract_end`` is an open-ended contract that never
    lapses. This definition has no reactivations: a returning customer signs a new contract,
    which moves ``contract_end``.

    Parameters
    ----------
    grace_days
        Days after ``contract_end`` allowed for a late renewal (30 by default).

    Examples
    --------
    >>> ContractEnd().label()
    'contract ended more than 30 days ago'
    """

    grace_days: int = 30

    def __post_init__(self) -> None:
        bad = isinstance(self.grace_days, bool) or not isinstance(self.grace_days, int)
        if bad or self.grace_days < 0:
            raise ConfigError(f"ContractEnd(grace_days=...) must be a whole number of days >= 0, "
                              f"received {self.grace_days!r}.")

    def label(self) -> str:
        return f"contract ended more than {self.grace_days} days ago"

    def warm_up_days(self) -> int:
        """``grace_days``: who is under contract is read from ``contract_end``, so only the
        grace is unknown at the start (a customer under contract who first orders after the
        history start still counts as new then)."""
        return self.grace_days

    def _spans(self, ws: Workspace, as_of: date) -> ir.Table:
        spans = last_purchases(timeline_before(ws, as_of))
        customers = ws.table("customers").select("customer_id", "contract_end")
        spans = spans.inner_join(customers, "customer_id")
        lapse = plus_days(spans.contract_end, self.grace_days)
        # GREATEST skips nulls on some engines: keep an open-ended contract open explicitly.
        lapse = ibis.ifelse(spans.contract_end.isnull(), ibis.null("date"),
                            ibis.greatest(lapse, spans.first_order))
        return spans.select("customer_id", "first_order", "last_order", lapse=lapse)

    def events(self, ws: Workspace, as_of: date | datetime | str) -> ir.Table:
        as_of = to_date(as_of)
        spans = self._spans(ws, as_of)
        new = spans.select("customer_id", event=ibis.literal("new"), event_date=spans.first_order)
        gone = spans.filter(spans.lapse < as_of)
        churn = gone.select("customer_id", event=ibis.literal("churn"), event_date=gone.lapse)
        return ibis.union(new, churn, distinct=False)

    def status(self, ws: Workspace, as_of: date | datetime | str) -> ir.Table:
        as_of = to_date(as_of)
        spans = self._spans(ws, as_of)
        spans = spans.select(
            "customer_id", "first_order", "last_order",
            churn_date=ibis.ifelse(spans.lapse < as_of, spans.lapse, ibis.null("date")),
        )
        return _status_frame(ws.table("customers"), spans)
