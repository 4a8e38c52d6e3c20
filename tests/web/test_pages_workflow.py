"""Complaints queue, campaigns, churn archive, improvements and admin pages."""

from __future__ import annotations

import re

from sqlalchemy import select

from churnguard.workflow.jobs import wait_for
from churnguard.workflow.models import (
    Campaign,
    CampaignMember,
    Complaint,
    Customer,
    HandOver,
    ImprovementCustomer,
    Job,
    Survey,
    Task,
    User,
)
from tests.web.pages_support import client_for, post, shop, shop_template  # noqa: F401


def test_queue_orders_by_deadline_and_marks_overdue(shop):  # noqa: F811
    _, app, _ = shop
    page = client_for(app, "manager").get("/complaints").text
    assert re.findall(r'id="complaint-(\d+)"', page) == ["1", "2"]
    assert re.search(r'id="complaint-1" class="[^"]*overdue', page)
    assert not re.search(r'id="complaint-2" class="[^"]*overdue', page)
    rep2 = client_for(app, "rep2").get("/complaints").text
    assert re.findall(r'id="complaint-(\d+)"', rep2) == ["2"]


def test_resolve_with_compensation_sends_the_follow_up_survey(shop):  # noqa: F811
    _, app, _ = shop
    client = client_for(app, "rep1")
    response = post(client, "/complaints/1/resolve", {
        "resolution": "退还差价", "compensation": "88.5", "compensation_note": "voucher",
        "version": "1", "survey": "true"})
    assert response.status_code == 303
    with app.state.sessionmaker() as db:
        complaint = db.get(Complaint, 1)
        assert (complaint.status, complaint.compensation, complaint.resolution) == (
            "resolved", 88.5, "退还差价")
        survey = db.scalar(select(Survey).where(Survey.complaint_id == 1))
        assert survey.kind == "complaint_follow_up"
        assert db.scalar(select(Task).where(Task.kind == "complaint_follow_up")) is not None
    resolved = client.get("/complaints?status=resolved").text
    assert "退还差价" in resolved and "¥88" in resolved


def test_resolving_needs_a_resolution_and_the_current_version(shop):  # noqa: F811
    _, app, _ = shop
    client = client_for(app, "rep1")
    empty = post(client, "/complaints/1/resolve", {"resolution": " ", "version": "1"})
    assert empty.status_code == 422 and "say how the complaint was resolved" in empty.text
    stale = post(client, "/complaints/1/resolve", {"resolution": "ok", "version": "7"})
    assert stale.status_code == 409
    other = post(client, "/complaints/2/resolve", {"resolution": "ok", "version": "1"})
    assert other.status_code == 403


def test_campaign_from_a_filter_with_holdout_and_results(shop):  # noqa: F811
    _, app, _ = shop
    client = client_for(app, "manager")
    preview = client.get("/campaigns/preview?segment=enterprise").text
    assert 'data-count="2"' in preview
    response = post(client, "/campaigns", {"name": "大客户回访", "kind": "retention",
                                           "segment": "enterprise", "holdout_share": "0.5",
                                           "status": "", "create_tasks": "true"})
    assert response.status_code == 303
    with app.state.sessionmaker() as db:
        campaign = db.scalar(select(Campaign))
        members = db.scalars(select(CampaignMember)).all()
        assert campaign.name == "大客户回访" and campaign.holdout_share == 0.5
        assert sorted(m.customer_id for m in members) == ["b", "d"]
        assert sorted(m.group for m in members) == ["holdout", "treatment"]
        treated = next(m for m in members if m.group == "treatment")
        assert db.get(Task, treated.task_id).customer_id == treated.customer_id
        for member in members:
            member.outcome = "success" if member.group == "treatment" else "failure"
        db.commit()
    page = client.get(response.headers["location"]).text
    assert "100.0%" in page and "+100.0 pp" in page
    assert "大客户回访" in client.get("/campaigns").text


def test_campaign_filter_that_selects_nobody_is_refused(shop):  # noqa: F811
    _, app, _ = shop
    response = post(client_for(app, "manager"), "/campaigns",
                    {"name": "x", "status": "churned", "holdout_share": "0.2"})
    assert response.status_code == 422 and "selects no customers" in response.text


def test_campaign_that_mails_customers_needs_a_valid_template(shop):  # noqa: F811
    _, app, _ = shop
    client = client_for(app, "manager")
    base = {"name": "x", "segment": "enterprise", "status": "", "holdout_share": "0"}
    nothing = post(client, "/campaigns", base)
    assert nothing.status_code == 422 and "choose at least one" in nothing.text
    typo = post(client, "/campaigns", {**base, "channel": "email", "subject_en": "Hi {nmae}",
                                       "body_en": "b"})
    assert typo.status_code == 422 and "unknown field {nmae}" in typo.text
    ok = post(client, "/campaigns", {**base, "channel": "email", "offer": "9折",
                                     "subject_zh": "{name}专享", "body_zh": "{offer}"})
    assert ok.status_code == 303
    with app.state.sessionmaker() as db:
        campaign = db.scalar(select(Campaign))
        assert campaign.templates == {"zh": {"subject": "{name}专享", "body": "{offer}"}}
        # the shop's customers have no address: nobody mailed, each says why
        reasons = {m.skipped_reason for m in db.scalars(select(CampaignMember))}
        assert reasons == {"no_address"}
    assert "Not contacted: no email address" in client.get(ok.headers["location"]).text


def test_reps_cannot_run_campaigns(shop):  # noqa: F811
    _, app, _ = shop
    assert client_for(app, "rep1").get("/campaigns").status_code == 403


