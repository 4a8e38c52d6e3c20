"""Service goals (法则二: quantified service goals) and their progress.

A manager sets a target for any loyalty KPI ("retention_rate ≥ 0.92", "churn_rate ≤ 0.03").
Targets live in ``goals.json`` in the workspace folder (the dashboard writes it); a ``[goals]``
section in ``churnguard.toml`` gives defaults. Progress compares the month's KPI with its target.

Examples
--------
>>> [g.met for g in goal_progress({"churn_rate": 0.05}, {"churn_rate": 0.04})]
[True]
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from churnguard.errors import ConfigError

if TYPE_CHECKING:
    from churnguard.workspace import Workspace

GOALS_FILE = "goals.json"
LOWER_IS_BETTER = frozenset({"churn_rate", "revenue_churn_rate", "churned_customers"})


@dataclass(frozen=True)
class GoalProgress:
    """A KPI target and how far the month got."""

    kpi: str
    target: float
    actual: float | None

    @property
    def lower_is_better(self) -> bool:
        return self.kpi in LOWER_IS_BETTER

    @property
    def met(self) -> bool | None:
        if self.actual is None:
            return None
        if self.lower_is_better:
            return self.actual <= self.target
        return self.actual >= self.target

    @property
    def progress(self) -> float | None:
        """Share of the target reached, 0–1 (1 when met).

        Examples
        --------
        >>> GoalProgress("retention_rate", 0.9, 0.45).progress
        0.5
        """
        if self.actual is None:
            return None
        if self.met:
            return 1.0
        if self.lower_is_better:
            return max(0.0, self.target / self.actual) if self.actual else 1.0
        return max(0.0, self.actual / self.target) if self.target else 1.0


def load_goals(ws: Workspace) -> dict[str, float]:
    """KPI → target: the toml's ``[goals]`` overlaid by ``goals.json``."""
    goals = {k: float(v) for k, v in ws.settings.section("goals").items()}
    path = Path(ws.folder) / GOALS_FILE
    if path.exists():
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: not valid JSON ({exc}). Fix or delete the file.") from None
        goals.update({k: float(v) for k, v in stored.items()})
    return goals


def save_goals(ws: Workspace, goals: dict[str, float | None]) -> dict[str, float]:
    """Store targets (a None or empty target removes that goal); returns what is stored.

    Examples
    --------
    >>> import tempfile
    >>> from churnguard import Workspace
    >>> ws = Workspace.create(tempfile.mkdtemp() + "/w")
    >>> save_goals(ws, {"retention_rate": 0.9, "churn_rate": None})
    {'retention_rate': 0.9}
    """
    path = Path(ws.folder) / GOALS_FILE
    stored = {k: float(v) for k, v in goals.items() if v is not None and v == v}
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(stored, indent=2, sort_keys=True), encoding="utf-8")
    partial.replace(path)
    return stored


def goal_progress(goals: dict[str, float], actual: dict[str, float | None]) -> list[GoalProgress]:
    """One :class:`GoalProgress` per goal, in the goals' order."""
    return [GoalProgress(kpi, target, actual.get(kpi)) for kpi, target in goals.items()]
