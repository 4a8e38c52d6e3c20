"""Retention metrics: the loyalty KPIs, logo vs revenue churn, cohorts, survival, migration and
the service-failure audit (失误查核). Every function runs as Ibis expressions in the warehouse
engine and returns a pandas DataFrame; see docs/metrics.md for each formula."""

from churnguard.metrics.loyalty import KPI_COLUMNS, RATE_COLUMNS, loyalty_kpis
from churnguard.metrics.periods import Periods

__all__ = ["KPI_COLUMNS", "RATE_COLUMNS", "Periods", "loyalty_kpis"]
