"""The team page: per rep, book size, high risk, profit at risk, save rate, tasks done and
overdue, complaints answered on time — worked out by hand on the shop of pages_support plus a
few cases, tasks and complaints added here; managers and admins only."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from churnguard.web.pages.team import team_table
from churnguard.workflow.models import Complaint, RiskCase, Task, User
from tests.web.pages_support import client_for, shop, shop_template  # noqa: F401


def add_work(app, ids) -> None:  # noqa: ANN001
    now, today = datetime.now(), date.today()
    with app.state.sessionmaker() as db:
        rep1, rep2 = ids["rep1"], ids["rep2"]
        for stage in ("recovered", "recovered", "lost"):
            db.add(RiskCase(customer_id="b", owner_id=rep1, stage=stage))
        db.add(RiskCase(customer_id="d", owner_id=rep2, stage="saving"))  # still open
        db.add(Task(customer_id="a", owner_id=rep1, title="done", status="done",
                    completed_at=now - timedelta(days=3)))
        db.add(Task(customer_id="a", owner_id=rep1, title="old", status="done",
                    completed_at=now - timedelta(days=40)))  # outside the 30 days
        db.add(Task(customer_id="c", owner_id=rep2, title="late", status="open",
                    due_date=today - timedelta(days=2)))
        db.add(Complaint(customer_id="c", owner_id=rep2, severity="low", reason="price",
                         description="x", status="responded", received_at=now - timedelta(days=9),
                         response_due_at=now - timedelta(days=7),
                         responded_at=now - timedelta(days=8)))
        db.commit()


def test_each_rep_in_numbers(shop):  # noqa: F811
    _, app, ids = shop
    add_work(app, ids)
    with app.state.sessionmaker() as db:
        table = team_table(db, db.get(User, ids["manager"])).set_index("name")
    rep1, rep2 = table.loc["rep1"], table.loc["rep2"]
    # rep1: a (p .2, ¥150) and b (p .9, ¥900); cases 2 recovered of 3 closed; one task done in
    # 30 days, the seeded "Call B" is due today (not overdue); complaint #1 due yesterday, open
    assert (rep1.customers, rep1.high_risk, rep1.profit_at_risk) == (2, 1, 1050.0)
    assert rep1.save_rate == 2 / 3 and rep1.tasks_done == 1 and rep1.tasks_overdue == 0
    assert (rep1.complaints_due, rep1.complaints_on_time, rep1.on_time_rate) == (1, 0, 0.0)
    # rep2: c (p .1, ¥10), d (p .7, ¥400); no closed case; one overdue task; complaint
    # answered a day before its deadline (the seeded one on c is due in 2 days: not counted)
    assert (rep2.customers, rep2.high_risk, rep2.profit_at_risk) == (2, 1, 410.0)
    assert rep2.save_rate != rep2.save_rate and rep2.tasks_overdue == 1  # NaN: no closed case
    assert (rep2.complaints_due, rep2.on_time_rate) == (1, 1.0)


def test_page_for_managers_only_and_in_the_nav(shop):  # noqa: F811
    _, app, ids = shop
    add_work(app, ids)
    page = client_for(app, "manager").get("/team")
    assert page.status_code == 200 and 'href="/team"' in page.text
    rows = re.findall(r'<tr data-rep="(\d+)"', page.text)
    assert sorted(int(r) for r in rows) == sorted([ids["rep1"], ids["rep2"]])
    assert "66.7%" in page.text and "¥1,050" in page.text
    chinese = client_for(app, "admin", lang="zh").get("/team").text
    assert "挽留成功率" in chinese and "投诉按时回复率" in chinese
    assert client_for(app, "rep1").get("/team").status_code == 403
    assert 'href="/team"' not in client_for(app, "rep1").get("/my-customers").text
