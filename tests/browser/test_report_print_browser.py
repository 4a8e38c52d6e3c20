"""The monthly report printed on A4: in Chromium's print layout (A4 width less the margins)
the wide KPI table and every chart fit the page width and no chart is split across pages;
the PDF itself is printed by the product's own path (headless Chromium)."""

from __future__ import annotations

from datetime import date

import pytest

from churnguard.report.monthly import write_monthly_report
from tests.web.pages_support import make_shop

pytestmark = pytest.mark.browser
A4_CONTENT_PX = round((210 - 22) / 25.4 * 96)  # 210 mm less the 11 mm margins, at 96 dpi
A4_PAGE_PX = (297 - 24) / 25.4 * 96


def test_report_fits_a4_in_print(browser, tmp_path):  # noqa: ANN001
    ws = make_shop(tmp_path / "shop")
    try:
        path = write_monthly_report(ws, date(2024, 6, 1), tmp_path / "r.html", lang="zh")
        pdf = write_monthly_report(ws, date(2024, 6, 1), tmp_path / "r.pdf", fmt="pdf")
        assert pdf.read_bytes().startswith(b"%PDF")
    finally:
        ws.close()
    page = browser.new_page(viewport={"width": A4_CONTENT_PX, "height": 1000})
    try:
        page.goto(path.as_uri())
        page.emulate_media(media="print")
        widths = page.evaluate(
            "[...document.querySelectorAll('table.data, .chart, .chart canvas')]"
            ".map(e => [e.className || e.tagName, e.getBoundingClientRect().right,"
            " e.scrollWidth, e.clientWidth])")
        assert widths, "nothing to measure"
        for name, right, scroll, client in widths:
            assert right <= A4_CONTENT_PX + 1, (name, right)
            if name == "data":
                assert scroll <= client + 1, "the KPI table is cut"
        charts = page.evaluate(
            "[...document.querySelectorAll('.chart')].map(e => {"
            " const r = e.getBoundingClientRect(); return [e.id, r.height,"
            " getComputedStyle(e).breakInside]; })")
        for chart_id, height, rule in charts:
            assert rule == "avoid", chart_id
            assert 0 < height < A4_PAGE_PX, (chart_id, height)  # fits on one page
    finally:
        page.close()
