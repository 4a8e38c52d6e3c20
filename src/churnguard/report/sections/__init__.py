"""Sections of the demo report. Each module has ``build(ws, as_of) -> Section | None``;
``None`` means the data the section needs is absent. Order here is the order in the report."""

from __future__ import annotations

import importlib
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from churnguard.report.document import Section
    from churnguard.workspace import Workspace

DEMO_SECTIONS: list[str] = [
    "churnguard.report.sections.overview",
    "churnguard.report.sections.retention",
    "churnguard.report.sections.risk",
    "churnguard.report.sections.reasons",
    "churnguard.report.sections.value",
]


def build_sections(ws: Workspace, as_of: date) -> list[Section]:
    """Build every demo section that has the data it needs."""
    sections = []
    for name in DEMO_SECTIONS:
        section = importlib.import_module(name).build(ws, as_of)
        if section is not None:
            sections.append(section)
    return sections
