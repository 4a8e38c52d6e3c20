"""The KPI definitions catalog: each KPI's name, its Chinese name and its formula in words.

The texts live in the i18n catalogue (``kpi.<column>`` for the name, ``kpidef.<column>`` for
the formula), so the dashboard's info popovers, its definitions list and the report's
definitions section say the same thing in both languages.

Examples
--------
>>> d = kpi_definition("churn_rate", "en")
>>> d.name, d.chinese_name
('Churn rate', '客户流失率')
>>> d.formula.startswith("100% − retention rate")
True
"""

from __future__ import annotations

from dataclasses import dataclass

from churnguard.i18n import catalogue, translate

DEFINED: tuple[str, ...] = (
    "customers_start",
    "customers_end",
    "new_customers",
    "churned_customers",
    "reactivated_customers",
    "retention_rate",
    "churn_rate",
    "new_customer_retention_90d",
    "share_of_wallet",
    "complaint_satisfaction",
    "purchase_frequency",
    "avg_spend_per_customer",
    "winback_rate",
    "revenue",
    "revenue_churn_rate",
    "grr",
    "nrr",
    "grr_mom",
    "nrr_mom",
    "avg_order_value",
    "unattributed_revenue",
)
"""Every KPI with a definition, in the order the catalog lists them."""


@dataclass(frozen=True)
class Definition:
    """One KPI's definition in one language."""

    column: str
    name: str
    chinese_name: str
    formula: str


def kpi_definition(column: str, lang: str) -> Definition:
    """The definition of KPI ``column`` in ``lang`` (``zh`` or ``en``).

    Raises ``KeyError`` for a KPI the catalog does not define (a test keeps every KPI the
    dashboard shows defined).

    Examples
    --------
    >>> kpi_definition("retention_rate", "zh").formula
    '月初和月末都活跃的客户数 ÷ 月初活跃客户数。'
    """
    key = f"kpidef.{column}"
    if key not in catalogue(lang):
        raise KeyError(f"KPI {column!r} has no definition ({key} is not in the catalogue).")
    return Definition(
        column=column,
        name=translate(f"kpi.{column}", lang),
        chinese_name=translate(f"kpi.{column}", "zh"),
        formula=translate(key, lang),
    )


def kpi_definitions(
    lang: str, columns: tuple[str, ...] | list[str] | None = None
) -> list[Definition]:
    """Definitions of ``columns`` (every defined KPI when None) in ``lang``, in that order;
    columns without a definition are left out.

    Examples
    --------
    >>> [d.column for d in kpi_definitions("en", ["nrr", "no_such_kpi", "grr"])]
    ['nrr', 'grr']
    """
    wanted = DEFINED if columns is None else columns
    return [kpi_definition(c, lang) for c in wanted if f"kpidef.{c}" in catalogue(lang)]
