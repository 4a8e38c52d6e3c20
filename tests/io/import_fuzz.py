"""An import fuzzer: valid order files written many ways, then broken on purpose.

Each case starts from an *intent* (the orders a user means) and writes it as a CSV in one of
many valid styles (date and number formats, quoting, encodings, headers, column order). Then it
may apply one mutation:

* ``valid`` – none: the load must succeed and store exactly the intent;
* ``broken`` – a known defect (an infinite amount, a two-digit year, an unclosed quote, a GBK
  line in a UTF-8 file, a repeated header…): the load must fail with a
  :class:`~churnguard.errors.ChurnguardError` that names the file, and store nothing;
* ``chaos`` – a few random bytes inserted, deleted or replaced: either a ChurnguardError naming
  the file (nothing stored) or a success whose rows match what Python's ``csv`` module reads
  from the same text (same number of rows, same ids, plain numbers and ISO dates unchanged).

Most cases are CSV; some are .xlsx (the same cells through a workbook) or Parquet with typed
columns (defects: infinite, huge or missing amounts, dates out of range, repeated keys or
headers).

Any other exception is a finding, as is a success that stores something else.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from churnguard.errors import ChurnguardError

CUSTOMERS = ["c1", "c2", "c3"]
PRODUCTS = ["茶叶", "green tea", "礼盒, large", 'say "hi"', "two\nlines", "咖啡豆"]
HEADERS = {
    "canonical": ["order_id", "customer_id", "order_date", "amount", "product"],
    "chinese": ["订单号", "客户编号", "下单日期", "金额", "商品"],
    "shouting": [" ORDER_ID", "Customer_Id ", "Order_Date", "AMOUNT", "Product"],
}
BROKEN_AMOUNTS = ["1e400", "1.8e308", "9" * 400, "inf", "NaN", "abc", "1.2.3", "--5"]
BROKEN_DATES = ["24-03-05", "10:00:00", "now", "2024-02-30", "13/13/2024", "1899-12-31",
                "0000-00-00", "2024-1-32", "yesterday"]
CHAOS_BYTES = [b'"', b",", b"\n", b"\r", b"\x00", "\ufeff".encode(), "é".encode(),
               "中".encode("gbk"), b"9", b"e", b"-", b".", b" ", b"\t", b"'"]


@dataclass
class Case:
    """One fuzz case: the file, what it means, and what must happen."""

    number: int
    path: Path
    kind: str                      # valid, broken, chaos
    what: str
    intent: pd.DataFrame
    options: dict = field(default_factory=dict)
    text: str | None = None        # the text written (chaos: after mutation, when decodable)
    encoding: str = "utf-8"


@dataclass
class Outcome:
    case: Case
    verdict: str                   # ok, refused, traceback, misload
    detail: str = ""


def make_case(number: int, folder: Path, rng: np.random.Generator) -> Case:
    """Write case ``number`` to ``folder``."""
    rows = int(rng.integers(3, 9))
    days = rng.integers(0, 3650, rows)
    seconds = np.where(rng.random(rows) < 0.5, 0, rng.integers(0, 86_400, rows))
    dates = pd.Timestamp("2015-01-01") + pd.to_timedelta(days, "D") + pd.to_timedelta(
        seconds, "s")
    cents = rng.integers(-50_000, 10_000_000, rows)
    intent = pd.DataFrame({
        "order_id": [f"f{number}-{i}" for i in range(rows)],
        "customer_id": rng.choice(CUSTOMERS, rows),
        "order_date": dates,
        "amount": cents / 100,
        "product": rng.choice(PRODUCTS, rows),
    })
    style = {
        "dates": str(rng.choice(["iso", "iso_t", "slash", "chinese", "dmy", "mdy"])),
        "numbers": str(rng.choice(["plain", "us", "eu", "money"])),
        "quote": bool(rng.random() < 0.3),
        "encoding": str(rng.choice(["utf-8", "utf-8", "utf-8-sig", "gbk"])),
        "newline": str(rng.choice(["\n", "\r\n"])),
        "header": str(rng.choice(list(HEADERS))),
        "shuffle": bool(rng.random() < 0.3),
    }
    options: dict = {}
    if style["dates"] in ("dmy", "mdy"):
        if style["dates"] == "dmy" and not (intent["order_date"].dt.day > 12).any():
            options["date_order"] = "dayfirst"
        if style["dates"] == "mdy" and not (intent["order_date"].dt.day > 12).any():
            options["date_order"] = "monthfirst"
    cells = _render(intent, style)
    headers = list(HEADERS[style["header"]])
    order = list(range(len(headers)))
    if style["shuffle"]:
        order = list(rng.permutation(len(headers)))
    kind = str(rng.choice(["valid", "broken", "chaos"], p=[0.3, 0.45, 0.25]))
    form = str(rng.choice(["csv", "xlsx", "parquet"], p=[0.7, 0.15, 0.15]))
    if form == "parquet":
        kind = "valid" if kind == "valid" else "broken"
        return _typed_case(number, folder, rng, kind, intent, style)
    what = f"valid {form} {style}"
    text_mutation = None
    if form == "xlsx":
        kind = "valid" if kind == "valid" else "broken"
        if kind == "broken":
            what, headers, cells, _, options = _break(rng, headers, cells, style, options,
                                                      defects=SHEET_DEFECTS)
        path = folder / f"case{number}.xlsx"
        table = [[headers[i] for i in order] + headers[len(order):]]
        table += [[row[i] for i in order if i < len(row)] + row[len(order):] for row in cells]
        pd.DataFrame(table[1:], columns=table[0]).to_excel(path, index=False)
        return Case(number, path, kind, f"xlsx {what}", intent, options)
    if kind == "broken":
        what, headers, cells, text_mutation, options = _break(rng, headers, cells, style,
                                                               options)
    text = _csv_text(headers, cells, order, style)
    if text_mutation:
        text = text_mutation(text)
    encoding = style["encoding"] if style["encoding"] != "utf-8-sig" else "utf-8"
    data = text.encode(encoding) if "gbk line" not in what else _gbk_line(text)
    if style["encoding"] == "utf-8-sig":
        data = b"\xef\xbb\xbf" + data
    if kind == "chaos":
        data, what = _chaos(rng, data)
    path = folder / f"case{number}.csv"
    path.write_bytes(data)
    return Case(number, path, kind, what, intent, options, text, encoding)


def _render(intent: pd.DataFrame, style: dict) -> list[list[str]]:
    stamps = intent["order_date"]
    timed = stamps.dt.strftime("%H:%M:%S")
    date_text = {
        "iso": stamps.dt.strftime("%Y-%m-%d ") + timed,
        "iso_t": stamps.dt.strftime("%Y-%m-%dT") + timed,
        "slash": stamps.dt.strftime("%Y/") + stamps.dt.month.astype(str) + "/"
        + stamps.dt.day.astype(str) + " " + timed,
        "chinese": stamps.dt.strftime("%Y年") + stamps.dt.month.astype(str) + "月"
        + stamps.dt.day.astype(str) + "日 " + timed,
        "dmy": stamps.dt.strftime("%d/%m/%Y ") + timed,
        "mdy": stamps.dt.strftime("%m/%d/%Y ") + timed,
    }[style["dates"]]
    amounts = [_amount_text(x, style["numbers"]) for x in intent["amount"]]
    return [[r.order_id, r.customer_id, d, a, r.product]
            for r, d, a in zip(intent.itertuples(), date_text, amounts, strict=True)]


def _amount_text(value: float, style: str) -> str:
    text = f"{abs(value):,.2f}"
    if style == "plain":
        text = text.replace(",", "")
    elif style == "eu":
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    elif style == "money":
        return f"(￥{text})" if value < 0 else f"￥{text}"
    return f"-{text}" if value < 0 else text


def _csv_text(headers: list[str], cells: list[list[str]], order: list[int], style: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=style["newline"],
                        quoting=csv.QUOTE_ALL if style["quote"] else csv.QUOTE_MINIMAL)
    writer.writerow([headers[i] for i in order if i < len(headers)] + headers[len(order):])
    for row in cells:
        writer.writerow([row[i] for i in order if i < len(row)] + row[len(order):])
    return out.getvalue()


CSV_DEFECTS = ["amount", "date", "quote", "gbk", "header", "ragged", "duplicate", "customer",
               "empty", "mixed marks"]
SHEET_DEFECTS = ["amount", "date", "header", "duplicate", "customer", "empty", "mixed marks"]


def _typed_case(number: int, folder: Path, rng: np.random.Generator, kind: str,
                intent: pd.DataFrame, style: dict) -> Case:
    """A Parquet file with typed columns (timestamps, floats), possibly with one defect."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {
        "order_id": pa.array(intent["order_id"]),
        "customer_id": pa.array(intent["customer_id"]),
        "order_date": pa.array(intent["order_date"], pa.timestamp("us")),
        "amount": pa.array(intent["amount"], pa.float64()),
        "product": pa.array(intent["product"]),
    }
    names = list(columns)
    what = "valid parquet"
    if kind == "broken":
        row = int(rng.integers(0, len(intent)))
        defect = str(rng.choice(["inf", "huge", "nan", "old date", "far date", "duplicate",
                                 "customer", "header"]))
        amounts = intent["amount"].to_numpy().copy()
        stamps = intent["order_date"].astype("datetime64[us]").to_numpy().copy()
        if defect in ("inf", "huge", "nan"):
            amounts[row] = {"inf": np.inf, "huge": 1e300, "nan": np.nan}[defect]
            columns["amount"] = pa.array(amounts, pa.float64(), from_pandas=False)
        elif defect in ("old date", "far date"):
            stamps[row] = np.datetime64("0001-01-01" if defect == "old date" else "9999-06-01")
            columns["order_date"] = pa.array(stamps, pa.timestamp("us"))
        elif defect == "duplicate":
            ids = intent["order_id"].tolist()
            ids[(row + 1) % len(ids)] = ids[row]
            columns["order_id"] = pa.array(ids)
        elif defect == "customer":
            ids = intent["customer_id"].tolist()
            ids[row] = "nobody"
            columns["customer_id"] = pa.array(ids)
        else:
            names[4] = "amount"
        what = f"broken parquet {defect} (row {row + 1})"
    path = folder / f"case{number}.parquet"
    pq.write_table(pa.Table.from_arrays(list(columns.values()), names=names), path)
    return Case(number, path, kind, what, intent)


