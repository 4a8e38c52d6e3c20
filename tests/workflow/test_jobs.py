"""Background jobs: progress, outcome and failures recorded in the ``jobs`` table."""

from __future__ import annotations

import subprocess
import sys
import threading

from churnguard.errors import DataImportError
from churnguard.workflow.jobs import (
    duration,
    fail_interrupted,
    recent_jobs,
    start_job,
    wait_for,
    worker_name,
)
from churnguard.workflow.models import Job
from churnguard.workflow.services.auth import create_user


def test_a_background_job_reports_progress_while_it_runs_and_its_outcome(store):
    with store() as session:
        boss = create_user(session, "boss", "password1", role="admin")
        session.commit()
        boss_id = boss.id
    halfway, release = threading.Event(), threading.Event()

    def work(job):
        job.progress(0, total=4, step="load")
        job.progress(2, step="score")  # a new step is written at once
        job.add(rows=2, errors=1)
        job.flush()
        halfway.set()
        release.wait(60)
        job.add(rows=2)
        return {"scored": 4}

    job_id = start_job(store, "refresh", work, requested_by=boss_id)
    assert halfway.wait(60)
    with store() as session:
        running = session.get(Job, job_id)
        assert (running.status, running.step, running.done, running.total) == (
            "running", "score", 2, 4)
        assert (running.rows, running.errors, running.ended_at) == (2, 1, None)
    release.set()
    assert wait_for(job_id, 60)
    with store() as session:
        done = session.get(Job, job_id)
        assert (done.status, done.done, done.rows, done.errors) == ("succeeded", 4, 4, 1)
        assert done.detail == {"scored": 4} and done.requested_by == boss_id
        assert done.worker == worker_name() and duration(done) >= 0
        assert [j.id for j in recent_jobs(session, kind="refresh")] == [job_id]


def test_a_failing_job_keeps_the_message_that_says_what_failed(store):
    def bad_file(job):
        job.progress(1, total=3, step="import")
        raise DataImportError("orders.csv row 3, column order_date: '2024-13-01' is not a date.")

    def bug(job):
        return {"x": 1 / 0}

    first = start_job(store, "refresh", bad_file, background=False)
    second = start_job(store, "refresh", bug, background=False)
    with store() as session:
        failed = session.get(Job, first)
        assert (failed.status, failed.step, failed.done) == ("failed", "import", 1)
        assert failed.message.startswith("orders.csv row 3, column order_date")
        assert session.get(Job, second).message == "ZeroDivisionError: division by zero"


def test_jobs_of_a_process_that_died_are_marked_interrupted(store):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    host = worker_name().rsplit(":", 1)[0]
    with store() as session:
        session.add_all([Job(kind="refresh", status="running", worker=f"{host}:{dead}"),
                         Job(kind="refresh", status="running", worker=worker_name()),
                         Job(kind="refresh", status="running", worker="elsewhere:1")])
        session.commit()
        assert fail_interrupted(session) == 2  # the dead process's and this one's orphan
        session.commit()
        states = {j.worker: j.status for j in session.query(Job)}
    assert states == {f"{host}:{dead}": "failed", worker_name(): "failed",
                      "elsewhere:1": "running"}
