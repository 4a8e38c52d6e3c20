"""Validate a source and load it into the warehouse: atomic, idempotent, with row-level errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd

from churnguard.errors import DataImportError, SchemaError
from churnguard.io.dates import DateOrder
from churnguard.io.interactions import interaction_defaults
from churnguard.io.normalise import Problem, rename_columns
from churnguard.io.numbers import Decimal
from churnguard.io.readers import RawSource, read_source
from churnguard.io.schema import TableSpec, table_spec
from churnguard.io.validate import duplicate_keys, missing_columns, parse_frame, unknown_customers
from churnguard.warehouse import to_canonical_arrow

if TYPE_CHECKING:
    from churnguard.workspace import Workspace

MAX_LISTED_PROBLEMS = 20


@dataclass
class LoadResult:
    """What a load did."""

    table: str
    source: str
    rows_read: int
    inserted: int
    updated: int
    rejected: int = 0
    quarantine_path: Path | None = None
    unchanged: int = 0
    """Rows of the source identical to the stored ones (counted in ``updated`` too)."""
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What the summary should say besides the counts (ids read from ``17850.0``…)."""


def load_table(
    ws: Workspace,
    table: str,
    source: Any,
    *,
    mapping: Mapping[str, str] | None = None,
    quarantine: bool | str | Path = False,
    sheet: str | int | None = None,
    encoding: str | None = None,
    save_mapping: bool = False,
    decimal: Decimal | None = None,
    date_order: DateOrder | None = None,
    compute: Iterable[str] | None = None,
    cancel_prefix: str | None = None,
) -> LoadResult:
    """Load ``source`` into canonical ``table`` of ``ws``.

    Parameters
    ----------
    ws
        The workspace.
    table
        A canonical table name (``customers``, ``orders``, ``interactions``…).
    source
        A file path (CSV in UTF-8/GBK, xlsx, Parquet), a pandas/polars DataFrame, or a
        :class:`~churnguard.io.readers.SqlSource`.
    mapping
        Canonical column → source column, e.g. ``{"amount": "销售额"}``. When omitted, a
        mapping saved in the workspace for this table is used.
    quarantine
        False (default): any bad row rejects the whole source and nothing is written. True or
        a path: good rows are loaded and bad rows written to a CSV with a ``reason`` column.
    sheet, encoding
        Excel sheet name/number; CSV encoding (detected: UTF-8, UTF-8 with BOM, GBK/GB18030).
    save_mapping
        Remember ``mapping`` in ``churnguard.toml`` for later loads of this table.
    decimal
        ``"."`` or ``","``: the decimal mark of number columns whose cells do not show it
        (``1,234`` alone). Columns that show it (``12,5``, ``1,234.50``) decide for themselves.
    date_order
        ``"dayfirst"`` or ``"monthfirst"`` for dates such as ``05/03/2024`` when nothing in the
        column decides.
    compute, cancel_prefix
        ``NAME=EXPR`` columns computed from the source, and the order-id prefix of
        cancellations: see :func:`churnguard.io.order_lines.load_order_lines`, which loads
        table ``order_lines`` (``compute`` also works for other tables).

    Rows already in the table keep the columns the source does not carry: a customers file
    with only ``customer_id,name`` renames customers and leaves their owner, segment and dates
    as they were.

    Raises
    ------
    DataImportError
        The source cannot be read, or has bad rows and ``quarantine`` is off. The message
        lists each problem with file, row, column and value.
    """
    if table in ("order_lines", "order-lines"):
        from churnguard.io.order_lines import load_order_lines

        return load_order_lines(ws, source, mapping=mapping, compute=compute,
                                cancel_prefix=cancel_prefix, quarantine=quarantine, sheet=sheet,
                                encoding=encoding, save_mapping=save_mapping, decimal=decimal,
                                date_order=date_order)
    if cancel_prefix:
        raise SchemaError(f"--cancel-prefix is for order lines, not {table}. Import the file "
                          "with `churnguard import order-lines`.")
    spec = table_spec(table)
    if mapping is None:
        mapping = ws.settings.mappings.get(table)
    raw = read_source(source, sheet=sheet, encoding=encoding)
    if compute:
        raw.frame = _with_computed(raw, compute, decimal)
    try:
        frame = rename_columns(raw.frame, spec, mapping)
    except SchemaError as exc:
        raise SchemaError(f"{raw.name}: {exc}") from None
    notes: list[str] = []
    if table == "interactions":
        frame = interaction_defaults(frame, notes)
    missing = missing_columns(frame, spec)
    if missing:  # quarantine loads good rows; it cannot supply a column
        raise DataImportError(_summary(raw.name, table, missing, quarantine_helps=False),
                              missing)
    row_numbers = raw.row_numbers()
    parsed, bad, problems, refused = parse_frame(frame, spec, row_numbers, decimal=decimal,
                                                 date_order=date_order, notes=notes)
    if refused:
        raise DataImportError(_summary(raw.name, table, refused, quarantine_helps=False),
                              refused)
    dup, dup_problems = duplicate_keys(parsed, spec, row_numbers)
    bad |= dup
    problems += dup_problems
    if spec.customer_ref:
        known = _known_customers(ws)
        unknown, fk_problems = unknown_customers(parsed, spec, known, row_numbers)
        bad |= unknown
        problems += fk_problems
    problems.sort(key=lambda p: (p.row or 0, spec.column_names.index(p.column)
                                 if p.column in spec.column_names else 99))
    quarantine_path = None
    if problems and not quarantine:
        raise DataImportError(_summary(raw.name, table, problems), problems)
    if problems:
        quarantine_path = _write_quarantine(ws, table, raw.frame, bad, problems, row_numbers,
                                            quarantine)
    good = _keep_absent_columns(ws, spec, parsed[~bad])
    counts = ws.warehouse.upsert(table, to_canonical_arrow(good, spec), key=spec.key)
    if save_mapping and mapping:
        _save_mapping(ws, table, mapping)
    return LoadResult(
        table=table,
        source=raw.name,
        rows_read=len(frame),
        inserted=counts["inserted"],
        updated=counts["updated"],
        unchanged=counts.get("unchanged", 0),
        rejected=int(bad.sum()),
        quarantine_path=quarantine_path,
        problems=problems,
        notes=notes,
    )


