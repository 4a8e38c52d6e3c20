"""Every page in the reader's language: a walk through every page a manager, an admin and a rep
can open, in 中文 and in English, that fails on any English word in Chinese mode (and any
Chinese in English mode) outside customer data.

The heuristic reads the visible text nodes (and placeholders and tooltips). Customer data —
names, complaint texts, regions, ids, the model's English diagnostics — is marked
``translate="no"`` in the templates (the HTML attribute for text that is not to be
translated) and skipped; numbers, units and a short list of product names and acronyms are
allowed. One browser, pages in sequence.
"""

from __future__ import annotations

import re

import pytest

from tests.web.pages_support import PASSWORD

pytestmark = pytest.mark.browser

VISIBLE_TEXT = r"""
() => {
  const out = [];
  const skipped = (el) => el.closest('script,style,noscript,template,[translate=no]');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const text = node.nodeValue.trim();
    const el = node.parentElement;
    if (!text || !el || skipped(el)) continue;
    if (el.tagName !== 'OPTION' && !el.getClientRects().length) continue;  // hidden
    out.push(text);
  }
  for (const el of document.querySelectorAll('[placeholder],[title],[aria-label]')) {
    if (skipped(el)) continue;
    for (const name of ['placeholder', 'title', 'aria-label']) {
      if (el.getAttribute(name)) out.push(el.getAttribute(name));
    }
  }
  return out;
}
"""
#: words allowed in Chinese mode: product names, acronyms a Chinese team uses as they are
ALLOWED = {"churnguard", "CLV", "RFM", "NPS", "CSAT", "KPI", "NRR", "GRR", "CSV", "Excel",
           "BG", "NBD", "Gamma", "Pareto", "ECharts", "ID", "pp", "PDF", "xlsx", "Parquet",
           "SMTP", "TOML", "toml", "Kaplan", "Meier", "ABC"}
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
CHINESE = re.compile(r"[\u4e00-\u9fff]")
PLACEHOLDER = re.compile(r"\{\w+\}")  # a message template's {name}, shown to explain it


def foreign_texts(texts: list[str], lang: str) -> list[str]:
    """The texts that are in the other language.

    Examples
    --------
    >>> foreign_texts(["客户 C0001", "CLV 模型", "Save", "12.5%"], "zh")
    ['Save']
    >>> foreign_texts(["Customers", "保存"], "en")
    ['保存']
    """
    if lang == "en":
        return [t for t in texts if CHINESE.search(t)]
    return [t for t in texts if any(w not in ALLOWED for w in ENGLISH_WORD.findall(
        PLACEHOLDER.sub("", t)))]


def _login(browser, base: str, user: str, locale: str):  # noqa: ANN001, ANN202
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 860})
    context.set_default_timeout(120_000)
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")
    return context, page


def _walk(browser, base: str, user: str, lang: str) -> dict[str, list[str]]:  # noqa: ANN001
    context, page = _login(browser, base, user, "zh-CN" if lang == "zh" else "en-US")
    try:
        nav = page.eval_on_selector_all("#mainnav a[href^='/']",
                                        "els => els.map(e => e.getAttribute('href'))")
        paths = list(dict.fromkeys(nav + ["/customers/a", "/customers/b",
                                          "/complaints?status=resolved", "/dashboard",
                                          "/admin", "/my-customers?list=lapsing"]))
        found = {}
        for path in paths:
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            bad = foreign_texts(page.evaluate(VISIBLE_TEXT), lang)
            if bad:
                found[path] = sorted(set(bad))[:12]
        return found
    finally:
        context.close()


@pytest.mark.parametrize("user", ["admin", "manager", "rep1"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_is_in_the_readers_language(browser, live_app, user, lang):  # noqa: ANN001
    assert _walk(browser, live_app, user, lang) == {}


def test_campaign_form_counts_targets_on_load_and_results_fit(browser, live_app):  # noqa: ANN001
    context, page = _login(browser, live_app, "manager", "en-US")
    try:
        page.goto(live_app + "/campaigns")
        page.wait_for_selector("#preview-count")  # no field touched yet
        count = page.locator("#preview-count").get_attribute("data-count")
        assert count == "0"  # status "churned" is preselected: no customer of the shop
        form = page.locator("#new-campaign")
        form.locator("select[name=status]").select_option("")
        page.wait_for_selector("#preview-count[data-count='4']")
        form.locator("input[name=name]").fill("Spring win-back 2026")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        page.goto(live_app + "/campaigns")
        wrap = page.locator(".table-wrap:has(#campaign-list)")
        overflow = wrap.evaluate("el => el.scrollWidth - el.clientWidth")
        assert overflow <= 0, f"the results table is {overflow}px wider than its card"
    finally:
        context.close()
