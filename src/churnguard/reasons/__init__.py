"""Why customers leave: taxonomy, reasons read from text, surveys and the reason Pareto."""

from __future__ import annotations
