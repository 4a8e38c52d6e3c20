"""The care calendar and the lunar holiday table (checked against the astronomy)."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import select

from churnguard.errors import ConfigError
from churnguard.workflow import lunar
from churnguard.workflow.errors import InvalidInputError
from churnguard.workflow.models import CareEvent, Contact
from churnguard.workflow.services import care
from tests.workflow.builders import customer, team


def _new_moon_jde(k: float) -> float:
    """Meeus, Astronomical Algorithms ch. 49: the new moon of lunation ``k`` (TT), with the
    periodic terms down to 0.0002 days."""
    t = k / 1236.85
    jde = (2451550.09766 + 29.530588861 * k + 0.00015437 * t**2 - 0.00000015 * t**3
           + 0.00000000073 * t**4)
    e = 1 - 0.002516 * t - 0.0000074 * t**2
    r = math.radians
    m = r(2.5534 + 29.10535670 * k - 0.0000014 * t**2)
    mp = r(201.5643 + 385.81693528 * k + 0.0107582 * t**2 + 0.00001238 * t**3)
    f = r(160.7108 + 390.67050284 * k - 0.0016118 * t**2)
    om = r(124.7746 - 1.56375588 * k + 0.0020672 * t**2)
    terms = (-0.40720 * math.sin(mp) + 0.17241 * e * math.sin(m) + 0.01608 * math.sin(2 * mp)
             + 0.01039 * math.sin(2 * f) + 0.00739 * e * math.sin(mp - m)
             - 0.00514 * e * math.sin(mp + m) + 0.00208 * e * e * math.sin(2 * m)
             - 0.00111 * math.sin(mp - 2 * f) - 0.00057 * math.sin(mp + 2 * f)
             + 0.00056 * e * math.sin(2 * mp + m) - 0.00042 * math.sin(3 * mp)
             + 0.00042 * e * math.sin(m + 2 * f) + 0.00038 * e * math.sin(m - 2 * f)
             - 0.00024 * e * math.sin(2 * mp - m) - 0.00017 * math.sin(om)
             - 0.00007 * math.sin(mp + 2 * m) + 0.00004 * math.sin(2 * mp - 2 * f)
             + 0.00004 * math.sin(3 * m) + 0.00003 * math.sin(mp + m - 2 * f)
             + 0.00003 * math.sin(2 * mp + 2 * f) - 0.00003 * math.sin(mp + m + 2 * f)
             + 0.00003 * math.sin(mp - m + 2 * f) - 0.00002 * math.sin(mp - m - 2 * f)
             - 0.00002 * math.sin(3 * mp + m) + 0.00002 * math.sin(4 * mp))
    return jde + terms


def _china_date(jde: float) -> date:
    """Calendar date in Beijing time (UTC+8) of a Julian ephemeris day (ΔT ≈ 70 s ignored)."""
    unix = (jde - 2440587.5) * 86400 - 70
    return (datetime(1970, 1, 1) + timedelta(seconds=unix, hours=8)).date()


def _new_moons(year: int) -> list[date]:
    k0 = math.floor((year - 1 - 2000) * 12.3685)
    return [_china_date(_new_moon_jde(k)) for k in range(k0, k0 + 40)]


@pytest.mark.parametrize("year", list(lunar.YEARS))
def test_lunar_table_matches_new_moons_in_china_time(year):
    moons = _new_moons(year)
    festival = lunar.spring_festival(year)
    # day 1 of month 1 is a new moon; month 1 holds 雨水 (about 19 February)
    assert festival in moons
    following = moons[moons.index(festival) + 1]
    assert festival <= date(year, 2, 20) and following > date(year, 2, 18)
    # 15th of month 8: its month starts on a new moon and holds 秋分 (22/23 September; in
    # 2033 the next new moon falls on the equinox day itself, the borderline case of the
    # "2033 problem" that the official calendar settles for 8 September)
    start = lunar.mid_autumn(year) - timedelta(days=14)
    assert start in moons
    assert start <= date(year, 9, 22) and date(year, 9, 23) <= moons[moons.index(start) + 1]


def test_years_outside_the_table_say_so():
    with pytest.raises(ConfigError, match="Spring Festival for 2041 is not in churnguard's"):
        lunar.spring_festival(2041)


def test_anniversaries_handle_leap_days_and_year_ends():
    days = pd.Series(pd.to_datetime(["1990-01-03", "2000-02-29", "2023-12-30", None]))
    found = care.anniversaries(days, date(2023, 12, 20), date(2024, 3, 1))
    assert found.dt.date.tolist()[:3] == [date(2024, 1, 3), date(2024, 2, 29), pd.NaT]
    assert pd.isna(found.iloc[3])
    in_2025 = care.anniversaries(days, date(2025, 2, 1), date(2025, 3, 1))
    assert in_2025.dt.date.tolist()[1] == date(2025, 2, 28)


def test_care_events_are_generated_ahead_once(db):
    users = team(db)
    customer(db, "c1", users["ann"], birthday=date(1980, 2, 14), signup_date=date(2021, 3, 1))
    customer(db, "c2", users["ann"], birthday=None, status="churned")
    created = care.generate_care_events(db, start=date(2024, 1, 20), days_ahead=45)
    events = db.execute(select(CareEvent.customer_id, CareEvent.kind, CareEvent.event_date)
                        .order_by(CareEvent.event_date)).all()
    assert created == 3
    assert events == [("c1", "spring_festival", date(2024, 2, 10)),
                      ("c1", "birthday", date(2024, 2, 14)),
                      ("c1", "contract_anniversary", date(2024, 3, 1))]
    assert care.generate_care_events(db, start=date(2024, 1, 20), days_ahead=45) == 0
    assert care.generate_care_events(db, start=date(2024, 2, 1), days_ahead=0) == 0
    with pytest.raises(InvalidInputError, match="days_ahead=-1 is negative"):
        care.generate_care_events(db, start=date(2024, 1, 1), days_ahead=-1)


def test_a_done_care_touch_counts_as_a_contact(db):
    users = team(db)
    customer(db, "c1", users["ann"], birthday=date(1980, 2, 14))
    care.generate_care_events(db, start=date(2024, 2, 1), days_ahead=20)
    event = db.scalar(select(CareEvent).where(CareEvent.kind == "birthday"))
    care.complete_care_event(db, event, now=datetime(2024, 2, 14, 10))
    assert db.scalar(select(Contact.channel).where(Contact.customer_id == "c1")) == "care"
    with pytest.raises(InvalidInputError, match="already done"):
        care.complete_care_event(db, event)
