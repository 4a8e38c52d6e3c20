"""``/api/audit``: the audit log (admins only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import select

from churnguard.constraints import RecordId
from churnguard.web.api.common import Page, Paging, paginate, paging
from churnguard.web.deps import Admin, DbSession
from churnguard.workflow.models import AuditEntry

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditPublic(BaseModel):
    id: int
    at: datetime
    actor_id: int | None
    action: str
    entity: str
    entity_id: str
    before: dict | None
    after: dict | None


@router.get("")
def list_audit(user: Admin, db: DbSession, paging: Annotated[Paging, Depends(paging)],
               entity: str | None = None, entity_id: str | None = None,
               actor_id: RecordId | None = None) -> Page[AuditPublic]:
    """Changes, newest first; filter by ``entity`` (table), ``entity_id`` or ``actor_id``."""
    query = select(AuditEntry)
    for column, value in ((AuditEntry.entity, entity), (AuditEntry.entity_id, entity_id),
                          (AuditEntry.actor_id, actor_id)):
        if value is not None:
            query = query.where(column == value)
    rows, total = paginate(db, query.order_by(AuditEntry.id.desc()), paging)
    return Page[AuditPublic](items=[AuditPublic.model_validate(r, from_attributes=True)
                                    for r in rows], total=total, page=paging.page,
                             page_size=paging.page_size)
