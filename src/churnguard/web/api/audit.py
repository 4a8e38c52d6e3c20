"""``/api/audit``: the audit log (admins only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import and_, func, select, true

from churnguard.constraints import RecordId
from churnguard.web.api.common import Page, Paging, paging
from churnguard.web.deps import Admin, DbSession
from churnguard.workflow.models import AuditEntry
from churnguard.workflow.services import history

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditPublic(BaseModel):
    id: int
    at: datetime
    actor_id: int | None
    action: str
    entity: str
    entity_id: str
    before: dict | str | None  # "(unreadable)" for an entry whose JSON is damaged
    after: dict | str | None


@router.get("")
def list_audit(user: Admin, db: DbSession, paging: Annotated[Paging, Depends(paging)],
               entity: str | None = None, entity_id: str | None = None,
               actor_id: RecordId | None = None) -> Page[AuditPublic]:
    """Changes, newest first; filter by ``entity`` (table), ``entity_id`` or ``actor_id``."""
    where = [column == value for column, value in (
        (AuditEntry.entity, entity), (AuditEntry.entity_id, entity_id),
        (AuditEntry.actor_id, actor_id)) if value is not None]
    total = db.scalar(select(func.count()).select_from(AuditEntry).where(*where)) or 0
    rows = history.read_entries(db, and_(true(), *where), limit=paging.page_size,
                                offset=(paging.page - 1) * paging.page_size)
    return Page[AuditPublic](items=[AuditPublic(**vars(r)) for r in rows], total=total,
                             page=paging.page, page_size=paging.page_size)
