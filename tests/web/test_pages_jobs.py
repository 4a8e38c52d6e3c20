"""The job page (progress polled by htmx while running) and the job history on Admin."""

from __future__ import annotations

import threading

from churnguard.errors import DataImportError
from churnguard.web.app import create_app
from churnguard.workflow.jobs import start_job, wait_for
from tests.web.pages_support import client_for, seed_store


def test_job_page_polls_while_running_and_admin_lists_the_history(tmp_path):
    app = create_app(database_url=f"sqlite:///{tmp_path / 'app.db'}")
    seed_store(app)
    factory = app.state.sessionmaker
    started, release = threading.Event(), threading.Event()

    def work(job):
        job.progress(3, total=10, step="import")
        job.add(rows=3)
        job.flush()
        started.set()
        release.wait(60)
        job.add(rows=7)

    running = start_job(factory, "refresh", work)
    assert started.wait(60)
    admin = client_for(app, "admin")
    page = admin.get(f"/jobs/{running}")
    assert page.status_code == 200
    assert f'hx-get="/jobs/{running}/progress"' in page.text and 'value="3"' in page.text
    release.set()
    assert wait_for(running, 60)

    def bad(job):
        raise DataImportError("orders.csv row 2, column amount: 'x' is not a number.")

    failed = start_job(factory, "refresh", bad, background=False)
    fragment = admin.get(f"/jobs/{running}/progress")
    assert 'data-status="succeeded"' in fragment.text and "hx-trigger" not in fragment.text
    history = admin.get("/admin").text
    table = history[history.index('id="jobs"'):]
    assert f'data-job="{failed}"' in table and f'data-job="{running}"' in table
    assert "orders.csv row 2, column amount" in table and ">10<" in table
    zh = client_for(app, "admin", lang="zh").get(f"/jobs/{failed}").text
    assert "失败" in zh
    rep = client_for(app, "rep1").get(f"/jobs/{running}", follow_redirects=False)
    assert rep.status_code == 403
    assert admin.get("/jobs/9999").status_code == 404
