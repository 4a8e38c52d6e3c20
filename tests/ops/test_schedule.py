"""The server's schedule: the refresh starts when the (injected) clock passes the hour, once a
day, as a background job; one server worker runs it."""

from __future__ import annotations

from datetime import datetime, time

import pandas as pd

from churnguard import Workspace
from churnguard.web.app import create_app
from churnguard.web.schedule import Scheduler, claim, install, refresh_job
from churnguard.workflow.jobs import recent_jobs, wait_for


def test_the_scheduler_runs_once_each_day_when_the_clock_passes_the_hour():
    runs = []
    scheduler = Scheduler(time(2, 0), lambda: runs.append(1),
                          clock=lambda: datetime(2026, 12, 5, 1, 0))
    assert not scheduler.tick(datetime(2026, 12, 5, 1, 59, 59))
    assert scheduler.tick(datetime(2026, 12, 5, 2, 0, 30))
    assert not scheduler.tick(datetime(2026, 12, 5, 23, 0))
    assert scheduler.tick(datetime(2026, 12, 6, 2, 5))  # a late tick still runs that day's
    assert len(runs) == 2 and scheduler.due == datetime(2026, 12, 7, 2, 0)


def test_a_scheduled_refresh_imports_new_files_and_the_server_serves_them(shop):
    (shop / "incoming").mkdir()
    path = shop / "churnguard.toml"
    path.write_text(path.read_text(encoding="utf-8") + '\n[schedule]\nrefresh = "02:00"\n'
                    '[sources.erp]\ntable = "orders"\nfiles = "incoming/*.csv"\n',
                    encoding="utf-8")
    ws = Workspace.open(shop, mode="read")
    customer = ws.to_pandas("customers")["customer_id"].iloc[0]
    app = create_app(ws)
    before = ws.warehouse.version
    pd.DataFrame({"order_id": ["SCHED-1"], "customer_id": [customer],
                  "order_date": ["2026-06-30"], "amount": [9.0]}).to_csv(
        shop / "incoming" / "o.csv", index=False)
    started = []
    start = refresh_job(app, ws)
    scheduler = Scheduler(time(2, 0), lambda: started.append(start()),
                          clock=lambda: datetime(2026, 12, 5, 1, 0))
    assert scheduler.tick(datetime(2026, 12, 5, 2, 0))
    assert wait_for(started[0], 600)
    with app.state.sessionmaker() as session:
        job = recent_jobs(session)[0]
        assert (job.id, job.kind, job.status, job.rows) == (started[0], "refresh",
                                                             "succeeded", 1), job.message
    assert ws.warehouse.version != before  # the app moved to the refreshed data
    assert ws.table("orders").filter(ws.table("orders").order_id == "SCHED-1").count().execute()
    held = claim(shop)  # another worker holds the schedule: this one does not run it
    assert held is not None and install(app, ws) is None
    ws.close()
