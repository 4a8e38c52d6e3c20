"""Turn raw source columns into the canonical names and types, collecting every bad cell.

Parsing is vectorised over whole columns and decided per column: numbers in
:mod:`churnguard.io.numbers` (``¥1,234.50``, ``(12.00)``, ``12,5``; finite and in range), dates
in :mod:`churnguard.io.dates` (``2024-03-05``, ``2024年3月5日``, ``05/03/2024`` with the order
decided by the column). Text loses surrounding blanks and invisible characters (a byte-order
mark before an id never makes a second customer).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from churnguard.errors import SchemaError
from churnguard.io.cells import Parsed, as_text, clean_text, empty_mask, matches, messages_where
from churnguard.io.dates import DateOrder, parse_dates
from churnguard.io.numbers import Decimal, NumberCells, parse_numbers
from churnguard.io.schema import Column, TableSpec

__all__ = ["HEADER_ALIASES", "Problem", "as_text", "empty_mask", "parse_column",
           "rename_columns"]

# Headers that Chinese and English exports commonly use for canonical columns.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "customer_id": ("客户编号", "客户id", "客户代码", "会员编号", "customer", "customerid",
                    "client_id"),
    "name": ("客户名称", "名称", "姓名", "customer_name"),
    "segment": ("客户类型", "细分", "客户分类"),
    "region": ("地区", "区域", "省份"),
    "channel": ("渠道",),
    "signup_date": ("注册日期", "开户日期", "签约日期"),
    "birthday": ("生日", "出生日期"),
    "owner_id": ("客户经理", "负责人", "业务员", "account_owner"),
    "contract_end": ("合同到期日", "合同结束日期"),
    "order_id": ("订单号", "订单编号", "单号"),
    "order_date": ("下单时间", "下单日期", "订单日期", "日期", "date"),
    "amount": ("销售额", "金额", "订单金额", "实收金额", "revenue"),
    "cost": ("成本",),
    "quantity": ("数量", "qty"),
    "product": ("产品", "商品", "商品名称"),
    "category": ("品类", "类别"),
    "due_date": ("应付日期", "账期到期日"),
    "paid_date": ("付款日期", "回款日期"),
    "interaction_id": ("记录编号",),
    "ts": ("时间", "timestamp", "date", "日期", "投诉时间", "联系时间", "datetime"),
    "kind": ("类型", "类别", "type"),
    "text": ("内容", "投诉内容", "备注"),
    "score": ("评分", "满意度"),
    "resolved_at": ("解决时间",),
    "reason": ("原因", "流失原因"),
}


@dataclass(frozen=True)
class Problem:
    """One bad cell (or a whole-column problem when ``row`` is None)."""

    row: int | None
    column: str
    value: object
    message: str

    def describe(self, source: str) -> str:
        where = f"{source} row {self.row:,}" if self.row is not None else source
        text, size = str(self.value), ""
        if len(text) > 60:
            text, size = f"{text[:40]}…{text[-10:]}", f" ({len(text):,} characters)"
        shown = "" if self.value is None else f": {text!r}{size}"
        return f"{where}, column {self.column}{shown} {self.message}"


def rename_columns(
    frame: pd.DataFrame, spec: TableSpec, mapping: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Rename source headers to canonical names.

    ``mapping`` maps canonical name → source header (``{"amount": "销售额"}``). Headers that
    already are canonical names, or a known alias, are picked up without a mapping. A mapping
    that would leave two columns with one name is refused, never resolved by guessing.

    Examples
    --------
    >>> from churnguard.io.schema import table_spec
    >>> frame = pd.DataFrame({"编号": ["c1"], "客户名称": ["恒信"]})
    >>> rename_columns(frame, table_spec("customers"), {"customer_id": "编号"}).columns.tolist()
    ['customer_id', 'name']
    """
    mapping = dict(mapping or {})
    unknown = [name for name in mapping if name not in spec.column_names]
    if unknown:
        raise SchemaError(
            f"--map names {', '.join(unknown)}, not columns of {spec.name}. "
            f"Columns: {', '.join(spec.column_names)}."
        )
    headers = [str(col) for col in frame.columns]
    _refuse_repeated(headers, "the source has")
    missing_sources = [src for src in mapping.values() if src not in headers]
    if missing_sources:
        raise SchemaError(
            f"--map refers to {', '.join(map(repr, missing_sources))}, not in the source. "
            f"Source columns: {', '.join(headers)}."
        )
    by_source: dict[str, list[str]] = {}
    for canonical, src in mapping.items():
        by_source.setdefault(src, []).append(canonical)
    for src, names in by_source.items():
        if len(names) > 1:
            raise SchemaError(
                f"--map {' and --map '.join(f'{n}={src}' for n in names)} use the same source "
                f"column {src!r}; map each source column to one column."
            )
    renames = {src: canonical for canonical, src in mapping.items()}
    for canonical, src in mapping.items():
        if canonical in headers and canonical != src and canonical not in renames:
            raise SchemaError(
                f"--map {canonical}={src}: the source also has a column named {canonical!r}. "
                f"Map that one elsewhere (e.g. --map <column>={canonical}) or remove it from "
                f"the file."
            )
    lowered: dict[str, str] = {}
    for col in headers:
        lowered.setdefault(col.strip().lower(), col)
    for canonical in spec.column_names:
        if canonical in renames.values():
            continue
        for candidate in (canonical, *HEADER_ALIASES.get(canonical, ())):
            col = lowered.get(candidate.lower())
            if col is not None and col not in renames:
                renames[col] = canonical
                break
    out = frame.set_axis(headers, axis=1).rename(columns=renames)
    _refuse_repeated([str(c) for c in out.columns], "after renaming, the source has")
    return out


