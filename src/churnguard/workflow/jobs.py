"""Background jobs (后台任务): long work run in a thread of the server or inline in the CLI,
recorded in the ``jobs`` table with its progress and outcome.

How to run work as a job::

    def work(job: JobHandle) -> dict | None:
        job.progress(0, total=len(ids), step="reassign")
        for start in range(0, len(ids), 500):        # batches, not one customer at a time
            ...                                          # open your own session(s) here
            job.progress(start + 500)
            job.add(rows=500)
        return {"moved": len(ids)}                       # stored in jobs.detail

    job_id = start_job(factory, "handover", work, requested_by=user.id)   # returns at once
    # the CLI: start_job(..., background=False) runs it here and returns when it is done

``factory`` is the app store's ``sessionmaker``: the job writes its row in short sessions of
its own, so the work's transactions and the progress updates never wait for each other. The
work's return value (a JSON-able dict) becomes ``jobs.detail``. A :class:`ChurnguardError`
fails the job with its message; any other exception fails it with the exception's text (and is
logged with its traceback). The web app shows a job at ``/jobs/{id}`` and the last jobs on the
Admin page.

Examples
--------
>>> import tempfile
>>> from churnguard.workflow import make_engine, make_sessionmaker, migrate
>>> url = "sqlite:///" + tempfile.mkdtemp() + "/app.db"
>>> migrate(url)
>>> factory = make_sessionmaker(make_engine(url))
>>> def count(job):
...     job.progress(2, total=2, step="counting")
...     job.add(rows=2)
...     return {"counted": 2}
>>> job_id = start_job(factory, "demo", count, background=False)
>>> with factory() as session:
...     job = session.get(Job, job_id)
...     (job.status, job.done, job.total, job.rows, job.detail)
('succeeded', 2, 2, 2, {'counted': 2})
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from churnguard.errors import ChurnguardError
from churnguard.workflow.db import session_scope
from churnguard.workflow.models import Job, utcnow

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.5
"""Seconds between two progress writes of a job (a new step or the end are written at once)."""

_THREADS: dict[int, threading.Thread] = {}

JobWork = Callable[["JobHandle"], "dict[str, Any] | None"]


class JobHandle:
    """What a running job's work gets: report progress, count rows and errors."""

    def __init__(self, factory: sessionmaker[Session], job_id: int) -> None:
        self.factory = factory
        self.id = job_id
        self.done = 0
        self.total: int | None = None
        self.step: str | None = None
        self.message: str | None = None
        self.rows = 0
        self.errors = 0
        self._written = 0.0

    def progress(self, done: int, total: int | None = None, *, step: str | None = None,
                 message: str | None = None) -> None:
        """``done`` of ``total`` units finished (in ``step``); written at most twice a second
        unless the step changes."""
        new_step = step is not None and step != self.step
        self.done = int(done)
        if total is not None:
            self.total = int(total)
        if step is not None:
            self.step = step[:40]
        if message is not None:
            self.message = message
        if new_step or time.monotonic() - self._written >= PROGRESS_INTERVAL:
            self.flush()

    def add(self, *, rows: int = 0, errors: int = 0) -> None:
        """Count ``rows`` handled and ``errors`` met (shown in the job history)."""
        self.rows += int(rows)
        self.errors += int(errors)

    def flush(self, **extra: Any) -> None:
        """Write the job's progress now."""
        self._written = time.monotonic()
        values = {"done": self.done, "total": self.total, "step": self.step, "rows": self.rows,
                  "errors": self.errors, "heartbeat_at": utcnow(), **extra}
        if self.message is not None:
            values.setdefault("message", self.message)
        with session_scope(self.factory) as session:
            session.execute(update(Job).where(Job.id == self.id).values(**values))


def start_job(factory: sessionmaker[Session], kind: str, work: JobWork, *,
              requested_by: int | None = None, total: int | None = None,
              background: bool = True) -> int:
    """Record a job of ``kind`` and run ``work(handle)``; returns the job's id.

    ``background=True`` runs it in a daemon thread and returns at once (the web app);
    ``False`` runs it before returning (the CLI, tests). See the module doc for the rest.
    """
    with session_scope(factory) as session:
        job = Job(kind=kind[:40], status="queued", requested_by=requested_by, total=total,
                  worker=worker_name(), done=0, rows=0, errors=0)
        session.add(job)
        session.flush()
        job_id = job.id
    handle = JobHandle(factory, job_id)
    handle.total = total
    if not background:
        _run(handle, work)
        return job_id
    thread = threading.Thread(target=_run, args=(handle, work), daemon=True,
                              name=f"churnguard-job-{job_id}")
    _THREADS[job_id] = thread
    thread.start()
    return job_id


def _run(handle: JobHandle, work: JobWork) -> None:
    handle.flush(status="running", started_at=utcnow())
    try:
        detail = work(handle)
    except ChurnguardError as exc:
        _finish(handle, "failed", str(exc))
    except Exception as exc:
        logger.exception("job %s failed", handle.id)
        _finish(handle, "failed", f"{type(exc).__name__}: {exc}")
    else:
        _finish(handle, "succeeded", handle.message, detail)
    finally:
        _THREADS.pop(handle.id, None)


def _finish(handle: JobHandle, status: str, message: str | None,
            detail: dict[str, Any] | None = None) -> None:
    if status == "succeeded" and handle.total is not None:
        handle.done = handle.total
    handle.message = message
    values: dict[str, Any] = {"status": status, "ended_at": utcnow()}
    if detail is not None:
        values["detail"] = detail
    handle.flush(**values)


def wait_for(job_id: int, timeout: float | None = None) -> bool:
    """Wait until a background job of this process ends; False on timeout."""
    thread = _THREADS.get(job_id)
    if thread is not None:
        thread.join(timeout)
        return not thread.is_alive()
    return True


def worker_name() -> str:
    """``host:pid`` of this process (who runs a job)."""
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def fail_interrupted(session: Session) -> int:
    """Mark jobs of this host whose process is gone as failed (the server calls this when it
    starts); returns how many."""
    host = socket.gethostname()
    stale = session.scalars(select(Job).where(Job.status.in_(("queued", "running")),
                                              Job.worker.like(f"{host}:%"))).all()
    count = 0
    for job in stale:
        pid = int(job.worker.rsplit(":", 1)[1]) if job.worker else 0
        if pid == os.getpid() and job.id in _THREADS:
            continue
        if pid != os.getpid() and _alive(pid):
            continue
        job.status, job.ended_at = "failed", utcnow()
        job.message = "interrupted: the process running it stopped before it finished."
        count += 1
    return count


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def duration(job: Job, *, now: datetime | None = None) -> float | None:
    """Seconds a job ran (so far, when it still runs); None before it started.

    Examples
    --------
    >>> from datetime import datetime
    >>> duration(Job(started_at=datetime(2026, 1, 1, 2), ended_at=datetime(2026, 1, 1, 2, 1, 30)))
    90.0
    """
    if job.started_at is None:
        return None
    return ((job.ended_at or now or utcnow()) - job.started_at).total_seconds()


def recent_jobs(session: Session, *, limit: int = 20, kind: str | None = None) -> list[Job]:
    """The latest jobs, newest first."""
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if kind is not None:
        query = query.where(Job.kind == kind)
    return list(session.scalars(query))
