"""Customer value: RFM and tiers, core customers, CLV models, cost-to-serve and profitability.

Examples
--------
>>> from churnguard.value import BetaGeo, FitWarning, customer_value
>>> BetaGeo().penalizer
0.0
>>> issubclass(FitWarning, UserWarning)
True
"""

from __future__ import annotations

from churnguard.value.beta_geo import BetaGeo
from churnguard.value.clv import clv
from churnguard.value.cost_to_serve import cost_to_serve, driver_rates
from churnguard.value.diagnostics import Diagnostic, FitWarning
from churnguard.value.gamma_gamma import GammaGamma, frequency_monetary_independence
from churnguard.value.overview import value_overview
from churnguard.value.pareto_nbd import ParetoNBD
from churnguard.value.profitability import (
    profit_at_risk,
    profitability,
    profitability_summary,
    whale_curve,
)
from churnguard.value.rfm import rfm_summary, rfm_table
from churnguard.value.scores import DEFAULT_RULES, SegmentRule, rfm_scores, segment_summary
from churnguard.value.spend import ShrinkageSpend, fit_spend_model, spend_summary
from churnguard.value.tiers import (
    TIERS,
    core_customers,
    save_value_tiers,
    tier_summary,
    value_tiers,
)
from churnguard.value.validation import validate_clv
from churnguard.value.valuation import customer_value, gross_margin

__all__ = [
    "DEFAULT_RULES",
    "TIERS",
    "BetaGeo",
    "Diagnostic",
    "FitWarning",
    "GammaGamma",
    "ParetoNBD",
    "SegmentRule",
    "ShrinkageSpend",
    "clv",
    "core_customers",
    "cost_to_serve",
    "customer_value",
    "driver_rates",
    "fit_spend_model",
    "frequency_monetary_independence",
    "gross_margin",
    "profit_at_risk",
    "profitability",
    "profitability_summary",
    "rfm_scores",
    "rfm_summary",
    "rfm_table",
    "save_value_tiers",
    "segment_summary",
    "spend_summary",
    "tier_summary",
    "validate_clv",
    "value_overview",
    "value_tiers",
    "whale_curve",
]
