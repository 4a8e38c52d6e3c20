"""Customer value: RFM and tiers, core customers, CLV models, cost-to-serve and profitability.

Examples
--------
>>> from churnguard.value import BetaGeo, GammaGamma, rfm_summary
>>> BetaGeo().penalizer
0.0
"""

from __future__ import annotations

from churnguard.value.beta_geo import BetaGeo
from churnguard.value.gamma_gamma import GammaGamma, frequency_monetary_independence
from churnguard.value.pareto_nbd import ParetoNBD
from churnguard.value.rfm import rfm_summary, rfm_table

__all__ = [
    "BetaGeo",
    "GammaGamma",
    "ParetoNBD",
    "frequency_monetary_independence",
    "rfm_summary",
    "rfm_table",
]
