"""``--compute NAME=EXPR``: arithmetic on source columns, parsed safely and run on whole columns.

An expression holds numbers, column names, ``+ - * /`` (also ``× ÷ −``) and parentheses. A
column name is a bare word (``Quantity``, ``数量``) or, when it has blanks or symbols, quoted
(``"Unit Price"``, ```Unit Price```). The text is read with Python's :mod:`ast` and every node
is checked against a short whitelist: nothing is ever evaluated as Python. Each column named is
parsed as numbers (the same rules as any number column); a blank cell gives a blank result.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from churnguard.errors import SchemaError
from churnguard.io.cells import empty_mask
from churnguard.io.normalise import Problem
from churnguard.io.numbers import Decimal, parse_numbers

_OPERATORS: dict[type[ast.operator], Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_SYMBOLS = {"×": "*", "÷": "/", "−": "-", "（": "(", "）": ")"}
EXPRESSION_MARKS = re.compile(r"[-+*/×÷−()（）]")
"""A mapping whose source holds one of these and is not a column is read as an expression."""


@dataclass(frozen=True)
class Expression:
    """A parsed ``NAME=EXPR``: the new column, the text and the columns it reads."""

    name: str
    text: str
    tree: ast.expr
    columns: tuple[str, ...]

    def describe(self) -> str:
        return f"--compute {self.name}={self.text}"


def parse_compute(item: str, headers: list[str] | None = None) -> Expression:
    """Parse ``NAME=EXPR``; when ``headers`` are given, every column named must be one.

    Examples
    --------
    >>> parse_compute("amount=Quantity*UnitPrice").columns
    ('Quantity', 'UnitPrice')
    >>> parse_compute('net="Unit Price" × (Qty − 1)').columns
    ('Unit Price', 'Qty')
    """
    name, sep, text = item.partition("=")
    name, text = name.strip(), text.strip()
    if not sep or not name or not text:
        raise SchemaError(
            f"--compute {item!r}: use --compute NAME=EXPRESSION, e.g. "
            "--compute amount=Quantity*UnitPrice."
        )
    return expression(name, text, headers)


def expression(name: str, text: str, headers: list[str] | None = None) -> Expression:
    """Parse expression ``text`` computing column ``name`` (see :func:`parse_compute`)."""
    source = text
    for symbol, plain in _SYMBOLS.items():
        source = source.replace(symbol, plain)
    source = re.sub(r"`([^`]*)`", lambda m: repr(m.group(1)), source)
    where = f"--compute {name}={text}"
    try:
        tree = ast.parse(source, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise SchemaError(
            f"{where}: not an expression. Use column names, numbers, + - * / "
            'and parentheses; quote names with blanks ("Unit Price").'
        ) from None
    columns: list[str] = []
    _check(tree, where, columns)
    if headers is not None:
        missing = [c for c in columns if c not in headers]
        if missing:
            raise SchemaError(
                f"{where}: {', '.join(map(repr, missing))} not in the source. "
                f"Source columns: {', '.join(headers)}."
            )
    return Expression(name, text, tree, tuple(dict.fromkeys(columns)))


def _check(node: ast.expr, where: str, columns: list[str]) -> None:
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        _check(node.left, where, columns)
        _check(node.right, where, columns)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        _check(node.operand, where, columns)
    elif isinstance(node, ast.Name):
        columns.append(node.id)
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        columns.append(node.value)
    elif (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        pass
    else:
        shown = ast.unparse(node)
        raise SchemaError(
            f"{where}: {shown!r} is not allowed. Only column names, numbers, "
            "+ - * / and parentheses are."
        )


def evaluate(
    expr: Expression, frame: pd.DataFrame, row_numbers: pd.Series, *, decimal: Decimal | None = None
) -> tuple[pd.Series, list[Problem]]:
    """The values of ``expr`` over ``frame`` (one vectorised pass) and the cells that stop it.

    A cell that is not a number is a problem naming the expression, the row and the column; a
    division by zero is one too. Blank inputs give a blank result.

    Examples
    --------
    >>> frame = pd.DataFrame({"Qty": ["2", "3", ""], "Price": ["1.5", "x", "4"]})
    >>> values, problems = evaluate(parse_compute("amount=Qty*Price"), frame,
    ...                             pd.Series([2, 3, 4]))
    >>> values.tolist()[0], len(problems)
    (3.0, 1)
    """
    problems: list[Problem] = []
    inputs: dict[str, np.ndarray] = {}
    for column in expr.columns:
        parsed = parse_numbers(frame[column], decimal=decimal, row_numbers=row_numbers)
        if parsed.column_problem:
            raise SchemaError(f"{expr.describe()}: column {column} {parsed.column_problem}")
        bad = parsed.bad.to_numpy()
        for row, value, message in zip(
            row_numbers[bad], frame[column][bad], parsed.messages[bad], strict=True
        ):
            problems.append(
                Problem(int(row), column, value, f"{message} (read by {expr.describe()})")
            )
        inputs[column] = parsed.values.to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.broadcast_to(_run(expr.tree, inputs), (len(frame),)).astype("float64")
    blank = np.zeros(len(frame), dtype=bool)
    for column in expr.columns:
        blank |= empty_mask(frame[column]).to_numpy()
    infinite = ~np.isfinite(values) & ~np.isnan(values)
    divided = infinite | (np.isnan(values) & ~blank & _all_read(inputs, len(frame)))
    for row in row_numbers[divided]:
        problems.append(
            Problem(
                int(row),
                expr.name,
                None,
                f"cannot be computed: {expr.describe()} divides by zero here.",
            )
        )
    values = np.where(divided, np.nan, values)
    return pd.Series(values, index=frame.index), problems


def _all_read(inputs: Mapping[str, np.ndarray], size: int) -> np.ndarray:
    read = np.ones(size, dtype=bool)
    for values in inputs.values():
        read &= ~np.isnan(values)
    return read


def _run(node: ast.expr, inputs: Mapping[str, np.ndarray]) -> np.ndarray:
    if isinstance(node, ast.BinOp):
        function = _OPERATORS[type(node.op)]
        return function(_run(node.left, inputs), _run(node.right, inputs))
    if isinstance(node, ast.UnaryOp):
        value = _run(node.operand, inputs)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Name):
        return inputs[node.id]
    assert isinstance(node, ast.Constant)
    if isinstance(node.value, str):
        return inputs[node.value]
    return np.asarray(float(node.value))


def computed_columns(
    frame: pd.DataFrame,
    expressions: list[Expression],
    row_numbers: pd.Series,
    decimal: Decimal | None,
    name: str,
) -> tuple[pd.DataFrame, list[Problem]]:
    """``frame`` with a column per expression, and the cells no expression could read."""
    problems: list[Problem] = []
    if not expressions:
        return frame, problems
    frame = frame.copy()
    headers = [str(c) for c in frame.columns]
    for expr in expressions:
        missing = [c for c in expr.columns if c not in headers]
        if missing:
            raise SchemaError(
                f"{name}: {expr.describe()}: {', '.join(map(repr, missing))} not "
                f"in the source. Source columns: {', '.join(headers)}."
            )
        if expr.name in headers:
            raise SchemaError(
                f"{name}: {expr.describe()}: the source already has a column "
                f"named {expr.name!r}; compute it under another name."
            )
        try:
            values, found = evaluate(expr, frame, row_numbers, decimal=decimal)
        except SchemaError as exc:
            raise SchemaError(f"{name}: {exc}") from None
        frame[expr.name] = values
        problems += found
    return frame, problems
