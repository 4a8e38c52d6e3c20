"""Tiny hand-built app-store records for tests."""

from __future__ import annotations

from sqlalchemy.orm import Session

from churnguard.workflow.models import Customer, User
from churnguard.workflow.services.auth import create_user


def team(db: Session) -> dict[str, User]:
    """admin; manager ``mia`` with reps ``ann`` and ``bo``; manager ``max`` with rep ``cy``."""
    users = {"admin": create_user(db, "admin", "pw-admin", role="admin")}
    users["mia"] = create_user(db, "mia", "pw-mia", role="manager")
    users["max"] = create_user(db, "max", "pw-max", role="manager")
    users["ann"] = create_user(db, "ann", "pw-ann", role="rep", manager_id=users["mia"].id)
    users["bo"] = create_user(db, "bo", "pw-bo", role="rep", manager_id=users["mia"].id)
    users["cy"] = create_user(db, "cy", "pw-cy", role="rep", manager_id=users["max"].id)
    return users


def customer(db: Session, customer_id: str, owner: User | None, **fields: object) -> Customer:
    """A customer owned by ``owner``."""
    row = Customer(id=customer_id, name=fields.pop("name", customer_id.upper()),
                   owner_id=owner.id if owner else None, **fields)
    db.add(row)
    db.flush()
    return row
