"""Workflow settings from the workspace toml: ``[workflow]`` and ``[playbooks]``.

Examples
--------
>>> policy = WorkflowPolicy.from_section({"contact_cap_days": 7})
>>> policy.contact_cap_days, policy.response_hours["critical"]
(7, 4)
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from churnguard.errors import ConfigError

DEFAULT_RESPONSE_HOURS = {"critical": 4, "high": 24, "medium": 48, "low": 120}


@dataclass(frozen=True)
class WorkflowPolicy:
    """Rules of the workflow (``[workflow]`` in ``churnguard.toml``).

    Attributes
    ----------
    response_hours
        Hours to the first response of a complaint, by severity (投诉响应时限).
    case_threshold
        ``p_churn`` at or above which sync opens a risk case.
    recovered_below
        ``p_churn`` below which a case in ``saving`` is closed as recovered by sync.
    contact_cap_touches, contact_cap_days
        At most this many outreach touches per customer in this many days (contact pressure).
    care_days_ahead
        How far ahead care events are generated.
    complaint_lookback_days
        Unresolved warehouse complaints newer than this are brought into the workflow by sync.
    """

    response_hours: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_RESPONSE_HOURS))
    case_threshold: float = 0.5
    recovered_below: float = 0.3
    contact_cap_touches: int = 1
    contact_cap_days: int = 14
    care_days_ahead: int = 60
    complaint_lookback_days: int = 30

    @classmethod
    def from_section(cls, section: dict[str, Any]) -> WorkflowPolicy:
        """Build from the ``[workflow]`` toml section; unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = set(section) - known
        if unknown:
            raise ConfigError(f"[workflow] has unknown setting(s) {', '.join(sorted(unknown))}; "
                              f"known: {', '.join(sorted(known))}.")
        values = dict(section)
        if "response_hours" in values:
            values["response_hours"] = {**DEFAULT_RESPONSE_HOURS, **values["response_hours"]}
        return cls(**values)

    @classmethod
    def of(cls, ws: Any) -> WorkflowPolicy:
        """The policy of workspace ``ws`` (defaults without a ``[workflow]`` section)."""
        return cls.from_section(ws.settings.section("workflow")) if ws is not None else cls()
