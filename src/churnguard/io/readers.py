"""Read a source (CSV, xlsx, Parquet, DataFrame, SQL query) into a pandas DataFrame of raw values.

Files are read with every cell as text so that validation can quote the value a user typed.
Row numbers follow what a spreadsheet shows: the header is row 1, the first record row 2.
A file that cannot be read as the user meant is refused with one line naming the file and the
line: one encoding for the whole file (a GBK line inside a UTF-8 file is refused, never turned
into mojibake), quotes that close, the same number of fields on every line, headers that differ.
"""

from __future__ import annotations

import csv
import gzip
import io as _io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from churnguard.errors import DataImportError
from churnguard.io.cells import INVISIBLE, empty_mask, to_bool

CSV_ENCODINGS = ("utf-8-sig", "gb18030")
MAX_NAME_SHOWN = 80


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
    rows: np.ndarray | None = None
    """The row number of each record when they do not follow on (blank lines in a CSV)."""

    def row_numbers(self) -> pd.Series:
        """The row number of each record of :attr:`frame`, as a spreadsheet shows it."""
        numbers = (self.rows if self.rows is not None
                   else np.arange(self.first_row, self.first_row + len(self.frame)))
        return pd.Series(numbers, index=self.frame.index)


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
    name = shown_name(path)
    try:
        _check_file(path, str(path) if len(path.name) <= MAX_NAME_SHOWN else name)
    except OSError as exc:
        raise DataImportError(f"{name}: cannot open the file ({exc.strerror or exc}).") from None
    suffix = path.suffix.lower()
    compressed = suffix == ".gz"
    if compressed:
        suffix = Path(path.stem).suffix.lower()
        if suffix not in (".csv", ".txt", ".tsv"):
            raise DataImportError(f"{name}: only CSV files are read compressed (.csv.gz).")
    typed, rows = False, None
    if suffix in (".xlsx", ".xlsm"):
        frame = _read_excel(path, name, sheet)
    elif suffix in (".parquet", ".pq"):
        frame, typed = _read_parquet(path, name), True
    elif suffix in (".csv", ".txt", ".tsv", ""):
        frame, rows = _read_csv(path, name, encoding, sep="\t" if suffix == ".tsv" else ",",
                                compressed=compressed)
    else:
        raise DataImportError(
            f"{name}: unsupported file type {suffix!r}. Use .csv (or .csv.gz), .xlsx or "
            ".parquet."
        )
    frame = _clean_headers(frame)
    if frame.empty:
        raise DataImportError(f"{name}: the file has a header but no rows.")
    return RawSource(frame, name, 1 if typed else 2, typed=typed, rows=rows)


def shown_name(path: Path) -> str:
    """The file name as messages show it (a very long one is shortened).

    Examples
    --------
    >>> shown_name(Path("data/orders.csv"))
    'orders.csv'
    >>> shown_name(Path("x" * 300 + ".csv"))
    'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx….csv (304 characters)'
    """
    if len(path.name) <= MAX_NAME_SHOWN:
        return path.name
    return f"{path.name[:40]}…{path.suffix} ({len(path.name)} characters)"


def safe_upload_name(filename: str, *, limit: int = 120) -> str:
    """A file name to store an upload under: no folders, no control characters, at most
    ``limit`` characters, the suffix kept (``.csv``, ``.xlsx``…).

    Examples
    --------
    >>> safe_upload_name("../../etc/" + "a" * 300 + ".csv")[-8:]
    'aaaa.csv'
    >>> len(safe_upload_name("a" * 300 + ".csv"))
    120
    """
    name = re.sub(r"[\x00-\x1f\x7f/\\]", "_", filename.replace("\\", "/").rsplit("/", 1)[-1])
    name = name.strip(" .") or "upload"
    suffix = Path(name).suffix[:16]
    stem = name[: len(name) - len(suffix)] if suffix else name
    return stem[: limit - len(suffix)] + suffix


def _check_file(path: Path, name: str) -> None:
    if not path.exists():
        raise DataImportError(f"{name}: file not found. Check the path and retry.")
    if path.is_dir():
        raise DataImportError(f"{name}: is a folder, not a file.")
    if path.stat().st_size == 0:
        raise DataImportError(f"{name}: the file is empty. Export it again with a header row.")


def _clean_headers(frame: pd.DataFrame) -> pd.DataFrame:
    """Headers without surrounding blanks or invisible characters; columns with neither a
    header nor any value (trailing separators) dropped."""
    headers = [re.sub(INVISIBLE, "", str(c)).strip() for c in frame.columns]
    frame = frame.set_axis(headers, axis=1)
    empty = [i for i, h in enumerate(headers) if h == "" and empty_mask(frame.iloc[:, i]).all()]
    if empty:
        frame = frame.iloc[:, [i for i in range(len(headers)) if i not in empty]]
    return frame


