"""The KPI definitions catalog: every KPI the dashboard and the report show is defined in both
languages, with its Chinese name, and the report carries the definitions section."""

from __future__ import annotations

import re

import pytest

from churnguard.i18n import catalogue
from churnguard.report.definitions import DEFINED, kpi_definition, kpi_definitions
from churnguard.report.review import MORE_KPIS, TEN_KPIS

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("column", [c for c, _, _ in TEN_KPIS + MORE_KPIS])
def test_every_shown_kpi_is_defined_in_both_languages(column):  # noqa: ANN001
    english, chinese = kpi_definition(column, "en"), kpi_definition(column, "zh")
    assert english.formula != chinese.formula
    assert not CJK.search(english.formula) and not CJK.search(english.name)
    assert CJK.search(chinese.formula) and CJK.search(chinese.name)
    assert english.chinese_name == chinese.name == catalogue("zh")[f"kpi.{column}"]


def test_the_catalog_covers_the_new_revenue_kpis():
    assert {"nrr_mom", "grr_mom", "unattributed_revenue"} <= set(DEFINED)
    assert "twelve months" in kpi_definition("nrr", "en").formula
    assert "last month" in kpi_definition("nrr_mom", "en").formula


def test_unknown_kpis_are_left_out_or_refused():
    assert [d.column for d in kpi_definitions("zh", ["churn_rate", "nope"])] == ["churn_rate"]
    with pytest.raises(KeyError, match="nope"):
        kpi_definition("nope", "en")


def test_the_whole_catalog_in_order():
    assert [d.column for d in kpi_definitions("en")] == list(DEFINED)


def test_the_report_ends_with_the_definitions_of_its_kpis(tmp_path):  # noqa: ANN001
    from datetime import date

    from churnguard.report.monthly import write_monthly_report
    from tests.web.pages_support import make_shop

    ws = make_shop(tmp_path / "shop")
    try:
        english = write_monthly_report(ws, date(2024, 6, 1), tmp_path / "e.html", lang="en")
        chinese = write_monthly_report(ws, date(2024, 6, 1), tmp_path / "z.html", lang="zh")
    finally:
        ws.close()
    text = english.read_text("utf-8")
    section = text[text.index("<h2>KPI definitions</h2>") :]
    assert "<dt>Retention rate <span class='zh'>客户留存率</span></dt>" in section
    assert kpi_definition("winback_rate", "en").formula in section
    zh = chinese.read_text("utf-8")
    assert "<h2>指标定义</h2>" in zh and kpi_definition("churn_rate", "zh").formula in zh
