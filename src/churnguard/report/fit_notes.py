"""What the CLV fits said at the latest scoring: the spend estimator used and the FitWarnings.

Scoring with ``save=True`` writes the value models' warnings to the warehouse table
``value_fit_notes`` (``as_of, estimator, message``) and each customer's ``spend_estimator`` to
``risk_scores``. The Admin page and the report show the notes of the latest scoring date only:
a date with no notes fitted cleanly, older warnings are not shown as current.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

FIT_NOTES_TABLE = "value_fit_notes"


@dataclass(frozen=True)
class FitNotes:
    """The latest scoring date, the spend estimator used then (None when unknown) and the
    FitWarning messages of that date (empty when the fits were clean)."""

    as_of: date | None
    estimator: str | None = None
    messages: list[str] = field(default_factory=list)


def latest_fit_notes(ws: Any) -> FitNotes | None:
    """The :class:`FitNotes` of the latest scoring date; None when nothing was scored.

    Examples
    --------
    >>> import tempfile, pyarrow as pa
    >>> from churnguard import Workspace
    >>> ws = Workspace.create(tempfile.mkdtemp() + "/w")
    >>> latest_fit_notes(ws) is None
    True
    >>> ws.warehouse.replace("value_fit_notes", pa.table({
    ...     "as_of": pa.array([date(2024, 5, 1), date(2024, 6, 1)]),
    ...     "estimator": ["gamma_gamma", "shrinkage"],
    ...     "message": ["old", "GammaGamma: q = 1.01 <= 1, mean spend is infinite."]}))
    >>> latest_fit_notes(ws)
    FitNotes(as_of=datetime.date(2024, 6, 1), estimator='shrinkage', \
messages=['GammaGamma: q = 1.01 <= 1, mean spend is infinite.'])
    """
    as_of = _latest(ws, "risk_scores") or _latest(ws, FIT_NOTES_TABLE)
    if as_of is None:
        return None
    estimator, messages = None, []
    if ws.has_table(FIT_NOTES_TABLE):
        table = ws.table(FIT_NOTES_TABLE)
        notes = table.filter(table.as_of.cast("date") == as_of).to_pandas()
        if "message" in notes:
            messages = [str(m) for m in dict.fromkeys(notes["message"].dropna()) if str(m)]
        if "estimator" in notes and notes["estimator"].notna().any():
            estimator = str(notes["estimator"].dropna().iloc[0])
    if estimator is None and ws.has_table("risk_scores"):
        estimator = _score_estimator(ws, as_of)
    return FitNotes(as_of=as_of, estimator=estimator, messages=messages)


def _latest(ws: Any, name: str) -> date | None:
    if not ws.has_table(name) or "as_of" not in ws.table(name).columns:
        return None
    value = ws.table(name).as_of.max().execute()
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _score_estimator(ws: Any, as_of: date) -> str | None:
    table = ws.table("risk_scores")
    if "spend_estimator" not in table.columns:
        return None
    rows = table.filter(table.as_of.cast("date") == as_of, table.spend_estimator.notnull())
    found = rows.select("spend_estimator").limit(1).to_pandas()["spend_estimator"]
    return None if found.empty else str(found.iloc[0])
