"""Topic drift: which reasons gained share against the preceding period (话题漂移).

The preceding period has the same length and ends at ``start``. Two sources:

* ``"voice"`` (default) — complaints and exit surveys dated in each period: what customers
  talk about, an early signal;
* ``"churn"`` — the reasons of the churns in each period (:func:`~churnguard.reasons.pareto.
  churn_reasons`): what customers actually left over.

An interaction's ``reason`` is used when filled, else its text is classified.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import pandas as pd

from churnguard.churn import ChurnDefinition, midnight
from churnguard.errors import ConfigError
from churnguard.reasons.classifier import ReasonClassifier
from churnguard.reasons.pareto import VOICE_KINDS, check_window, churn_reasons, fill_reasons
from churnguard.reasons.taxonomy import workspace_taxonomy

if TYPE_CHECKING:
    from churnguard.workspace import Workspace

DRIFT_COLUMNS = ["reason", "label_en", "label_zh", "previous_count", "current_count",
                 "previous_share", "current_share", "change"]


def voice_reasons(ws: Workspace, start: date, end: date, *,
                  model: ReasonClassifier | None = None) -> pd.DataFrame:
    """Complaints and exit surveys in ``[start, end)``: ``customer_id, ts, kind, reason``."""
    interactions = ws.table("interactions")
    rows = interactions.filter(interactions.kind.isin(list(VOICE_KINDS)),
                               interactions.ts >= midnight(start),
                               interactions.ts < midnight(end))
    frame = rows.select("customer_id", "ts", "kind", "text", "reason").to_pandas()
    frame["reason"] = fill_reasons(frame["reason"], frame["text"], model=model)
    frame = frame.dropna(subset=["reason"])
    return frame[["customer_id", "ts", "kind", "reason"]].reset_index(drop=True)


def reason_drift(ws: Workspace, start: date | datetime | str, end: date | datetime | str, *,
                 source: str = "voice", churn: ChurnDefinition | None = None,
                 model: ReasonClassifier | None = None) -> pd.DataFrame:
    """Share of each reason in ``[start, end)`` against the preceding period, rises first.

    Returns
    -------
    DataFrame
        ``reason, label_en, label_zh, previous_count, current_count, previous_share,
        current_share, change`` (``current_share − previous_share``; a share is NaN when the
        period has nothing), sorted by ``change`` descending.
    """
    first, last = check_window(start, end)
    before = first - (last - first)
    if source == "voice":
        current = voice_reasons(ws, first, last, model=model)["reason"]
        previous = voice_reasons(ws, before, first, model=model)["reason"]
    elif source == "churn":
        current = churn_reasons(ws, first, last, churn=churn, model=model)["reason"]
        previous = churn_reasons(ws, before, first, churn=churn, model=model)["reason"]
    else:
        raise ConfigError(f"source={source!r}: use 'voice' (complaints and exit surveys) or "
                          f"'churn' (reasons of churned customers).")
    table = pd.DataFrame({"previous_count": previous.value_counts(),
                          "current_count": current.value_counts()}).fillna(0).astype("int64")
    table = table.rename_axis("reason").reset_index()
    for period in ("previous", "current"):
        total = table[f"{period}_count"].sum()
        table[f"{period}_share"] = table[f"{period}_count"] / total if total else float("nan")
    table["change"] = table["current_share"] - table["previous_share"]
    tax = workspace_taxonomy(ws)
    table["label_en"] = [tax.label(r) for r in table["reason"]]
    table["label_zh"] = [tax.label(r, lang="zh") for r in table["reason"]]
    table = table.sort_values(["change", "current_count", "reason"],
                              ascending=[False, False, True], kind="stable")
    return table[DRIFT_COLUMNS].reset_index(drop=True)
