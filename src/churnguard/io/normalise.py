"""Turn raw source columns into the canonical names and types, collecting every bad cell.

Parsing is vectorised over whole columns. Dates accept ISO (``2024-03-05``, with a time too),
``2024/3/5``, ``2024.3.5``, ``2024年3月5日`` and Excel serial numbers; amounts accept thousands
separators, currency signs and ``元`` (``¥1,234.50``), and ``(12.00)`` for a negative.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from churnguard.errors import SchemaError
from churnguard.io.schema import Column, TableSpec

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
    "ts": ("时间", "timestamp"),
    "kind": ("类型",),
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
        shown = "" if self.value is None else f": {str(self.value)!r}"
        return f"{where}, column {self.column}{shown} {self.message}"


def rename_columns(
    frame: pd.DataFrame, spec: TableSpec, mapping: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Rename source headers to canonical names.

    ``mapping`` maps canonical name → source header (``{"amount": "销售额"}``). Headers that
    already are canonical names, or a known alias, are picked up without a mapping.
    """
    mapping = dict(mapping or {})
    unknown = [name for name in mapping if name not in spec.column_names]
    if unknown:
        raise SchemaError(
            f"--map names {', '.join(unknown)}, not columns of {spec.name}. "
            f"Columns: {', '.join(spec.column_names)}."
        )
    missing_sources = [src for src in mapping.values() if src not in frame.columns]
    if missing_sources:
        raise SchemaError(
            f"--map refers to {', '.join(map(repr, missing_sources))}, not in the source. "
            f"Source columns: {', '.join(map(str, frame.columns))}."
        )
    renames = {src: canonical for canonical, src in mapping.items()}
    lowered = {str(col).strip().lower(): col for col in frame.columns}
    for canonical in spec.column_names:
        if canonical in renames.values():
            continue
        candidates = (canonical, *HEADER_ALIASES.get(canonical, ()))
        for candidate in candidates:
            col = lowered.get(candidate.lower())
            if col is not None and col not in renames:
                renames[col] = canonical
                break
    return frame.rename(columns=renames)


def as_text(series: pd.Series) -> pd.Series:
    """``series`` as Arrow-backed strings (vectorised string kernels)."""
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
        return series
    return series.astype(pd.StringDtype("pyarrow"))


def parse_column(series: pd.Series, column: Column) -> tuple[pd.Series, pd.Series]:
    """Parse ``series`` as ``column.type``. Returns the parsed values and a mask of bad cells
    (present but unparseable)."""
    blank = empty_mask(series)
    if column.type == "string":
        values = as_text(series).str.strip().mask(blank)
        return values, pd.Series(False, index=series.index)
    if column.type in ("float64", "int64"):
        values = parse_amount(series)
    elif column.type in ("timestamp", "date"):
        values = parse_datetime(series)
        if column.type == "date":
            values = values.dt.normalize()
    else:  # pragma: no cover - the schema only uses the types above
        raise AssertionError(column.type)
    bad = values.isna() & ~blank
    return values, bad


_MONEY_NOISE = r"[¥￥$€£,\s元]|RMB|CNY"
_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


def parse_amount(values: pd.Series) -> pd.Series:
    """Numbers from text such as ``¥1,234.50``, ``1 234``, ``(12.00)``, ``-3``.

    Examples
    --------
    >>> parse_amount(pd.Series(["¥1,234.50", "(12)", "x"])).tolist()
    [1234.5, -12.0, nan]
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return pd.to_numeric(values, errors="coerce").astype("float64")
    text = pa.array(as_text(values).str.strip())
    cleaned = pc.replace_substring_regex(text, _MONEY_NOISE, "")
    negative = pc.fill_null(pc.match_substring_regex(cleaned, r"^\(.*\)$"), False)
    cleaned = pc.replace_substring_regex(cleaned, r"^\((.*)\)$", r"\1")
    valid = pc.fill_null(pc.match_substring_regex(cleaned, _NUMBER), False)
    numbers = pc.cast(pc.if_else(valid, cleaned, pa.scalar(None, cleaned.type)), pa.float64())
    numbers = pc.if_else(negative, pc.negate(numbers), numbers)
    return pd.Series(numbers.to_numpy(zero_copy_only=False), index=values.index,
                     dtype="float64")


_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def parse_datetime(values: pd.Series) -> pd.Series:
    """Timestamps from ISO, ``2024/3/5``, ``2024年3月5日``, ``20240305`` or Excel serials.

    Examples
    --------
    >>> days = pd.Series(["2024-03-05", "2024/3/5", "2024年3月5日", "45356"])
    >>> parse_datetime(days).dt.day.tolist()
    [5, 5, 5, 5]
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        out = pd.to_datetime(values)
        out = out.dt.tz_convert(None) if out.dt.tz is not None else out
        return out.astype("datetime64[us]")
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return _from_excel_serial(pd.to_numeric(values, errors="coerce"))
    text = as_text(values).str.strip()
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    missing = parsed.isna() & text.notna()
    if missing.any():
        parsed = parsed.where(~missing, _parse_local_dates(text[missing]))
    return parsed.dt.tz_convert(None).astype("datetime64[us]")


def _parse_local_dates(text: pd.Series) -> pd.Series:
    """The slow path for the few cells that are not ISO: Chinese, slashed, compact, serial."""
    text = (
        text.astype(pd.StringDtype("python"))
        .str.replace("年", "-", regex=False)
        .str.replace("月", "-", regex=False)
        .str.replace(r"[日号]", "", regex=True)
        .str.replace(r"[/.](?=\d)", "-", regex=True)
    )
    compact = text.str.fullmatch(r"\d{8}").fillna(False)
    text = text.where(~compact, text.str.slice(0, 4) + "-" + text.str.slice(4, 6) + "-"
                      + text.str.slice(6, 8))
    parsed = pd.to_datetime(text.astype(object), format="mixed", errors="coerce", utc=True)
    serial = pd.to_numeric(text.where(text.str.fullmatch(r"\d{1,5}(\.\d+)?").fillna(False))
                           .astype(object), errors="coerce")
    from_serial = _from_excel_serial(serial).dt.tz_localize("UTC")
    return parsed.where(parsed.notna(), from_serial)


def _from_excel_serial(numbers: pd.Series) -> pd.Series:
    days = numbers.where(numbers.between(1, 2_958_465)).to_numpy(dtype="float64")
    stamps = _EXCEL_EPOCH + pd.to_timedelta(days, unit="D")
    return pd.Series(stamps, index=numbers.index).astype("datetime64[us]")


def empty_mask(series: pd.Series) -> pd.Series:
    """Cells that are null or blank text."""
    blank = series.isna()
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        stripped = as_text(series).str.strip()
        blank = blank | (stripped == "").fillna(True).astype(bool)
    return blank.astype(bool)
