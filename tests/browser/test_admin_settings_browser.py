"""An administrator changes a warning-rule threshold, turns a rule off and edits a playbook on
the admin page in a real headless Chromium: a wrong value shows a message and changes nothing,
a right one is saved to churnguard.toml and shown; a manager sees the settings read-only."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from tests.browser.test_pages_browser import Session

pytestmark = pytest.mark.browser


@pytest.fixture
def admin(browser, live_app):  # noqa: ANN001, ANN201
    session = Session(browser, live_app, "admin")
    yield session
    session.close()
    assert session.errors == []


def settings_file(page) -> Path:  # noqa: ANN001
    """The churnguard.toml the page says it writes to."""
    help_text = page.locator("#rules p.muted").first.inner_text()
    return Path(re.search(r"(/\S+churnguard\.toml)", help_text).group(1))


def test_admin_changes_a_threshold_after_a_wrong_value(admin, screenshots):  # noqa: ANN001
    admin.open("/admin")
    page = admin.page
    path = settings_file(page)
    original = path.read_text(encoding="utf-8")
    row = page.locator("#rules-order_drop")
    row.locator("input[name=threshold]").fill("a lot")
    row.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    flash = page.locator(".flash.error")
    assert "Nothing was changed." in flash.inner_text()
    assert "threshold must be a number ≥ 0, received 'a lot'" in flash.inner_text()
    assert path.read_text(encoding="utf-8") == original
    admin.errors = [e for e in admin.errors if "422" not in e]  # the browser logs the status
    row = page.locator("#rules-order_drop")
    row.locator("input[name=threshold]").fill("0.65")
    row.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "Saved [rules.order_drop]" in page.locator(".flash").inner_text()
    assert page.locator("#rules-order_drop input[name=threshold]").input_value() == "0.65"
    owner_left = page.locator("#rules-owner_left")
    owner_left.locator("input[name=enabled]").uncheck()
    owner_left.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert not page.locator("#rules-owner_left input[name=enabled]").is_checked()
    text = path.read_text(encoding="utf-8")
    assert text.startswith(original)  # comments and every other section kept
    assert tomllib.loads(text)["rules"] == {"order_drop": {"threshold": 0.65},
                                            "owner_left": {"threshold": 180.0,
                                                           "enabled": False}}
    page.screenshot(path=str(screenshots / "admin-rules.png"), full_page=True)


def test_admin_edits_a_playbook_in_chinese(browser, live_app):  # noqa: ANN001
    session = Session(browser, live_app, "admin", locale="zh-CN")
    page = session.page
    session.open("/admin")
    form = page.locator("#playbooks-high_risk")
    form.locator("input[name=due_days]").fill("3")
    form.locator("input[name=title_zh]").fill("尽快拜访{name}")
    form.locator("select[name=task]").select_option("visit")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "已将 [playbooks.high_risk] 保存" in page.locator(".flash").inner_text()
    form = page.locator("#playbooks-high_risk")
    assert form.locator("input[name=title_zh]").input_value() == "尽快拜访{name}"
    assert form.locator("select[name=task]").input_value() == "visit"
    playbooks = tomllib.loads(settings_file(page).read_text(encoding="utf-8"))["playbooks"]
    assert playbooks["high_risk"]["due_days"] == 3 and "core_high_risk" in playbooks
    session.close()
    assert session.errors == []


def test_manager_sees_the_settings_without_forms(browser, live_app):  # noqa: ANN001
    session = Session(browser, live_app, "manager")
    session.open("/admin")
    page = session.page
    assert page.locator("#rules-table tr[data-rule]").count() >= 10
    assert page.locator("#rules form").count() == 0
    assert "Only an administrator can change these." in page.locator("#rules").inner_text()
    session.close()
    assert session.errors == []