def _with_computed(raw: RawSource, compute: Iterable[str],
                   decimal: Decimal | None) -> pd.DataFrame:
    from churnguard.io.compute import computed_columns, parse_compute

    headers = [str(c) for c in raw.frame.columns]
    expressions = [parse_compute(item, headers) for item in compute]
    frame, problems = computed_columns(raw.frame, expressions, raw.row_numbers(), decimal,
                                       raw.name)
    if problems:
        raise DataImportError(_summary(raw.name, "the computed columns", problems,
                                       quarantine_helps=False), problems)
    return frame


def _known_customers(ws: Workspace) -> pd.Series:
    if not ws.has_table("customers"):
        return pd.Series([], dtype=object)
    ids = ws.warehouse.read_arrow("customers").column("customer_id")
    return pd.Series(ids.to_pylist(), dtype=object)


def _keep_absent_columns(ws: Workspace, spec: TableSpec, rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with the columns the source lacks taken from the rows already stored under
    the same key (null for new rows)."""
    absent = [c for c in spec.column_names if c not in rows.columns]
    if not absent or rows.empty or not ws.has_table(spec.name):
        return rows
    key = list(spec.key)
    keys = ibis.memtable(to_canonical_arrow(rows[key], spec).select(key))
    stored = ws.warehouse.table(spec.name)
    kept = stored.semi_join(keys, key).select(*key, *absent).to_pandas()
    if kept.empty:
        return rows
    merged = rows.reset_index().merge(kept, on=key, how="left", validate="many_to_one")
    return merged.set_index("index").loc[rows.index]


def _summary(source: str, table: str, problems: list[Problem], *,
             quarantine_helps: bool = True) -> str:
    lines = [p.describe(source) for p in problems[:MAX_LISTED_PROBLEMS]]
    more = len(problems) - len(lines)
    tail = f"\n… and {more:,} more." if more > 0 else ""
    fix = ("Fix them, or pass --quarantine to load the good rows." if quarantine_helps
           else "Fix them and retry.")
    head = f"{source}: {len(problems):,} problem(s); nothing was loaded into {table}. {fix}\n"
    return head + "\n".join(lines) + tail


def _write_quarantine(
    ws: Workspace,
    table: str,
    raw: pd.DataFrame,
    bad: pd.Series,
    problems: list[Problem],
    row_numbers: pd.Series,
    target: bool | str | Path,
) -> Path:
    if isinstance(target, str | Path) and not isinstance(target, bool):
        path = Path(target)
    else:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = ws.folder / "quarantine" / f"{table}-{stamp}.csv"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            raise IsADirectoryError(path)
        _rejected_rows(raw, bad, problems, row_numbers).to_csv(path, index=False,
                                                             encoding="utf-8-sig")
    except OSError as exc:
        blocked = next((p for p in (path.parent, *path.parent.parents) if p.is_file()), None)
        why = (f"{blocked} is a file where a folder should be" if blocked is not None
               else path.is_dir() and "a folder has that name" or exc.strerror or str(exc))
        raise DataImportError(
            f"{path}: cannot write the rejected rows there ({why}); nothing was loaded into "
            f"{table}. Move what is in the way or pass another quarantine path."
        ) from None
    return path


def _rejected_rows(raw: pd.DataFrame, bad: pd.Series, problems: list[Problem],
                   row_numbers: pd.Series) -> pd.DataFrame:
    reasons: dict[int, list[str]] = {}
    for p in problems:
        if p.row is not None:
            reasons.setdefault(p.row, []).append(f"{p.column} {p.message}")
    rejected = raw.loc[bad.to_numpy()].copy()
    rows = row_numbers[bad]
    rejected.insert(0, "row", rows.to_numpy())
    rejected["reason"] = ["; ".join(reasons.get(int(r), [])) for r in rows]
    return rejected


def _save_mapping(ws: Workspace, table: str, mapping: Mapping[str, str]) -> None:
    path = ws.folder / "churnguard.toml"
    lines = [f"\n[mappings.{table}]"]
    lines += [f'{canonical} = "{source}"' for canonical, source in mapping.items()]
    text = path.read_text(encoding="utf-8")
    if f"[mappings.{table}]" in text:
        raise DataImportError(f"{path}: a mapping for {table} is saved already; edit the "
                              f"[mappings.{table}] section by hand to change it.")
    path.write_text(text + "\n".join(lines) + "\n", encoding="utf-8")
    ws.settings.mappings[table] = dict(mapping)
