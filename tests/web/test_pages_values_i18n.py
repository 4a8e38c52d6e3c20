"""Data values the app itself defines (segments, channels, reason codes, kinds) and the error
pages read in the reader's language; a company's own values are shown as they are."""

from __future__ import annotations

import re

from churnguard.i18n import translate_value
from tests.web.pages_support import client_for, shop, shop_template  # noqa: F401


def _cell(page: str, marker: str) -> str:
    match = re.search(marker + r'[^>]*>([^<]*)<', page)
    assert match, marker
    return match.group(1)


def test_known_codes_translate_and_unknown_values_stay_as_they_are():
    assert translate_value("segment", "smb", "zh") == "中小企业"
    assert translate_value("segment", "smb", "en") == "Small business"
    assert translate_value("channel", "online", "zh") == "线上"
    assert translate_value("kind", "complaint", "zh") == "投诉"
    assert translate_value("segment", "连锁药店", "en") == "连锁药店"
    assert translate_value("segment", float("nan"), "zh") == "–"


def test_segments_read_in_chinese_on_the_lists(shop):  # noqa: F811
    _, app, _ = shop
    client = client_for(app, "rep1", lang="zh")
    listed = client.get("/customers").text
    assert "中小企业" in listed and "企业客户" in listed
    assert ">smb<" not in listed and ">enterprise<" not in listed
    worklist = client.get("/my-customers").text
    assert "smb" not in re.sub(r"<[^>]+>", "", worklist).replace("&middot;", "")
    customer = client.get("/customers/a").text
    assert "中小企业" in customer


def test_complaint_reason_codes_read_in_both_languages(shop):  # noqa: F811
    _, app, _ = shop
    zh = client_for(app, "rep1", lang="zh").get("/complaints").text
    assert _cell(zh, 'data-reason="price"') == "价格因素"
    en = client_for(app, "rep1", lang="en").get("/complaints").text
    assert _cell(en, 'data-reason="price"') == "Price"


def test_the_403_page_explains_in_the_readers_language(shop):  # noqa: F811
    _, app, _ = shop
    zh = client_for(app, "rep1", lang="zh").get("/dashboard")
    assert zh.status_code == 403
    assert "此页面仅限经理或管理员使用；您当前的角色是客户经理。" in zh.text
    assert "needs the role" not in zh.text
    en = client_for(app, "rep1", lang="en").get("/dashboard")
    assert "This page is for Manager or Administrator; you are signed in as Sales rep." in en.text
    other = client_for(app, "rep1", lang="zh").get("/customers/c")
    assert other.status_code == 403 and "客户 c 属于其他负责人的客户" in other.text
    missing = client_for(app, "rep1", lang="zh").get("/customers/zz")
    assert missing.status_code == 404 and "客户 zz 不存在。" in missing.text


def test_the_api_keeps_its_english_message(shop):  # noqa: F811
    _, app, _ = shop
    client = client_for(app, "rep1", lang="zh")
    response = client.get("/api/customers/c", headers={"accept": "application/json"})
    assert response.status_code == 403
    assert "belongs to another owner's book" in response.json()["detail"]


def _audit_table(page: str) -> str:
    start = page.index('id="audit"')
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page[start:page.index("</table>", start)]))


def test_customer_page_names_the_owner_and_reads_the_audit_trail(shop):  # noqa: F811
    from churnguard.workflow.models import Customer, User
    from churnguard.workflow.services.tasks import create_task

    _, app, ids = shop
    with app.state.sessionmaker() as db:
        db.get(User, ids["rep2"]).display_name = "李强"
        customer = db.get(Customer, "a")
        customer.owner_id = ids["rep2"]  # the ORM hook audits the change
        create_task(db, customer, kind="call", title_key="tasktitle.introduction",
                    title_params={"name": "A 公司"})
        db.commit()
    zh = client_for(app, "admin", lang="zh").get("/customers/a").text
    assert re.search(r'id="owner"[^>]*>李强 <span class="muted">\(rep2\)', zh)
    trail = _audit_table(zh)
    assert "负责人改为 李强" in trail
    assert "新建任务：" in trail and "A 公司" in trail
    assert "{" not in trail and "owner_id" not in trail and "title_key" not in trail
    en = _audit_table(client_for(app, "admin", lang="en").get("/customers/a").text)
    assert "Owner changed to 李强" in en and "Task created: Introduce yourself to A 公司" in en