def _break(rng, headers, cells, style, options, *, defects=CSV_DEFECTS):
    """One known defect; returns (what, headers, cells, text mutation, options)."""
    row = int(rng.integers(0, len(cells)))
    defect = str(rng.choice(defects))
    mutation = None
    cells = [list(r) for r in cells]
    if defect == "amount":
        cells[row][3] = str(rng.choice(BROKEN_AMOUNTS))
    elif defect == "date":
        cells[row][2] = str(rng.choice(BROKEN_DATES))
    elif defect == "quote":
        column = int(rng.integers(0, 5))
        cells[row][column] = '"' + cells[row][column]
        target = cells[row][column]

        def mutation(text: str, target=target) -> str:    # an opening quote never closed
            escaped = '"' + target.replace('"', '""') + '"'
            return text.replace(escaped, target, 1) if escaped in text else text.replace(
                target, target, 1)
    elif defect == "gbk":
        cells[row][4] = "龙井茶"
        other = (row + 1) % len(cells)
        cells[other][4] = "普洱"
        style["encoding"] = "utf-8"
    elif defect == "header":
        headers = headers + [headers[int(rng.integers(0, len(headers)))]]
        cells = [r + ["x"] for r in cells]
    elif defect == "ragged":
        cells[row] = cells[row][:-1] if rng.random() < 0.5 else cells[row] + ["extra"]
    elif defect == "duplicate":
        other = (row + 1) % len(cells)
        cells[other][0] = cells[row][0]
    elif defect == "customer":
        cells[row][1] = "nobody"
    elif defect == "empty":
        cells[row][int(rng.choice([0, 1, 2, 3]))] = ""
    elif defect == "mixed marks":
        cells[row][3] = "12,5" if style["numbers"] in ("plain", "us", "money") else "1,234.50"
    what = f"broken {defect} (row {row + 2}) {style}"
    if defect == "gbk":
        what = f"broken gbk line (row {row + 2}) {style}"
    return what, headers, cells, mutation, options


