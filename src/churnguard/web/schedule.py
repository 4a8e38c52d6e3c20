"""The server's schedule: ``[schedule] refresh = "02:00"`` runs ``churnguard refresh`` every
day at that local time, as a background job of the server.

With several server workers, only the one that holds ``.scheduler.lock`` in the workspace runs
the schedule. The clock is injectable: :meth:`Scheduler.tick` takes the time, so tests drive
it without waiting. A run missed while the server was down is not caught up: the next run is
the next time the clock passes the hour (run ``churnguard refresh`` by hand meanwhile).

Examples
--------
>>> from datetime import datetime, time
>>> next_run(datetime(2026, 12, 5, 1, 30), time(2, 0))
datetime.datetime(2026, 12, 5, 2, 0)
>>> next_run(datetime(2026, 12, 5, 2, 0), time(2, 0))
datetime.datetime(2026, 12, 6, 2, 0)
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from churnguard.errors import ConfigError

logger = logging.getLogger(__name__)
LOCK_FILE = ".scheduler.lock"
POLL_SECONDS = 30.0


def next_run(now: datetime, at: time) -> datetime:
    """The first moment strictly after ``now`` whose time of day is ``at``."""
    today = datetime.combine(now.date(), at)
    return today if today > now else today + timedelta(days=1)


def parse_at(text: str) -> time:
    """``"02:00"`` → ``time(2, 0)``, or a :class:`ConfigError` naming the setting."""
    try:
        hours, minutes = (int(part) for part in str(text).split(":"))
        return time(hours, minutes)
    except ValueError:
        raise ConfigError(f"churnguard.toml [schedule] refresh = {text!r}: use HH:MM, e.g. "
                          f"refresh = \"02:00\".") from None


class Scheduler:
    """Start ``run()`` when the clock passes ``at`` each day (see the module doc)."""

    def __init__(self, at: time, run: Callable[[], Any], *,
                 clock: Callable[[], datetime] = datetime.now) -> None:
        self.at = at
        self.run = run
        self.clock = clock
        self.due = next_run(clock(), at)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self, now: datetime | None = None) -> bool:
        """Run when due at ``now`` (default: the clock); True when it started a run."""
        now = now or self.clock()
        if now < self.due:
            return False
        self.due = next_run(now, self.at)
        try:
            self.run()
        except Exception:  # a failed start must not stop the schedule; the job records it
            logger.exception("scheduled refresh could not start")
        return True

    def start(self) -> None:
        """Tick every :data:`POLL_SECONDS` in a daemon thread until :meth:`stop`."""
        def loop() -> None:
            while not self._stop.wait(POLL_SECONDS):
                self.tick()

        self._thread = threading.Thread(target=loop, name="churnguard-schedule", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()


def claim(folder: Path) -> int | None:
    """The scheduler lock of the workspace (a file descriptor), or None when another server
    worker holds it."""
    fd = os.open(Path(folder) / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def refresh_job(app: Any, ws: Any) -> Callable[[], int]:
    """A function that starts ``churnguard refresh`` of ``ws`` as a background job of
    ``app`` and, when it is done, moves the app to the new data."""
    from churnguard.refresh import STEPS, refresh
    from churnguard.web import freshness
    from churnguard.workflow.jobs import start_job

    def work(job: Any) -> dict[str, Any]:
        def report(step: str, done: int, total: int | None) -> None:
            job.progress(STEPS.index(step), total=len(STEPS), step=step,
                         message=f"{step}: {done}/{total}")

        result = refresh(ws.folder, report=report)
        job.add(rows=result.rows)
        job.message = f"published {result.version}" if result.version else "nothing new"
        if ws.warehouse.mode == "read":
            freshness.follow(app, ws)
        return {"as_of": str(result.as_of), "imported": result.imported,
                "version": result.version}

    return lambda: start_job(app.state.sessionmaker, "refresh", work)


def install(app: Any, ws: Any) -> Scheduler | None:
    """Start the schedule of ``ws`` in this server process when it has one and this worker
    claims it; returns the running scheduler."""
    text = ws.settings.section("schedule").get("refresh")
    if not text:
        return None
    at = parse_at(text)
    fd = claim(ws.folder)
    if fd is None:
        return None
    scheduler = Scheduler(at, refresh_job(app, ws))
    scheduler.lock_fd = fd  # type: ignore[attr-defined]  # held while the server runs
    scheduler.start()
    logger.info("refresh scheduled daily at %s", at.strftime("%H:%M"))
    return scheduler