def _refuse_repeated(headers: list[str], where: str) -> None:
    seen: dict[str, int] = {}
    for position, name in enumerate(headers, start=1):
        if name in seen:
            raise SchemaError(
                f"{where} two columns named {name!r} (columns {seen[name]} and {position}). "
                f"Rename or remove one, or say which to use with --map."
            )
        seen[name] = position


_CONTROLS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_CONTROLS_IN_IDS = r"[\x00-\x1f\x7f]"


_INTEGRAL_FLOAT = r"^-?\d+\.0+$"


def _integral_ids(text: pa.Array, blank: pd.Series, parsed: Parsed,
                  index: pd.Index) -> tuple[pa.Array, Parsed]:
    """Ids that a spreadsheet or a number-typed column wrote as ``17850.0``: when every id of
    the column ends in ``.0``, the ``.0`` goes (``17850``), and the summary says so."""
    present = ~blank.to_numpy()
    if not present.any() or not pc.any(pc.match_substring(text, ".0")).as_py():
        return text, parsed
    integral = matches(text, _INTEGRAL_FLOAT, present)
    if not integral[present].all():
        return text, parsed
    text = pc.replace_substring_regex(text, r"\.0+$", "")
    values = pd.Series(pd.array(text.cast(pa.string()), dtype=pd.StringDtype("pyarrow")),
                       index=index).mask(blank)
    shown = parsed.values[present].iloc[0]
    fixed = Parsed.clean(values)
    fixed.note = (f"ids written as numbers ({shown!r}) were read as {values[present].iloc[0]!r} "
                  f"({int(present.sum()):,} rows).")
    return text, fixed


def parse_column(series: pd.Series, column: Column, *, decimal: Decimal | None = None,
                 date_order: DateOrder | None = None,
                 row_numbers: pd.Series | None = None,
                 number_cells: NumberCells | None = None) -> Parsed:
    """Parse ``series`` as ``column.type``; bad cells and a column refusal come back with it.

    Examples
    --------
    >>> from churnguard.io.schema import table_spec
    >>> ids = parse_column(pd.Series([" \\ufeffc1"]), table_spec("customers").column("customer_id"))
    >>> ids.values.tolist()
    ['c1']
    """
    blank = empty_mask(series)
    if column.type == "string":
        text = clean_text(series)
        values = pd.Series(pd.array(text.cast(pa.string()), dtype=pd.StringDtype("pyarrow")),
                           index=series.index).mask(blank)
        parsed = Parsed.clean(values)
        if column.name.endswith("_id"):
            text, parsed = _integral_ids(text, blank, parsed, series.index)
        controls = _CONTROLS_IN_IDS if column.name.endswith("_id") else _CONTROLS
        bad = matches(text, controls, ~blank.to_numpy())
        if bad.any():
            where = "an id" if column.name.endswith("_id") else "text"
            parsed.bad = pd.Series(bad, index=series.index)
            parsed.messages = messages_where(series.index, [(bad, (
                f"holds a control character, which {where} cannot contain. Remove it (the "
                "file may be damaged)."))])
        return parsed
    if column.type in ("float64", "int64"):
        parsed = parse_numbers(series, decimal=decimal, row_numbers=row_numbers,
                               high=column.high, cells=number_cells)
    elif column.type in ("timestamp", "date"):
        parsed = parse_dates(series, date_order=date_order, row_numbers=row_numbers)
        if column.type == "date":
            parsed.values = parsed.values.dt.normalize()
    else:  # pragma: no cover - the schema only uses the types above
        raise AssertionError(column.type)
    parsed.bad = parsed.bad & ~blank
    return parsed
