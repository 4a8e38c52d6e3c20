"""Configured data sources (``[sources.<name>]`` in churnguard.toml) that ``churnguard refresh``
imports every day.

A source is either a file glob or a SQL query::

    [sources.erp_orders]
    table = "orders"
    files = "incoming/orders-*.csv"     # relative to the workspace folder
    mapping = { amount = "销售额" }       # optional; else the mapping saved for the table
    options = { date_order = "dayfirst" } # optional: options of Workspace.load

    [sources.crm_customers]
    table = "customers"
    url = "postgresql://erp@db/erp"
    query = "SELECT id AS customer_id, name FROM clients"

A file already imported (same name, size and SHA-256) is skipped, so a refresh run twice loads
nothing new; a query is read again each time (loads are upserts by key: nothing changes twice).
What was imported is kept in the warehouse table ``source_files`` and is published with the data.

Examples
--------
>>> parse_sources({"erp": {"table": "orders", "files": "in/*.csv"}})[0].files
'in/*.csv'
"""

from __future__ import annotations

import glob
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from churnguard.errors import ConfigError
from churnguard.io.readers import SqlSource
from churnguard.io.schema import TABLES

SOURCE_FILES_TABLE = "source_files"
LOAD_OPTIONS = ("sheet", "encoding", "decimal", "date_order", "compute", "cancel_prefix",
                "quarantine")


@dataclass(frozen=True)
class Source:
    """One ``[sources.<name>]`` entry."""

    name: str
    table: str
    files: str | None = None
    url: str | None = None
    query: str | None = None
    mapping: dict[str, str] | None = None
    options: dict[str, Any] = field(default_factory=dict)


def parse_sources(section: dict[str, Any]) -> list[Source]:
    """The sources of a ``[sources]`` section, checked, in the order tables must load
    (customers before the tables that point at them)."""
    found = []
    for name, entry in section.items():
        where = f"churnguard.toml [sources.{name}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a table with table = and files = or query =.")
        table = str(entry.get("table", ""))
        table = "order_lines" if table == "order-lines" else table
        if table not in TABLES:
            raise ConfigError(f"{where}: table = {table!r} is not one of {', '.join(TABLES)}.")
        has_files, has_query = bool(entry.get("files")), bool(entry.get("query"))
        if has_files == has_query:
            raise ConfigError(f"{where}: give either files = \"glob\" or url = and query =.")
        if has_query and not entry.get("url"):
            raise ConfigError(f"{where}: query = needs url = (a SQLAlchemy URL).")
        options = dict(entry.get("options") or {})
        unknown = sorted(set(options) - set(LOAD_OPTIONS))
        if unknown:
            raise ConfigError(f"{where}: options {', '.join(unknown)} are not known; use "
                              f"{', '.join(LOAD_OPTIONS)}.")
        found.append(Source(name=name, table=table, files=entry.get("files"),
                            url=entry.get("url"), query=entry.get("query"),
                            mapping=entry.get("mapping") or None, options=options))
    order = {name: i for i, name in enumerate(TABLES)}
    return sorted(found, key=lambda s: (0 if s.table in ("customers", "staff") else 1,
                                        order[s.table]))


def pending_inputs(ws: Any, source: Source) -> list[tuple[Any, dict[str, Any] | None]]:
    """What to load for ``source``: ``(input, file record)`` pairs — new files (sorted by
    name) with the record to keep, or the query with None."""
    if source.query:
        return [(SqlSource(source.url or "", source.query), None)]
    pattern = source.files or ""
    full = pattern if Path(pattern).is_absolute() else str(Path(ws.folder) / pattern)
    seen = imported_files(ws)
    pending = []
    for path in sorted(Path(p) for p in glob.glob(full)):
        if not path.is_file():
            continue
        record = {"source": source.name, "file": str(path.resolve()),
                  "size": path.stat().st_size, "sha256": _sha256(path)}
        if (record["source"], record["file"], record["sha256"]) not in seen:
            pending.append((path, record))
    return pending


def imported_files(ws: Any) -> set[tuple[str, str, str]]:
    """``(source, file, sha256)`` of every file imported so far."""
    if not ws.has_table(SOURCE_FILES_TABLE):
        return set()
    frame = ws.table(SOURCE_FILES_TABLE).select("source", "file", "sha256").to_pyarrow()
    return set(zip(*(frame[c].to_pylist() for c in ("source", "file", "sha256")), strict=True))


def record_files(ws: Any, records: list[dict[str, Any]]) -> None:
    """Remember ``records`` (one per imported file) in ``source_files``."""
    if not records:
        return
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = pa.table({
        "source": [r["source"] for r in records], "file": [r["file"] for r in records],
        "size": pa.array([r["size"] for r in records], pa.int64()),
        "sha256": [r["sha256"] for r in records],
        "rows": pa.array([r.get("rows", 0) for r in records], pa.int64()),
        "imported_at": pa.array([now] * len(records), pa.timestamp("us")),
    })
    ws.warehouse.upsert(SOURCE_FILES_TABLE, rows, key=["source", "file", "sha256"])


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
