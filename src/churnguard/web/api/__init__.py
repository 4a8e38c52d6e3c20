"""The JSON API under ``/api``; one module per resource."""

from __future__ import annotations

from fastapi import APIRouter

from churnguard.web.api import auth, customers, kpis, tasks

router = APIRouter(prefix="/api")
for _module in (auth, customers, tasks, kpis):
    router.include_router(_module.router)
