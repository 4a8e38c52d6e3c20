"""The canonical warehouse tables (see DESIGN.md) as data.

Each :class:`TableSpec` lists its columns with a logical type, whether the column must be present
in a source, whether it may hold nulls, the key that identifies a row, and the columns that must
point at a known customer. Readers, validation, loads and the synthetic generator all read these
specs, so the schema is written down exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from churnguard.constraints import MAX_MONEY, MAX_SCORE
from churnguard.errors import SchemaError

LogicalType = Literal["string", "timestamp", "date", "float64", "int64"]


@dataclass(frozen=True)
class Column:
    """One column of a canonical table."""

    name: str
    type: LogicalType
    required: bool = True
    nullable: bool = False
    non_negative: bool = False
    no_future: bool = False
    choices: tuple[str, ...] = ()
    high: float = MAX_MONEY
    """Largest magnitude a number column accepts (:mod:`churnguard.constraints`)."""


@dataclass(frozen=True)
class TableSpec:
    """A canonical table: its columns, key and foreign keys to ``customers``."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    customer_ref: tuple[str, ...] = field(default=())
    description: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


def _c(name: str, type_: LogicalType, **kw: bool | float | tuple[str, ...]) -> Column:
    return Column(name, type_, **kw)


INTERACTION_KINDS = (
    "complaint",
    "ticket",
    "survey",
    "call",
    "visit",
    "email",
    "care",
    "exit_survey",
    "nps",
)

_optional = {"required": False, "nullable": True}

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "customers",
            (
                _c("customer_id", "string"),
                _c("name", "string", **_optional),
                _c("segment", "string", **_optional),
                _c("region", "string", **_optional),
                _c("channel", "string", **_optional),
                _c("signup_date", "date", required=False, nullable=True, no_future=True),
                _c("birthday", "date", required=False, nullable=True, no_future=True),
                _c("owner_id", "string", **_optional),
                _c("contract_end", "date", **_optional),
                # reaching the customer (issue 14): campaign mail, its language (zh/en),
                # marketing consent (yes/no, 是/否, 同意/退订…; blank = unknown)
                _c("email", "string", **_optional),
                _c("language", "string", **_optional),
                _c("marketing_consent", "string", **_optional),
                _c("phone", "string", **_optional),  # tap to call on the rep's phone
            ),
            key=("customer_id",),
            description="One row per customer (客户档案).",
        ),
        TableSpec(
            "orders",
            (
                _c("order_id", "string"),
                _c("customer_id", "string"),
                _c("order_date", "timestamp", no_future=True),
                _c("amount", "float64"),
                _c("cost", "float64", **_optional),
                _c("quantity", "float64", required=False, nullable=True, non_negative=True),
                _c("product", "string", **_optional),
                _c("category", "string", **_optional),
                _c("channel", "string", **_optional),
                _c("due_date", "date", **_optional),
                _c("paid_date", "date", required=False, nullable=True, no_future=True),
            ),
            key=("order_id",),
            customer_ref=("customer_id",),
            description="Orders and returns (negative amount) (订单).",
        ),
        TableSpec(
            "interactions",
            (
                _c("interaction_id", "string"),
                _c("customer_id", "string"),
                _c("ts", "timestamp", no_future=True),
                _c("kind", "string", choices=INTERACTION_KINDS),
                _c("text", "string", **_optional),
                _c("score", "float64", high=MAX_SCORE, **_optional),
                _c("resolved_at", "timestamp", **_optional),
                _c("reason", "string", **_optional),
            ),
            key=("interaction_id",),
            customer_ref=("customer_id",),
            description="Complaints, tickets, surveys, calls, visits, exit surveys (客户互动).",
        ),
        TableSpec(
            "staff",
            (
                _c("staff_id", "string"),
                _c("name", "string", **_optional),
                _c("left_date", "date", **_optional),
                _c("manager_id", "string", **_optional),
            ),
            key=("staff_id",),
            description="Account owners and their managers (员工).",
        ),
        TableSpec(
            "activities",
            (
                _c("customer_id", "string"),
                _c("activity", "string"),
                _c("date", "date", no_future=True),
                _c("count", "float64", non_negative=True),
            ),
            key=("customer_id", "activity", "date"),
            customer_ref=("customer_id",),
            description="Cost-to-serve drivers per customer (作业动因).",
        ),
        TableSpec(
            "cost_pools",
            (
                _c("activity", "string"),
                _c("period", "date"),
                _c("total_cost", "float64", non_negative=True),
            ),
            key=("activity", "period"),
            description="Activity cost pools; `period` is the period's first day (作业成本库).",
        ),
        TableSpec(
            "wallet",
            (
                _c("customer_id", "string"),
                _c("period", "date"),
                _c("category_spend", "float64", non_negative=True),
            ),
            key=("customer_id", "period"),
            customer_ref=("customer_id",),
            description="Survey estimate of a customer's total category spend (钱包份额).",
        ),
        TableSpec(
            "order_lines",
            (
                _c("order_id", "string", required=False),
                _c("line_no", "int64", required=False, non_negative=True),
                _c("customer_id", "string", nullable=True),
                _c("order_date", "timestamp", no_future=True),
                _c("product_id", "string", **_optional),
                _c("product_name", "string", **_optional),
                _c("category", "string", **_optional),
                _c("quantity", "float64", **_optional),
                _c("unit_price", "float64", **_optional),
                _c("amount", "float64", required=False),
                _c("cost", "float64", **_optional),
                _c("region", "string", **_optional),
                _c("channel", "string", **_optional),
                _c("store", "string", **_optional),
                _c("cancels", "string", **_optional),
                _c("cancellation", "int64", required=False),
                _c("voided", "int64", required=False),
                _c("matched_order_id", "string", **_optional),
            ),
            key=("order_id", "line_no"),
            description=(
                "Invoice/receipt lines as shops and ERPs export them (订单明细). "
                "customer_id empty = a sale without a customer (unattributed). "
                "order_id omitted in the source = customer_id@YYYY-MM-DD. "
                "amount = quantity × unit_price when the source has no amount. "
                "cancellation = 1 on a line that cancels or returns (negative quantity or "
                "amount, a --cancel-prefix order id, or a cancels reference); voided = 1 on a "
                "cancellation and on the purchase line it matched: neither is a purchase "
                "(they are left out of orders). matched_order_id = the other side's order."
            ),
        ),
        TableSpec(
            "ground_truth",
            (
                _c("customer_id", "string"),
                _c("true_churn_date", "date", **_optional),
                _c("true_reason", "string", **_optional),
            ),
            key=("customer_id",),
            customer_ref=("customer_id",),
            description="Synthetic data only: when and why each customer really left.",
        ),
    )
}



def table_spec(name: str) -> TableSpec:
    """Return the spec of canonical table ``name``.

    Examples
    --------
    >>> table_spec("orders").key
    ('order_id',)
    """
    try:
        return TABLES[name]
    except KeyError:
        known = ", ".join(TABLES)
        raise SchemaError(f"unknown table {name!r}. Known tables: {known}.") from None
