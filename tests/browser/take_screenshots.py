"""Screenshots of every page for docs/ (run against a served demo workspace).

Usage::

    churnguard demo --workspace churnguard-demo
    churnguard serve --workspace churnguard-demo --port 8000 &
    python -m tests.browser.take_screenshots http://127.0.0.1:8000 docs/screenshots
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

PAGES = {
    "manager": [("dashboard", "/dashboard"), ("team", "/team"),
                ("drill-churned", "/dashboard/customers?view=churned"),
                ("customers", "/customers"),
                ("complaints", "/complaints"), ("campaigns", "/campaigns"),
                ("archive", "/archive"), ("improvements", "/improvements"),
                ("admin", "/admin")],
    "rep1": [("worklist", "/my-customers")],
}


def take(base: str, folder: Path, *, password: str = "demo") -> list[Path]:
    """Log in as each demo user and save one full-page PNG per page and language."""
    from playwright.sync_api import sync_playwright

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for user, pages in PAGES.items():
            for lang, locale in (("zh", "zh-CN"), ("en", "en-US")):
                context = browser.new_context(locale=locale,
                                              viewport={"width": 1366, "height": 900})
                page = context.new_page()
                page.goto(base + "/login")
                page.fill("input[name=username]", user)
                page.fill("input[name=password]", password)
                page.click("form button[type=submit]")
                page.wait_for_load_state("networkidle")
                for name, path in pages:
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    target = folder / f"{name}-{lang}.png"
                    page.screenshot(path=str(target), full_page=name == "dashboard")
                    written.append(target)
                if user == "rep1":
                    first = page.locator("[data-customer] a").first
                    if first.count():
                        first.click()
                        page.wait_for_load_state("networkidle")
                        target = folder / f"customer-360-{lang}.png"
                        page.screenshot(path=str(target), full_page=True)
                        written.append(target)
                context.close()
            if user == "rep1":  # the rep's phone: worklist cards and the customer page
                written += _phone(browser, base, folder, user, password)
        browser.close()
    return written


def _phone(browser, base: str, folder: Path, user: str, password: str) -> list[Path]:  # noqa: ANN001
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844},
                                  has_touch=True, is_mobile=True)
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")
    written = [folder / "phone-worklist.png"]
    page.screenshot(path=str(written[0]), full_page=False)
    first = page.locator("[data-customer] a").first
    if first.count():
        first.click()
        page.wait_for_load_state("networkidle")
        written.append(folder / "phone-customer.png")
        page.screenshot(path=str(written[-1]), full_page=False)
    context.close()
    return written


if __name__ == "__main__":
    for path in take(sys.argv[1], Path(sys.argv[2])):
        print(path)