def _gbk_line(text: str) -> bytes:
    """UTF-8 except the line holding 龙井茶, which is GBK."""
    return b"".join(line.encode("gbk") if "龙井茶" in line else line.encode("utf-8")
                    for line in text.splitlines(keepends=True))


def _chaos(rng: np.random.Generator, data: bytes) -> tuple[bytes, str]:
    edits = []
    for _ in range(int(rng.integers(1, 4))):
        at = int(rng.integers(0, len(data)))
        action = str(rng.choice(["insert", "delete", "replace"]))
        piece = CHAOS_BYTES[int(rng.integers(0, len(CHAOS_BYTES)))]
        if action == "insert":
            data = data[:at] + piece + data[at:]
        elif action == "delete":
            data = data[:at] + data[at + 1:]
        else:
            data = data[:at] + piece + data[at + 1:]
        edits.append(f"{action} {piece!r}@{at}")
    return data, "chaos " + ", ".join(edits)


# -- running and judging -------------------------------------------------------------------------
def run_case(ws, case: Case) -> Outcome:
    """Load ``case`` into ``ws`` and judge what happened."""
    try:                       # the case's order ids are new: nothing of it is stored before
        result = ws.load("orders", case.path, mapping=_mapping(case), **case.options)
    except ChurnguardError as exc:
        message = str(exc)
        if case.path.name not in message.splitlines()[0]:
            return Outcome(case, "misload", f"refusal does not name the file: {message[:200]}")
        if len(_stored(ws, case)):
            return Outcome(case, "misload", "refused but rows were stored")
        if case.kind == "valid":
            return Outcome(case, "misload", f"a valid file was refused: {message[:300]}")
        return Outcome(case, "refused", message.splitlines()[-1][:200])
    except Exception as exc:  # noqa: BLE001 - any other exception is what the fuzzer hunts
        return Outcome(case, "traceback", f"{type(exc).__name__}: {exc}"[:300])
    stored = _stored(ws, case)
    if case.kind == "broken":
        return Outcome(case, "misload", f"broken file loaded ({result.rows_read} rows)")
    if case.kind == "valid" or case.path.suffix != ".csv":
        problem = _differs(stored, case.intent)
        return Outcome(case, "misload" if problem else "ok", problem or "")
    problem = _differs_from_csv(stored, case, result.rows_read)
    return Outcome(case, "misload" if problem else "ok", problem or "")


