"""Background jobs in the web app: a job's page (progress polled with htmx) and the history
shown on the Admin page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from churnguard.constraints import RecordId
from churnguard.web.deps import DbSession
from churnguard.web.pages.common import page_role, render
from churnguard.workflow.errors import NotFoundError
from churnguard.workflow.jobs import duration
from churnguard.workflow.models import Job, User

router = APIRouter()
Manager = Annotated[User, page_role("manager", "admin")]


def _job(db: DbSession, job_id: int) -> Job:
    job = db.get(Job, job_id)
    if job is None:
        raise NotFoundError(f"job {job_id} does not exist.")
    return job


@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: RecordId, user: Manager, db: DbSession) -> Response:
    """One job: what it does now, how far it got, how it ended."""
    job = _job(db, job_id)
    return render(request, "job.html", user, job=job, seconds=duration(job))


@router.get("/jobs/{job_id}/progress")
def job_progress(request: Request, job_id: RecordId, user: Manager, db: DbSession
                 ) -> Response:
    """The progress block alone (htmx polls it every 2 s while the job runs)."""
    job = _job(db, job_id)
    return render(request, "_job_progress.html", user, job=job, seconds=duration(job))
