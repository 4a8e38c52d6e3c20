"""Constrained numbers and dates: what may cross an API, a form or an import.

Every number a person or a program sends is finite and inside a declared range, so a value that
JSON or a form can spell (``1e400``, ``inf``, ``NaN``, ``2**63``, year 9999) is refused with a
readable message instead of being stored and breaking a page, an integer column or date
arithmetic later. The same types serve the API models, the form fields and the import schema:

``Annotated`` types (pydantic, FastAPI ``Query``/``Path``/``Form`` and request models)
    :data:`Money`, :data:`SignedMoney`, :data:`Share`, :data:`Score`, :data:`RecordId`,
    :data:`Points`, :data:`Seed`, :data:`PageNumber`, :data:`PageSize`, :data:`Days`,
    :data:`Day`, :data:`Text`, :data:`ShortText`.
Plain checks (services, imports, any code that receives a number without pydantic)
    :func:`check_number` and :func:`check_day` raise :class:`OutOfRangeError` (HTTP 422).

Examples
--------
>>> from pydantic import TypeAdapter, ValidationError
>>> TypeAdapter(Money).validate_python(12.5)
12.5
>>> try:
...     TypeAdapter(Money).validate_python(float("inf"))
... except ValidationError as exc:
...     print(exc.errors()[0]["type"])
finite_number
>>> try:
...     check_number(float("nan"), name="compensation", low=0, high=MAX_MONEY)
... except OutOfRangeError as exc:
...     print(str(exc).split(". ")[0])
compensation: nan is not a finite number
"""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated

from annotated_types import Ge, Le, MaxLen
from pydantic import AllowInfNan

from churnguard.errors import ChurnguardError

__all__ = ["FIRST_DAY", "LAST_DAY", "MAX_DAYS", "MAX_ID", "MAX_MONEY", "MAX_PAGE", "MAX_POINTS",
           "MAX_SCORE", "MAX_SEED", "MAX_TEXT", "Day", "Days", "FiniteFloat", "Money",
           "OutOfRangeError", "PageNumber", "PageSize", "Points", "RecordId", "Score", "Seed",
           "Share", "ShortText", "Code", "SignedMoney", "Text", "check_day", "check_number"]

MAX_ID = 2**31 - 1
"""Largest record id (the app store's keys are 32-bit ``INTEGER`` on PostgreSQL)."""
MAX_MONEY = 1e12
"""Largest amount of money (compensation, offer cost): a trillion in any currency."""
MAX_POINTS = 10**9
"""Largest loyalty-point change in one entry (sums of many stay far inside 64 bits)."""
MAX_SCORE = 1000.0
"""Largest survey score magnitude (NPS is 0–10, CSAT 1–5; room for other scales)."""
MAX_SEED = 2**31 - 1
"""Largest random seed (numpy's seeds are ≥ 0; stored as a 32-bit ``INTEGER``)."""
MAX_PAGE = 1_000_000
"""Largest page number of a listing."""
MAX_DAYS = 3660
"""Longest span in days a listing may ask for (ten years)."""
MAX_TEXT = 20_000
"""Longest free text (a complaint's description, a note) in characters."""
FIRST_DAY = date(1900, 1, 1)
"""Earliest date accepted from a person (older is a typo, e.g. ``0001-01-01``)."""
LAST_DAY = date(2999, 12, 31)
"""Latest date accepted from a person: leaves room for ``date + days`` arithmetic."""


class OutOfRangeError(ChurnguardError, ValueError):
    """A number is not finite or outside its declared range (HTTP 422)."""

    code = "invalid"


FiniteFloat = Annotated[float, AllowInfNan(False)]
Money = Annotated[float, AllowInfNan(False), Ge(0), Le(MAX_MONEY)]
SignedMoney = Annotated[float, AllowInfNan(False), Ge(-MAX_MONEY), Le(MAX_MONEY)]
Share = Annotated[float, AllowInfNan(False), Ge(0), Le(1)]
Score = Annotated[float, AllowInfNan(False), Ge(-MAX_SCORE), Le(MAX_SCORE)]
RecordId = Annotated[int, Ge(1), Le(MAX_ID)]
Points = Annotated[int, Ge(-MAX_POINTS), Le(MAX_POINTS)]
Seed = Annotated[int, Ge(0), Le(MAX_SEED)]
PageNumber = Annotated[int, Ge(1), Le(MAX_PAGE)]
PageSize = Annotated[int, Ge(1), Le(10_000)]
Days = Annotated[int, Ge(0), Le(MAX_DAYS)]
Day = Annotated[date, Ge(FIRST_DAY), Le(LAST_DAY)]
Text = Annotated[str, MaxLen(MAX_TEXT)]
ShortText = Annotated[str, MaxLen(200)]
Code = Annotated[str, MaxLen(40)]
"""A short code or label: a task kind, a reason code (the store's columns hold 40–80)."""


def check_number(value: object, *, name: str, low: float, high: float) -> float:
    """``value`` as a float when it is a finite number in ``[low, high]``.

    Raises
    ------
    OutOfRangeError
        For text, ``inf``, ``NaN`` or a number outside the range; the message names ``name``.

    Examples
    --------
    >>> check_number(3, name="cost", low=0, high=10)
    3.0
    >>> try:
    ...     check_number(11, name="cost", low=0, high=10)
    ... except OutOfRangeError as exc:
    ...     print(exc)
    cost: 11 is outside 0 to 10. Send a number between 0 and 10.
    """
    fix = f"Send a number between {low} and {high}."
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OutOfRangeError(f"{name}: {value!r} is not a number. {fix}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond float's range
        raise OutOfRangeError(f"{name}: {value} is outside {low} to {high}. {fix}") from None
    if not math.isfinite(number):
        raise OutOfRangeError(f"{name}: {value!r} is not a finite number. {fix}")
    if not low <= number <= high:
        raise OutOfRangeError(f"{name}: {value!r} is outside {low} to {high}. {fix}")
    return number


def check_day(value: date, *, name: str, low: date = FIRST_DAY, high: date = LAST_DAY) -> date:
    """``value`` when it lies in ``[low, high]``, else :class:`OutOfRangeError`.

    Examples
    --------
    >>> check_day(date(2024, 3, 5), name="start")
    datetime.date(2024, 3, 5)
    >>> try:
    ...     check_day(date(9999, 12, 31), name="start")
    ... except OutOfRangeError as exc:
    ...     print(str(exc).split(". ")[0])
    start: 9999-12-31 is outside 1900-01-01 to 2999-12-31
    """
    if not low <= value <= high:
        raise OutOfRangeError(f"{name}: {value.isoformat()} is outside {low.isoformat()} to "
                              f"{high.isoformat()}. Send a date in that span (YYYY-MM-DD).")
    return value
