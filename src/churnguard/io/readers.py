"""Read a source (CSV, xlsx, Parquet, DataFrame, SQL query) into a pandas DataFrame of raw values.

Files are read with every cell as text so that validation can quote the value a user typed.
Row numbers follow what a spreadsheet shows: the header is row 1, the first record row 2.
"""

from __future__ import annotations

import io as _io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from churnguard.errors import DataImportError

CSV_ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass(frozen=True)
class SqlSource:
    """A query against any SQLAlchemy URL, e.g. ``SqlSource("sqlite:///erp.db", "SELECT …")``."""

    url: str
    query: str


@dataclass
class RawSource:
    """What a reader returns: the raw frame, a name for messages, the row number of row 0."""

    frame: pd.DataFrame
    name: str
    first_row: int
    typed: bool = False


def read_source(
    source: Any, *, sheet: str | int | None = None, encoding: str | None = None
) -> RawSource:
    """Read ``source`` into a :class:`RawSource`.

    Examples
    --------
    >>> raw = read_source(pd.DataFrame({"customer_id": ["c1"]}))
    >>> raw.name, raw.first_row
    ('DataFrame', 1)
    """
    if isinstance(source, pd.DataFrame):
        return RawSource(source.reset_index(drop=True), "DataFrame", 1, typed=True)
    if type(source).__module__.startswith("polars"):
        return RawSource(source.to_pandas(), "DataFrame", 1, typed=True)
    if isinstance(source, SqlSource):
        return _read_sql(source)
    if isinstance(source, tuple) and len(source) == 2:
        return _read_sql(SqlSource(*source))
    path = Path(source)
    if not path.exists():
        raise DataImportError(f"{path}: file not found. Check the path and retry.")
    if path.is_dir():
        raise DataImportError(f"{path}: is a folder, not a file.")
    if path.stat().st_size == 0:
        raise DataImportError(f"{path}: the file is empty. Export it again with a header row.")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        frame = _read_excel(path, sheet)
    elif suffix in (".parquet", ".pq"):
        return RawSource(pd.read_parquet(path), path.name, 1, typed=True)
    elif suffix in (".csv", ".txt", ".tsv", ""):
        frame = _read_csv(path, encoding, sep="\t" if suffix == ".tsv" else ",")
    else:
        raise DataImportError(
            f"{path}: unsupported file type {suffix!r}. Use .csv, .xlsx or .parquet."
        )
    if frame.empty:
        raise DataImportError(f"{path}: the file has a header but no rows.")
    return RawSource(frame, path.name, 2)


def _read_csv(path: Path, encoding: str | None, sep: str) -> pd.DataFrame:
    data = path.read_bytes()
    encodings = (encoding,) if encoding else CSV_ENCODINGS
    for enc in encodings:
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        if not text.strip():
            raise DataImportError(f"{path}: the file is empty. Export it again with a header row.")
        return _parse_csv_text(text.lstrip("\ufeff"), sep, path)
    tried = ", ".join(encodings)
    raise DataImportError(
        f"{path}: cannot decode the file as {tried}. Save it as UTF-8 or pass --encoding "
        f"(e.g. --encoding gbk)."
    )


def _parse_csv_text(text: str, sep: str, path: Path) -> pd.DataFrame:
    """Every cell as an Arrow-backed string (blank → null), parsed by Arrow's CSV reader."""
    data = text.encode("utf-8")
    parse = pacsv.ParseOptions(delimiter=sep)
    try:
        names = pacsv.open_csv(_io.BytesIO(data), parse_options=parse).schema.names
        table = pacsv.read_csv(
            _io.BytesIO(data),
            parse_options=parse,
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except pa.ArrowInvalid as exc:
        raise DataImportError(f"{path}: not a well-formed CSV file ({exc}).") from None
    return table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)


def _read_excel(path: Path, sheet: str | int | None) -> pd.DataFrame:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise DataImportError(f"{path}: not a readable Excel workbook ({exc}).") from None
    names = book.sheetnames
    book.close()
    if sheet is None:
        chosen: str | int = 0
    elif isinstance(sheet, int) or (isinstance(sheet, str) and sheet.isdigit()):
        index = int(sheet)
        if index >= len(names):
            raise DataImportError(f"{path}: no sheet number {index}; the workbook has "
                                  f"{len(names)} sheet(s): {', '.join(names)}.")
        chosen = index
    elif sheet not in names:
        raise DataImportError(f"{path}: no sheet named {sheet!r}. Sheets: {', '.join(names)}. "
                              f"Pass one with --sheet.")
    else:
        chosen = sheet
    frame = pd.read_excel(path, sheet_name=chosen, dtype=object, engine="openpyxl")
    return frame.map(_excel_cell_to_text)


def _excel_cell_to_text(value: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp) or hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_sql(source: SqlSource) -> RawSource:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(source.url)
        with engine.connect() as conn:
            frame = pd.read_sql_query(sa.text(source.query), conn)
    except Exception as exc:
        raise DataImportError(f"query on {source.url}: {exc.__class__.__name__}: {exc}") from None
    finally:
        if "engine" in locals():
            engine.dispose()
    return RawSource(frame, f"query on {source.url}", 1, typed=True)
