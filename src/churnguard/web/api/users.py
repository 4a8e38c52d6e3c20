"""``/api/users``: the team, creating users (admins), leaving and hand-over (managers)."""

from __future__ import annotations

from typing import Annotated, Any

from annotated_types import MaxLen, MinLen
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from churnguard.constraints import Day, RecordId, ShortText
from churnguard.web.api.auth import UserPublic
from churnguard.web.api.customers import CustomerPublic, customer_public
from churnguard.web.deps import Admin, CurrentUser, DbSession, ManagedUser, Manager
from churnguard.workflow.models import User
from churnguard.workflow.services import auth, handover, scope

router = APIRouter(prefix="/users", tags=["users"])


class UserCreate(BaseModel):
    username: Annotated[str, MinLen(1), MaxLen(80)]
    password: ShortText
    role: ShortText = "rep"
    display_name: ShortText | None = None
    manager_id: RecordId | None = None


class Leaving(BaseModel):
    left_on: Day


class Reassign(BaseModel):
    customer_ids: list[str]
    to_user_id: RecordId


class BulkReassign(BaseModel):
    to_user_ids: list[RecordId]
    rule: ShortText = "least_loaded"


def _public(user: User) -> UserPublic:
    return UserPublic(id=user.id, username=user.username, display_name=user.display_name,
                      role=user.role, manager_id=user.manager_id)


@router.get("")
def list_users(user: CurrentUser, db: DbSession) -> list[UserPublic]:
    """Users the caller may see: all (admin), the team (manager), themselves (rep)."""
    rows = db.scalars(select(User).where(scope.user_clause(user)).order_by(User.username))
    return [_public(u) for u in rows]


@router.post("", status_code=201)
def create_user(body: UserCreate, user: Admin, db: DbSession) -> UserPublic:
    """Create a user (admins only)."""
    return _public(auth.create_user(db, body.username, body.password, role=body.role,
                                    display_name=body.display_name,
                                    manager_id=body.manager_id))


@router.post("/{user_id}/leave")
def leave(target: ManagedUser, body: Leaving, user: Manager, db: DbSession
          ) -> list[CustomerPublic]:
    """Mark a team member as leaving; returns their customers, flagged for hand-over."""
    return [customer_public(c) for c in handover.mark_leaving(db, target, left_on=body.left_on,
                                                              by=user)]


@router.get("/{user_id}/handover")
def handover_list(target: ManagedUser, user: Manager, db: DbSession) -> list[CustomerPublic]:
    """Customers still owned by a team member (most value at risk first)."""
    return [customer_public(c) for c in handover.handover_list(db, target)]


@router.post("/{user_id}/handover")
def reassign(target: ManagedUser, body: Reassign, user: Manager, db: DbSession
             ) -> dict[str, Any]:
    """Give some of this member's customers to ``to_user_id`` (introduction tasks follow)."""
    to_user = scope.get_managed_user(db, user, body.to_user_id)
    owned = {c.id for c in handover.handover_list(db, target)}
    moved = handover.reassign(db, [c for c in body.customer_ids if c in owned], to_user, by=user)
    return {"moved": len(moved), "skipped": len(set(body.customer_ids) - owned)}


@router.post("/{user_id}/handover/bulk")
def bulk(target: ManagedUser, body: BulkReassign, user: Manager, db: DbSession
         ) -> dict[str, Any]:
    """Hand all of this member's customers to ``to_user_ids`` by ``rule``."""
    to_users = [scope.get_managed_user(db, user, uid) for uid in body.to_user_ids]
    moved = handover.bulk_reassign(db, target, to_users, rule=body.rule, by=user)
    return {"moved": len(moved)}
