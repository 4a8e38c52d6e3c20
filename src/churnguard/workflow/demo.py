"""Demo users for ``churnguard demo``: one login per role on the synthetic company.

Creates ``admin``, ``manager``, ``rep1`` and ``rep2`` (password ``demo``, address
``<username>@example.com``), makes ``manager`` the
two reps' manager, syncs the warehouse, and shares the customers between the two reps so each
role sees something different at once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select, update

from churnguard.workflow import audit
from churnguard.workflow.models import Customer, Task, User
from churnguard.workflow.services import auth, pushback
from churnguard.workflow.services.frames import read_frame
from churnguard.workflow.services.sync import sync
from churnguard.workflow.store import open_store, session_scope

DEMO_PASSWORD = "demo"
DEMO_USERS = (("admin", "admin"), ("manager", "manager"), ("rep1", "rep"), ("rep2", "rep"))


def seed_demo(ws: Any, *, as_of: date | None = None) -> dict[str, Any]:
    """Create the demo users, sync, and give the customers to ``rep1``/``rep2``.

    Returns ``{"users": [{"username", "role"}], "password": "demo", "customers": {username:
    count}, "sync": {...counts}, "database_url": ...}``. Running it again keeps the users
    (their passwords are reset to ``demo``).
    """
    factory = open_store(ws)
    with session_scope(factory) as session:
        users = _users(session)
        result = sync(ws, session, as_of=as_of, push=False)
        shares = _share_customers(session, [users["rep1"], users["rep2"]])
        pushback.push_back(ws, session)
    return {"users": [{"username": name, "role": role} for name, role in DEMO_USERS],
            "password": DEMO_PASSWORD, "customers": shares, "sync": result.counts,
            "as_of": result.as_of.isoformat(), "database_url": ws.app_database_url}


def _users(session: Any) -> dict[str, User]:
    users: dict[str, User] = {}
    for name, role in DEMO_USERS:
        user = session.scalar(select(User).where(User.username == name))
        if user is None:
            user = auth.create_user(session, name, DEMO_PASSWORD, role=role,
                                    display_name=name.capitalize())
        else:
            user.role = role
            auth.set_password(session, user, DEMO_PASSWORD)
        user.email = user.email or f"{name}@example.com"  # digests reach a local mailbox
        users[name] = user
    for rep in ("rep1", "rep2"):
        users[rep].manager_id = users["manager"].id
    session.flush()
    return users


def _share_customers(session: Any, reps: list[User]) -> dict[str, int]:
    """Alternate the customers (by id) between the reps, moving their open tasks along."""
    frame = read_frame(session, select(Customer.id, Customer.owner_id).order_by(Customer.id))
    if frame.empty:
        return {rep.username: 0 for rep in reps}
    frame["new_owner"] = [reps[i % len(reps)].id for i in range(len(frame))]
    moved = frame[frame["owner_id"].ne(frame["new_owner"])]
    if not moved.empty:
        session.execute(update(Customer), [
            {"id": cid, "owner_id": owner} for cid, owner in zip(
                moved["id"], moved["new_owner"].astype(int).tolist(), strict=True)])
        audit.record(session, "customers", [
            (cid, {"owner_id": None if old != old else int(old)}, {"owner_id": int(new)})
            for cid, old, new in zip(moved["id"], moved["owner_id"], moved["new_owner"],
                                     strict=True)], action="update")
    for rep in reps:
        mine = select(Customer.id).where(Customer.owner_id == rep.id)
        session.execute(update(Task).where(Task.customer_id.in_(mine), Task.status == "open")
                        .values(owner_id=rep.id, version=Task.version + 1),
                        execution_options={"synchronize_session": False})
    counts = frame["new_owner"].value_counts()
    return {rep.username: int(counts.get(rep.id, 0)) for rep in reps}
