"""Early warning: point-in-time features, warning rules, ``ChurnRiskModel``, reasons, backtests.

Examples
--------
>>> from churnguard.risk import ChurnRiskModel
>>> ChurnRiskModel().learning_rate
0.06
>>> from churnguard.risk import score
>>> score.__module__
'churnguard.risk.scoring'
"""

from __future__ import annotations

from churnguard.risk.evaluation import (
    calibration_table,
    capture_at,
    expected_maximum_profit,
    lift_at,
    lift_curve,
    score_metrics,
)
from churnguard.risk.explain import explain, reasons_text
from churnguard.risk.health import health_scores, weakest_dimension
from churnguard.risk.model import ChurnRiskModel
from churnguard.risk.scoring import score

__all__ = [
    "ChurnRiskModel",
    "calibration_table",
    "capture_at",
    "expected_maximum_profit",
    "explain",
    "health_scores",
    "lift_at",
    "lift_curve",
    "reasons_text",
    "score",
    "score_metrics",
    "weakest_dimension",
]
