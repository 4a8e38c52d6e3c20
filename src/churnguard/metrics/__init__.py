"""Retention metrics: the loyalty KPIs, logo vs revenue churn, cohorts, survival, migration and
the service-failure audit (失误查核). Every function runs as Ibis expressions in the warehouse
engine and returns pandas DataFrames; docs/metrics.md gives each formula with its Chinese name.

Examples
--------
>>> from churnguard.metrics import KPI_COLUMNS
>>> KPI_COLUMNS[:3]
['period_start', 'period_end', 'status']
"""

from churnguard.metrics.audit import failure_audit
from churnguard.metrics.cohorts import cohort_retention
from churnguard.metrics.loyalty import KPI_COLUMNS, KPI_LABELS, RATE_COLUMNS, loyalty_kpis
from churnguard.metrics.migration import revenue_quartiles, segment_migration
from churnguard.metrics.periods import Periods
from churnguard.metrics.revenue import revenue_movements
from churnguard.metrics.survival import SurvivalCurves, lifetimes, survival

__all__ = [
    "KPI_COLUMNS",
    "KPI_LABELS",
    "RATE_COLUMNS",
    "Periods",
    "SurvivalCurves",
    "cohort_retention",
    "failure_audit",
    "lifetimes",
    "loyalty_kpis",
    "revenue_movements",
    "revenue_quartiles",
    "segment_migration",
    "survival",
]
