"""Sync of staff (→ users) and customers (→ owners) from the warehouse into the app store.

A staff member becomes a user (``username`` = staff id, no password: they cannot log in until
an admin sets one). A customer's owner follows the warehouse's ``owner_id`` only when the
warehouse changed it since the last sync, so reassignments made in the app stick.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from churnguard.workflow import audit
from churnguard.workflow.models import Customer, User
from churnguard.workflow.services.frames import as_date, plain, read_frame, records

CUSTOMER_FIELDS = ("name", "segment", "region", "birthday", "signup_date", "contract_end")


def sync_staff(session: Session, staff: pd.DataFrame) -> dict[str, int]:
    """Create or update one user per staff row; returns counts. Managers named in
    ``manager_id`` become role ``manager`` when sync created them."""
    users = {u.staff_id: u for u in session.scalars(select(User).where(User.staff_id.is_not(None)))}
    taken = set(session.scalars(select(User.username)))
    managers = set(staff["manager_id"].dropna()) if "manager_id" in staff else set()
    created = 0
    for row in staff.to_dict("records"):
        staff_id = str(row["staff_id"])
        user = users.get(staff_id)
        if user is None:
            name = staff_id if staff_id not in taken else f"staff-{staff_id}"
            user = User(username=name, staff_id=staff_id, password_hash=None,
                        role="manager" if staff_id in managers else "rep")
            session.add(user)
            users[staff_id] = user
            taken.add(name)
            created += 1
        display = plain(row.get("name"))
        if display and user.display_name != display:
            user.display_name = display
    session.flush()
    for row in staff.to_dict("records"):
        user = users[str(row["staff_id"])]
        manager = users.get(str(plain(row.get("manager_id")))) if plain(
            row.get("manager_id")) else None
        if manager is not None and user.manager_id != manager.id and manager is not user:
            user.manager_id = manager.id
        left = as_date(row.get("left_date"))
        if left != user.left_on and left is not None:
            user.left_on = left
    session.flush()
    return {"users_created": created, "staff": len(staff)}


def staff_user_ids(session: Session) -> dict[str, int]:
    """``staff_id → user id`` for every synced staff member."""
    rows = session.execute(select(User.staff_id, User.id).where(User.staff_id.is_not(None)))
    return {staff_id: user_id for staff_id, user_id in rows}


def sync_customers(session: Session, customers: pd.DataFrame, *,
                   now: datetime) -> dict[str, int]:
    """Insert new customers and update changed ones in bulk (audited); returns counts."""
    owners = staff_user_ids(session)
    incoming = _incoming(customers, owners)
    existing = read_frame(session, select(
        Customer.id, Customer.owner_id, Customer.warehouse_owner_id,
        *[getattr(Customer, f) for f in CUSTOMER_FIELDS])).set_index("id")
    new = incoming[~incoming.index.isin(existing.index)]
    if len(new):
        rows = records(new.reset_index().assign(synced_at=now))
        session.execute(insert(Customer), rows)
        audit.record(session, "customers", [(r["id"], None, r) for r in rows], action="insert")
    changes = _changes(incoming[incoming.index.isin(existing.index)], existing)
    if changes:
        session.execute(update(Customer), [{"id": key, **after, "synced_at": now}
                                           for key, _before, after in changes])
        audit.record(session, "customers", changes, action="update")
    moved = sum(1 for _k, _b, after in changes if "owner_id" in after)
    return {"customers_created": len(new), "customers_updated": len(changes),
            "owners_changed": moved}


def _incoming(customers: pd.DataFrame, owners: dict[str, int]) -> pd.DataFrame:
    frame = pd.DataFrame({"id": customers["customer_id"].astype(str)})
    for name in CUSTOMER_FIELDS:
        frame[name] = customers.get(name)
    for name in ("birthday", "signup_date", "contract_end"):
        frame[name] = pd.to_datetime(frame[name]).dt.date
    frame["warehouse_owner_id"] = customers.get("owner_id")
    frame["owner_id"] = frame["warehouse_owner_id"].map(owners).astype("Int64").astype(object)
    frame["owner_id"] = frame["owner_id"].where(frame["owner_id"].notna(), None)
    return frame.set_index("id")


def changed(new: pd.Series, old: pd.Series) -> pd.Series:
    """Element-wise "value differs" where two missing values count as equal.

    Examples
    --------
    >>> changed(pd.Series([1, None, 3.0]), pd.Series([1, None, 4.0])).tolist()
    [False, False, True]
    """
    both_missing = new.isna().to_numpy() & old.isna().to_numpy()
    equal = (new.to_numpy() == old.to_numpy())
    return pd.Series(~(equal | both_missing), index=new.index)


def diff_rows(new: pd.DataFrame, old: pd.DataFrame, columns: list[str]
              ) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """``(key, before, after)`` for the rows of ``new`` whose ``columns`` differ from ``old``
    (both indexed by the key; only the changed columns are listed)."""
    old = old.loc[new.index]
    masks = pd.DataFrame({c: changed(new[c], old[c]) for c in columns}, index=new.index)
    rows = masks.index[masks.any(axis=1)]
    out = []
    for key in rows:  # only the changed rows, usually few
        cols = [c for c in columns if masks.at[key, c]]
        out.append((str(key), {c: plain(old.at[key, c]) for c in cols},
                    {c: plain(new.at[key, c]) for c in cols}))
    return out


def _changes(incoming: pd.DataFrame, existing: pd.DataFrame
             ) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    incoming = incoming.copy()
    moved = changed(incoming["warehouse_owner_id"],
                    existing.loc[incoming.index, "warehouse_owner_id"])
    incoming.loc[~moved, "owner_id"] = existing.loc[incoming.index[~moved], "owner_id"]
    return diff_rows(incoming, existing, [*CUSTOMER_FIELDS, "warehouse_owner_id", "owner_id"])


def as_of_date(value: date | datetime | str | None) -> date | None:
    """A date from the CLI/API (``None`` stays ``None``)."""
    return as_date(value)