# -- CSV ---------------------------------------------------------------------------------------
def _read_csv(path: Path, name: str, encoding: str | None, sep: str, *,
              compressed: bool = False) -> tuple[pd.DataFrame, np.ndarray | None]:
    data = path.read_bytes()
    if compressed:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise DataImportError(f"{name}: not a readable gzip file ({exc}).") from None
    text = _decode(data, name, encoding)
    if not text.strip():
        raise DataImportError(f"{name}: the file is empty. Export it again with a header row.")
    sep = _separator(text, sep)
    _check_quotes(text, sep, name)
    frame = _parse_csv_text(text, sep, name)
    return frame, _rows_around_blank_lines(text, sep, name, len(frame))


def _rows_around_blank_lines(text: str, sep: str, name: str, records: int) -> np.ndarray | None:
    """Row numbers counting the blank lines the CSV reader skips (None when there are none),
    so that a problem names the row a spreadsheet shows."""
    if "\n\n" not in text and "\n\r\n" not in text:
        return None
    lines = list(csv.reader(_io.StringIO(text, newline=""), delimiter=sep))
    filled = [number for number, record in enumerate(lines, start=1) if record]
    if len(filled) != records + 1:
        raise DataImportError(f"{name}: {records:,} rows read but {len(filled) - 1:,} found "
                              "line by line; re-export the file as plain CSV and retry.")
    return np.asarray(filled[1:])


def _separator(text: str, default: str) -> str:
    """The header line's separator: ``;`` (European Excel) or a tab when the header holds more
    of those than of ``default``.

    Examples
    --------
    >>> _separator("order_id;customer_id;amount", ",")
    ';'
    """
    header = text.split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in (default, ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > counts[default] else default


def _decode(data: bytes, name: str, encoding: str | None) -> str:
    """The file's text in one encoding: the one given, else UTF-8, else GB18030 when no line
    is UTF-8. A file whose lines disagree is refused, naming the first odd line."""
    if encoding:
        try:
            return data.decode(encoding).lstrip("\ufeff")
        except LookupError:
            raise DataImportError(f"--encoding {encoding!r} is not an encoding Python knows. "
                                  "Use e.g. utf-8, gbk or gb18030.") from None
        except UnicodeDecodeError as exc:
            raise DataImportError(f"{name} line {_line_of(data, exc.start):,}: not valid "
                                  f"{encoding}. Save the whole file in one encoding, or pass "
                                  "another --encoding.") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):      # Excel's "Unicode text"
        return _decode(data, name, "utf-16")
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    lines = pa.array(data.decode("utf-8", errors="replace").split("\n"))
    broken = to_bool(pc.match_substring(lines, "\ufffd"))
    utf8 = ~broken & ~to_bool(pc.string_is_ascii(lines))
    if utf8.any():
        raise DataImportError(
            f"{name} line {np.flatnonzero(broken)[0] + 1:,} is not UTF-8 (GBK?) while line "
            f"{np.flatnonzero(utf8)[0] + 1:,} is: the file mixes encodings. Save the whole "
            "file as UTF-8 and retry.")
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        tried = ", ".join(CSV_ENCODINGS)
        raise DataImportError(
            f"{name}: cannot decode the file as {tried}. Line {_line_of(data, exc.start):,} "
            "is the first that reads as neither. Save it as UTF-8 or pass --encoding "
            "(e.g. --encoding gbk).") from None


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _quotes_plainly_placed(text: str, sep: str) -> bool:
    r"""True when every line is a well-formed CSV record on its own (each cell plain or wholly
    quoted, a doubled quote inside quotes): then no quote stays open and no text follows a
    closing one, and the line-by-line check (seconds for a large file where every cell is
    quoted) is not needed. One regular expression over all lines, in Arrow.

    Examples
    --------
    >>> _quotes_plainly_placed('"a","b ""c"" d"\r\n"1",2\n', ",")
    True
    >>> _quotes_plainly_placed('"ab"c,1\n', ","), _quotes_plainly_placed('"ab,1\n', ",")
    (False, False)
    >>> _quotes_plainly_placed('x,ab"\n"y,z\n', ",")
    False
    """
    mark = re.escape(sep)
    cell = f'(?:"(?:[^"]|"")*"|[^"{mark}\\r\\n]*)'
    record = f"^{cell}(?:{mark}{cell})*\\r?$"
    lines = pa.array(text.split("\n"))
    return bool(pc.all(pc.match_substring_regex(lines, record)).as_py())


def _check_quotes(text: str, sep: str, name: str) -> None:
    """Refuse a quote that never closes (every later row would be read into one cell) and
    text after a closing quote (``"ab"c``): Arrow's reader would accept both silently."""
    if '"' not in text or _quotes_plainly_placed(text, sep):
        return
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=sep, strict=True)
    start = 1
    try:
        for _ in reader:
            start = reader.line_num + 1
    except csv.Error as exc:
        what = ("a quoted cell that starts here never closes, so every later row would be "
                "read into it" if "end of data" in str(exc) else f"bad quoting ({exc})")
        raise DataImportError(f"{name} line {start:,}: {what}. Close the quote (\"…\") or "
                              "remove it, and retry.") from None