def _mapping(case: Case) -> dict[str, str] | None:
    return None


def _stored(ws, case: Case) -> pd.DataFrame:
    if not ws.has_table("orders"):
        return pd.DataFrame(columns=["order_id"])
    table = ws.table("orders")
    rows = table.filter(table.order_id.startswith(f"f{case.number}-")).to_pandas()
    return rows.sort_values("order_id").reset_index(drop=True)


def _differs(stored: pd.DataFrame, intent: pd.DataFrame) -> str:
    want = intent.sort_values("order_id").reset_index(drop=True)
    if stored["order_id"].tolist() != want["order_id"].tolist():
        return f"ids {stored['order_id'].tolist()} != {want['order_id'].tolist()}"
    for column in ("customer_id", "amount", "product"):
        if stored[column].tolist() != want[column].tolist():
            return f"{column}: {stored[column].tolist()} != {want[column].tolist()}"
    got = pd.to_datetime(stored["order_date"]).tolist()
    if got != want["order_date"].tolist():
        return f"order_date: {got} != {want['order_date'].tolist()}"
    return ""


_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _differs_from_csv(stored: pd.DataFrame, case: Case, rows_read: int) -> str:
    """A chaos file that loaded must hold what Python's csv module reads in it."""
    data = case.path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    text = None
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        return "loaded a file that decodes as neither UTF-8 nor GB18030"
    records = list(csv.reader(io.StringIO(text, newline="")))
    header = [h.strip().lower() for h in records[0]]
    body = [r for r in records[1:] if r]
    if rows_read != len(body):
        return f"{rows_read} rows read, Python's csv reads {len(body)}"
    header = [h.replace("\ufeff", "") for h in header]
    id_col = next((i for i, h in enumerate(header) if h in ("order_id", "订单号")), None)
    if id_col is None:
        return "loaded a file whose header has no order id"
    ids = sorted(r[id_col].strip().replace("\ufeff", "") for r in body)
    loaded = stored["order_id"].tolist()
    mine = sorted(i for i in ids if i.startswith(f"f{case.number}-"))
    if mine != loaded:
        return f"ids {loaded} != csv ids {mine}"
    by_id = stored.set_index("order_id")
    amount_col = next((i for i, h in enumerate(header) if h in ("amount", "金额")), None)
    date_col = next((i for i, h in enumerate(header) if h in ("order_date", "下单日期")), None)
    for record in body:
        key = record[id_col].strip().replace("\ufeff", "")
        if key not in by_id.index:
            continue
        if amount_col is not None:
            cell = record[amount_col].strip()
            if _PLAIN_NUMBER.match(cell) and by_id.at[key, "amount"] != float(cell):
                return f"{key} amount {by_id.at[key, 'amount']} from {cell!r}"
        if date_col is not None:
            cell = record[date_col].strip()
            if _ISO_DAY.match(cell) and by_id.at[key, "order_date"] != pd.Timestamp(cell):
                return f"{key} order_date {by_id.at[key, 'order_date']} from {cell!r}"
    return ""


def run_fuzz(ws, folder: Path, *, cases: int, seed: int = 13) -> list[Outcome]:
    """Run ``cases`` cases with ``seed`` into workspace ``ws`` (customers c1–c3 loaded)."""
    rng = np.random.default_rng(seed)
    return [run_case(ws, make_case(n, folder, rng)) for n in range(cases)]
