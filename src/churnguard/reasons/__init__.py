"""Why customers leave (客户流失原因): the reason taxonomy, reasons read from Chinese and English
text, surveys (CSAT, NPS, complaint follow-up), the reason Pareto and topic drift.

Public API (imported lazily, so ``import churnguard.reasons`` stays cheap):

* taxonomy — :data:`REASON_CODES`, :class:`Taxonomy`, :func:`default_taxonomy`,
  :func:`taxonomy_from_settings`, :func:`workspace_taxonomy`
* text — :func:`classify`, :class:`ReasonClassifier`, :func:`labelled_interactions`,
  :func:`shipped_model` (the weakly supervised model shipped in the package)
* surveys — :func:`nps_summary`, :func:`csat_summary`, :func:`complaint_satisfaction`,
  :func:`survey_summary`
* why they left — :func:`churn_reasons`, :func:`reason_pareto`, :func:`pareto_table`,
  :func:`reason_drift`

Examples
--------
>>> from churnguard.reasons import classify
>>> classify(["发票开错了"]).loc[0, "reason"]
'billing'
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "REASON_CODES": "taxonomy", "Reason": "taxonomy", "Taxonomy": "taxonomy",
    "default_taxonomy": "taxonomy", "taxonomy_from_settings": "taxonomy",
    "workspace_taxonomy": "taxonomy",
    "classify": "classifier", "ReasonClassifier": "classifier",
    "labelled_interactions": "classifier", "shipped_model": "shipped",
    "nps_summary": "surveys", "csat_summary": "surveys", "complaint_satisfaction": "surveys",
    "survey_summary": "surveys",
    "churn_reasons": "pareto", "reason_pareto": "pareto", "pareto_table": "pareto",
    "reason_drift": "drift",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(f"churnguard.reasons.{_EXPORTS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'churnguard.reasons' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
