"""The care calendar: birthdays, 春节, 中秋节, New Year and signup anniversaries, generated ahead
so owners can plan a greeting or a gift (客户关怀).

Examples
--------
>>> from datetime import date
>>> [kind for kind, _day in holiday_dates(date(2024, 1, 1), date(2024, 12, 31))]
['new_year', 'spring_festival', 'mid_autumn']
>>> holiday_dates(date(2024, 2, 1), date(2024, 2, 29))
[('spring_festival', datetime.date(2024, 2, 10))]
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from churnguard.workflow.errors import InvalidInputError
from churnguard.workflow.lunar import YEARS, mid_autumn, spring_festival
from churnguard.workflow.models import CareEvent, Customer, utcnow
from churnguard.workflow.services.frames import read_frame, records
from churnguard.workflow.services.loyalty import record_contact


def holiday_dates(start: date, end: date) -> list[tuple[str, date]]:
    """The holidays in ``[start, end]`` as ``(kind, date)``, in date order."""
    out = []
    for year in range(start.year, end.year + 1):
        days = [("new_year", date(year, 1, 1))]
        if year in YEARS:
            days += [("spring_festival", spring_festival(year)), ("mid_autumn", mid_autumn(year))]
        out += [(kind, day) for kind, day in days if start <= day <= end]
    return sorted(out, key=lambda item: item[1])


def anniversaries(days: pd.Series, start: date, end: date) -> pd.Series:
    """The next anniversary of each date in ``days`` within ``[start, end]`` (NaT when none);
    29 February falls on 28 February in other years.

    Examples
    --------
    >>> s = pd.Series(pd.to_datetime(["1990-03-05", "1992-02-29", "1980-12-01"]))
    >>> anniversaries(s, date(2023, 2, 20), date(2023, 3, 10)).dt.date.tolist()
    [datetime.date(2023, 3, 5), datetime.date(2023, 2, 28), NaT]
    """
    days = pd.to_datetime(days)
    found = pd.Series(pd.NaT, index=days.index, dtype="datetime64[ns]")
    for year in range(start.year, end.year + 1):  # a year or two, not per customer
        leap = pd.Timestamp(year=year, month=1, day=1).is_leap_year
        day = days.dt.day.where(~((days.dt.month == 2) & (days.dt.day == 29)) | leap, 28)
        this_year = pd.to_datetime(pd.DataFrame({"year": year, "month": days.dt.month,
                                                 "day": day}), errors="coerce")
        inside = (this_year >= pd.Timestamp(start)) & (this_year <= pd.Timestamp(end)) & (
            this_year > days)
        found = found.where(found.notna() | ~inside, this_year)
    return found


def generate_care_events(session: Session, *, start: date, days_ahead: int = 60) -> int:
    """Create the care events of every active customer in ``[start, start + days_ahead]``
    (existing ones are kept; running again adds nothing). Returns how many were created."""
    if days_ahead < 0:
        raise InvalidInputError(f"days_ahead={days_ahead} is negative.")
    end = start + timedelta(days=days_ahead)
    customers = read_frame(session, select(Customer.id.label("customer_id"), Customer.birthday,
                                           Customer.signup_date).where(
        Customer.status == "active"))
    if customers.empty:
        return 0
    parts = []
    for kind, column in (("birthday", "birthday"), ("contract_anniversary", "signup_date")):
        when = anniversaries(customers[column], start, end)
        part = customers.loc[when.notna(), ["customer_id"]].assign(kind=kind,
                                                                   event_date=when.dropna())
        parts.append(part)
    for kind, day in holiday_dates(start, end):
        parts.append(customers[["customer_id"]].assign(kind=kind, event_date=pd.Timestamp(day)))
    parts = [part for part in parts if not part.empty]
    if not parts:
        return 0
    events = pd.concat(parts, ignore_index=True)
    events["event_date"] = pd.to_datetime(events["event_date"]).dt.date
    existing = read_frame(session, select(CareEvent.customer_id, CareEvent.kind,
                                          CareEvent.event_date).where(
        CareEvent.event_date >= start, CareEvent.event_date <= end))
    if not existing.empty:
        merged = events.merge(existing, how="left", indicator=True,
                              on=["customer_id", "kind", "event_date"])
        events = events[(merged["_merge"] == "left_only").to_numpy()]
    rows = records(events.assign(status="planned"))
    if rows:
        session.execute(insert(CareEvent), rows)
    return len(rows)


def complete_care_event(session: Session, event: CareEvent, *, done: bool = True,
                        now: datetime | None = None) -> CareEvent:
    """Mark a care event done (a touch that counts toward contact pressure) or skipped."""
    if event.status != "planned":
        raise InvalidInputError(f"care event {event.id} is already {event.status}.")
    event.status = "done" if done else "skipped"
    if done:
        record_contact(session, event.customer_id, channel="care", source="care",
                       source_id=event.id, at=now or utcnow())
    session.flush()
    return event
