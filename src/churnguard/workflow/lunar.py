"""Gregorian dates of the lunar holidays churnguard plans care touches for.

春节 (Spring Festival, lunar 1st month day 1) and 中秋节 (Mid-Autumn, lunar 8th month day 15) for
2010–2040, from the official calendar. The tests check every entry against an independent
astronomical computation (the new moon in China time, Meeus' algorithm), so a typo cannot hide.

Examples
--------
>>> spring_festival(2024), mid_autumn(2024)
(datetime.date(2024, 2, 10), datetime.date(2024, 9, 17))
"""

from __future__ import annotations

from datetime import date

from churnguard.errors import ConfigError

_SPRING_FESTIVAL = {
    2010: (2, 14), 2011: (2, 3), 2012: (1, 23), 2013: (2, 10), 2014: (1, 31), 2015: (2, 19),
    2016: (2, 8), 2017: (1, 28), 2018: (2, 16), 2019: (2, 5), 2020: (1, 25), 2021: (2, 12),
    2022: (2, 1), 2023: (1, 22), 2024: (2, 10), 2025: (1, 29), 2026: (2, 17), 2027: (2, 6),
    2028: (1, 26), 2029: (2, 13), 2030: (2, 3), 2031: (1, 23), 2032: (2, 11), 2033: (1, 31),
    2034: (2, 19), 2035: (2, 8), 2036: (1, 28), 2037: (2, 15), 2038: (2, 4), 2039: (1, 24),
    2040: (2, 12),
}
_MID_AUTUMN = {
    2010: (9, 22), 2011: (9, 12), 2012: (9, 30), 2013: (9, 19), 2014: (9, 8), 2015: (9, 27),
    2016: (9, 15), 2017: (10, 4), 2018: (9, 24), 2019: (9, 13), 2020: (10, 1), 2021: (9, 21),
    2022: (9, 10), 2023: (9, 29), 2024: (9, 17), 2025: (10, 6), 2026: (9, 25), 2027: (9, 15),
    2028: (10, 3), 2029: (9, 22), 2030: (9, 12), 2031: (10, 1), 2032: (9, 19), 2033: (9, 8),
    2034: (9, 27), 2035: (9, 16), 2036: (10, 4), 2037: (9, 24), 2038: (9, 13), 2039: (10, 2),
    2040: (9, 20),
}
YEARS = range(min(_SPRING_FESTIVAL), max(_SPRING_FESTIVAL) + 1)


def _lookup(table: dict[int, tuple[int, int]], year: int, name: str) -> date:
    if year not in table:
        raise ConfigError(f"{name} for {year} is not in churnguard's table ({YEARS.start}–"
                          f"{YEARS.stop - 1}). Upgrade churnguard for later years.")
    month, day = table[year]
    return date(year, month, day)


def spring_festival(year: int) -> date:
    """The Gregorian date of 春节 in ``year``."""
    return _lookup(_SPRING_FESTIVAL, year, "Spring Festival")


def mid_autumn(year: int) -> date:
    """The Gregorian date of 中秋节 in ``year``."""
    return _lookup(_MID_AUTUMN, year, "Mid-Autumn Festival")
