"""The JSON API under ``/api``; one module per resource."""

from __future__ import annotations

from fastapi import APIRouter

from churnguard.web.api import (
    archive,
    audit,
    auth,
    campaigns,
    care,
    cases,
    complaints,
    customers,
    kpis,
    surveys,
    sync,
    tasks,
    users,
)

router = APIRouter(prefix="/api")
for _module in (auth, customers, tasks, complaints, cases, campaigns, care, archive, surveys,
                users, audit, kpis, sync):
    router.include_router(_module.router)
