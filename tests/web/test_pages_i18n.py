"""Both catalogues are complete, every label a template uses exists, negotiation rules."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from churnguard.i18n import catalogue, negotiate_language, translate

TEMPLATES = resources.files("churnguard.web").joinpath("templates")
PAGES = resources.files("churnguard.web").joinpath("pages")


def test_catalogues_hold_the_same_keys_and_no_empty_text():
    zh, en = catalogue("zh"), catalogue("en")
    assert set(zh) == set(en)
    assert not [k for k in zh if not zh[k].strip() or not en[k].strip()]


def test_chinese_labels_are_chinese():
    zh = catalogue("zh")
    latin_only = [k for k, v in zh.items() if not re.search(r"[\u4e00-\u9fff]", v)
                  and k not in ("common.none", "customer.rfm", "app.name", "report.subtitle",
                                "tasktitle.text")]  # a task's own texts: "{zh}"
    assert latin_only == []


def test_every_static_key_used_by_templates_and_pages_exists():
    used = set()
    for folder, pattern in ((TEMPLATES, r"(?<![\w.])t\('([a-z_.0-9]+)'"),
                            (PAGES, r"translate\(\"([a-z_.0-9]+)\"")):
        for item in folder.iterdir():
            if item.name.endswith((".html", ".py")):
                used |= set(re.findall(pattern, item.read_text("utf-8")))
    static = {key for key in used if not key.endswith(".")}
    assert len(static) > 100
    assert sorted(static - set(catalogue("en"))) == []


def test_every_value_shown_through_a_key_prefix_has_a_label():
    from churnguard.io.schema import INTERACTION_KINDS
    from churnguard.report.review import MORE_KPIS, TEN_KPIS
    from churnguard.workflow.models import ROLES
    from churnguard.workflow.models.campaigns import CAMPAIGN_KINDS, OUTCOMES
    from churnguard.workflow.models.care import CARE_KINDS
    from churnguard.workflow.models.complaints import COMPLAINT_STATUSES, SEVERITIES
    from churnguard.workflow.models.tasks import TASK_KINDS, TASK_STATUSES
    from churnguard.workflow.services.surveys import SURVEY_KINDS

    wanted = {f"campaigns.kind.{k}" for k in CAMPAIGN_KINDS} | {
        f"outcome.{k}" for k in OUTCOMES} | {f"care.{k}" for k in CARE_KINDS} | {
        f"severity.{k}" for k in SEVERITIES} | {f"cstatus.{k}" for k in COMPLAINT_STATUSES} | {
        f"role.{k}" for k in ROLES} | {f"kpi.{c}" for c, _, _ in TEN_KPIS + MORE_KPIS} | {
        f"task.{k}" for k in TASK_KINDS} | {
        f"customer.status.{k}" for k in ("active", "churned", "prospect")} | {
        f"group.{k}" for k in ("treatment", "holdout")} | {
        f"tier.{k}" for k in ("core", "growth", "maintain", "low")} | {
        f"ikind.{k}" for k in INTERACTION_KINDS} | {f"ikind.{k}" for k in SURVEY_KINDS} | {
        f"tstatus.{k}" for k in TASK_STATUSES}
    assert sorted(wanted - set(catalogue("en"))) == []


@pytest.mark.parametrize(("header", "cookie", "expected"), [
    ("zh-CN,zh;q=0.9,en;q=0.8", None, "zh"),
    ("en-US,en;q=0.9,zh;q=0.8", None, "en"),
    ("fr-FR,zh-TW;q=0.5", None, "zh"),
    ("fr-FR", None, "en"),
    ("zh;q=0.3,en;q=0.3", None, "zh"),
    ("zh-CN", "en", "en"),
    (None, "xx", "en"),
])
def test_negotiation(header, cookie, expected):
    assert negotiate_language(header, cookie=cookie) == expected


def test_placeholders_are_filled_and_unknown_keys_show_themselves():
    assert translate("admin.import_ok", "zh", table="orders", rows=3, inserted=2, updated=1) == \
        "已导入 orders：读取 3 行，新增 2 行，更新 1 行。"
    assert translate("no.such.key", "zh") == "no.such.key"