def test_improvement_links_complainers_and_notifies_them(shop):  # noqa: F811
    _, app, _ = shop
    client = client_for(app, "manager", lang="zh")
    assert post(client, "/improvements", {"reason": "price", "description": "老客户价格锁定"}
                ).status_code == 303
    page = client.get("/improvements").text
    assert "老客户价格锁定" in page and "0 / 1" in page
    assert post(client, "/improvements/1/notify").status_code == 303
    with app.state.sessionmaker() as db:
        link = db.scalar(select(ImprovementCustomer))
        assert (link.customer_id, link.notified) == ("a", True)
    assert "1 / 1" in client.get("/improvements").text


def test_handover_moves_customers_with_intro_tasks(shop):  # noqa: F811
    _, app, ids = shop
    client = client_for(app, "manager")
    response = post(client, "/admin/handover", {"from_user": ids["rep1"], "to_user": ids["rep2"],
                                                "reason": "离职", "leaving": "true"})
    # a background job: the answer is its page, which shows the progress
    assert response.status_code == 303 and response.headers["location"].startswith("/jobs/")
    job_id = int(response.headers["location"].rsplit("/", 1)[1])
    assert wait_for(job_id, timeout=60)
    assert client.get(f"/jobs/{job_id}").status_code == 200
    with app.state.sessionmaker() as db:
        job = db.get(Job, job_id)
        assert (job.kind, job.status, job.done, job.total) == ("handover", "succeeded", 2, 2)
        assert db.get(User, ids["rep1"]).left_on is not None  # leaving: login stops today
        owners = {c.id: c.owner_id for c in db.scalars(select(Customer))}
        assert owners["a"] == owners["b"] == ids["rep2"]
        assert len(db.scalars(select(HandOver)).all()) == 2
        intro = db.scalars(select(Task).where(Task.kind == "introduction")).all()
        assert sorted(t.customer_id for t in intro) == ["a", "b"]


def test_import_upload_loads_good_rows(shop, tmp_path):  # noqa: F811
    ws, app, _ = shop
    csv = "customer_id,name,region\ne,戊公司,华南\n".encode()
    client = client_for(app, "manager")
    response = post(client, "/admin/import", {"table": "customers"},
                    files={"upload": ("new.csv", csv, "text/csv")})
    assert response.status_code == 200
    assert "Loaded customers: 1 rows read, 1 inserted, 0 updated." in response.text
    assert "e" in ws.to_pandas("customers")["customer_id"].tolist()


def test_import_upload_shows_the_clis_validation_message(shop):  # noqa: F811
    ws, app, _ = shop
    csv = b"order_id,customer_id,order_date,amount\no9,a,2024-13-01,10\n"
    response = post(client_for(app, "manager"), "/admin/import", {"table": "orders"},
                    files={"upload": ("orders.csv", csv, "text/csv")})
    assert response.status_code == 200 and "Nothing was loaded." in response.text
    text = re.sub(r"\s+", " ", response.text)
    assert "orders.csv" in text and "order_date" in text and "2024-13-01" in text
    assert "o9" not in ws.to_pandas("orders")["order_id"].tolist()


def test_admin_adds_a_user_and_a_manager_cannot(shop):  # noqa: F811
    _, app, _ = shop
    admin = client_for(app, "admin")
    response = post(admin, "/admin/users", {"username": "rep3", "password": "long-enough-1",
                                            "role": "rep"})
    assert response.status_code == 303
    assert "rep3" in admin.get("/admin").text
    manager = client_for(app, "manager")
    assert post(manager, "/admin/users", {"username": "x", "password": "long-enough-1"}
                ).status_code == 403


def test_archive_visit_is_logged(shop):  # noqa: F811
    _, app, _ = shop
    client = client_for(app, "rep1")
    post(client, "/customers/b/churn", {"churn_date": "2024-05-18", "reason": "competitor"})
    assert post(client, "/archive/1/visit", {"note": "回访：考虑回来"}).status_code == 303
    row = client.get("/archive").text.split("2024-05-18")[1].split("</tr>")[0]
    assert re.search(r'class="num">1<', row)
    assert post(client_for(app, "rep2"), "/archive/1/visit", {"note": "x"}).status_code == 403


def test_admin_shows_the_rules_and_playbooks_in_force(shop):  # noqa: F811
    from churnguard.config import read_settings

    ws, app, _ = shop
    settings = ws.folder / "churnguard.toml"
    settings.write_text(settings.read_text() + "\n[rules.order_drop]\nthreshold = 0.6\n")
    ws.settings = read_settings(ws.folder)
    page = client_for(app, "manager", lang="zh").get("/admin").text
    table = page.split('id="rules-table"')[1].split("</table>")[0]
    row = table.split('data-rule="order_drop"')[1].split("</tr>")[0]
    assert "近90天订单数较前90天下降 60% 或以上" in row and "0.6" in row
    assert 'data-playbook="core_high_risk"' in page


def test_import_upload_with_a_very_long_name_loads(shop):  # noqa: F811
    ws, app, _ = shop
    csv = "customer_id,name\nf,己公司\n".encode()
    name = "x" * 300 + ".csv"  # over the 255 bytes a file name may have
    response = post(client_for(app, "manager"), "/admin/import", {"table": "customers"},
                    files={"upload": (name, csv, "text/csv")})
    assert response.status_code == 200
    assert "1 rows read, 1 inserted" in response.text
    assert "f" in ws.to_pandas("customers")["customer_id"].tolist()