def _parse_csv_text(text: str, sep: str, name: str) -> pd.DataFrame:
    """Every cell as an Arrow-backed string (blank → null), parsed by Arrow's CSV reader."""
    data = text.encode("utf-8")
    parse = pacsv.ParseOptions(delimiter=sep, newlines_in_values=True)
    try:
        names = pacsv.open_csv(_io.BytesIO(data), parse_options=parse).schema.names
        table = pacsv.read_csv(
            _io.BytesIO(data),
            parse_options=parse,
            read_options=pacsv.ReadOptions(column_names=[f"_{i}" for i in range(len(names))],
                                           skip_rows=1),
            convert_options=pacsv.ConvertOptions(
                column_types={f"_{i}": pa.string() for i in range(len(names))},
                strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except pa.ArrowInvalid as exc:
        raise DataImportError(_csv_error(text, sep, name, exc)) from None
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
    return frame.set_axis(names, axis=1)


def _csv_error(text: str, sep: str, name: str, exc: Exception) -> str:
    """Name the first line whose number of fields differs from the header's."""
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=sep)
    try:
        header = next(reader)
        start = reader.line_num + 1
        for record in reader:
            if record and len(record) != len(header):
                return (f"{name} line {start:,}: {len(record)} fields where the header has "
                        f"{len(header)}. Quote cells that contain {sep!r} or a line break, "
                        "and retry.")
            start = reader.line_num + 1
    except csv.Error as error:
        return f"{name} line {start:,}: not well-formed CSV ({error})."
    first = str(exc).splitlines()[0][:200]
    return f"{name}: not a well-formed CSV file ({first})."


# -- Parquet -----------------------------------------------------------------------------------
def _read_parquet(path: Path, name: str) -> pd.DataFrame:
    try:
        table = pq.ParquetFile(path).read()
    except (pa.ArrowException, OSError, ValueError) as exc:
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise DataImportError(f"{name}: not a readable Parquet file ({first}). Export it "
                              "again, or save it as CSV.") from None
    columns = []
    for column, field in zip(table.columns, table.schema, strict=True):
        if pa.types.is_temporal(field.type) or pa.types.is_dictionary(field.type):
            column = column.cast(pa.string())    # far dates stay readable; checked as text
        columns.append(column)
    names = [str(n) for n in table.column_names]       # may repeat: checked after reading
    table = pa.Table.from_arrays(columns, names=[f"_{i}" for i in range(len(names))])
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
    return frame.set_axis(names, axis=1)


# -- Excel -------------------------------------------------------------------------------------
def _read_excel(path: Path, name: str, sheet: str | int | None) -> pd.DataFrame:
    import openpyxl

    _refuse_xml_declarations(path, name)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        names = book.sheetnames
        book.close()
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise DataImportError(f"{name}: not a readable Excel workbook "
                              f"({type(exc).__name__}: {str(exc)[:200]}).") from None
    if sheet is None:
        chosen: str | int = 0
    elif isinstance(sheet, int) or (isinstance(sheet, str) and sheet.isdigit()):
        index = int(sheet)
        if index >= len(names):
            raise DataImportError(f"{name}: no sheet number {index}; the workbook has "
                                  f"{len(names)} sheet(s): {', '.join(names)}.")
        chosen = index
    elif sheet not in names:
        raise DataImportError(f"{name}: no sheet named {sheet!r}. Sheets: {', '.join(names)}. "
                              f"Pass one with --sheet.")
    else:
        chosen = sheet
    try:
        cells = pd.read_excel(path, sheet_name=chosen, dtype=object, engine="openpyxl",
                              header=None, keep_default_na=False, na_values=[])
    except Exception as exc:  # a damaged sheet (missing shared string, bad XML…)
        raise DataImportError(f"{name}: the sheet cannot be read ({type(exc).__name__}: "
                              f"{str(exc)[:200]}). Open it in Excel, save it again, and "
                              "retry.") from None
    if cells.empty:
        raise DataImportError(f"{name}: the sheet is empty. Put a header row first.")
    headers = [_excel_cell_to_text(v) or "" for v in cells.iloc[0]]
    frame = cells.iloc[1:].reset_index(drop=True).set_axis(headers, axis=1)
    frame = frame.map(_excel_cell_to_text)
    filled = ~pd.concat([empty_mask(frame.iloc[:, i]) for i in range(frame.shape[1])],
                        axis=1).all(axis=1) if frame.shape[1] else pd.Series([], dtype=bool)
    last = filled[filled].index.max() if filled.any() else -1
    return frame.iloc[: last + 1]          # blank rows below the table are formatting only


def _refuse_xml_declarations(path: Path, name: str) -> None:
    """Excel never writes DTDs or entities; a workbook that has them is refused unread."""
    try:
        with zipfile.ZipFile(path) as book:
            for member in book.infolist():
                if member.filename.endswith((".xml", ".rels")):
                    with book.open(member) as part:
                        head = part.read(8192)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        raise DataImportError(
                            f"{name}: {member.filename} declares XML entities (<!DOCTYPE>), "
                            "which Excel never writes; the file is refused. Save it again "
                            "from Excel.")
    except DataImportError:
        raise
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError) as exc:
        raise DataImportError(f"{name}: not a readable Excel workbook ({exc}).") from None


def _excel_cell_to_text(value: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp) or hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- SQL ---------------------------------------------------------------------------------------
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
