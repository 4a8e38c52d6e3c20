"""The admin page reads as text: rules say when they fire, playbooks as "when … then …",
no ``{placeholders}``, no raw TOML, no backticks; staff who have left show as left."""

from __future__ import annotations

import re
from datetime import date, timedelta

from churnguard.workflow.models import User
from tests.web.pages_support import client_for, shop, shop_template  # noqa: F401


def _text(page: str) -> str:
    body = page[page.index("<main"):]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def test_rules_and_playbooks_read_as_sentences(shop):  # noqa: F811
    _, app, _ = shop
    for user, lang in (("manager", "zh"), ("manager", "en"), ("admin", "zh")):
        page = client_for(app, user, lang=lang).get("/admin").text
        text = _text(page)
        assert "{v" not in text and "{name}" not in text and "`" not in text, (user, lang)
        assert '<pre class="toml">' not in page
    zh = _text(client_for(app, "manager", lang="zh").get("/admin").text)
    assert "近90天订单数较前90天下降 50% 或以上" in zh
    assert "核心客户：是；流失概率不低于 50%" in zh
    assert "2 天内电话：“致电核心客户‹名称›：流失风险 ‹流失概率›”" in zh
    en = _text(client_for(app, "manager", lang="en").get("/admin").text)
    assert "orders in the last 90 days fell by 50% or more against the 90 days before" in en
    assert "Risk band: High" in en and "Call within 7 days" in en


def test_staff_who_left_show_as_left_and_cannot_take_customers_over(shop):  # noqa: F811
    _, app, ids = shop
    left = date.today() - timedelta(days=3)
    with app.state.sessionmaker() as db:
        db.get(User, ids["rep2"]).left_on = left
        db.commit()
    page = client_for(app, "manager", lang="zh").get("/admin").text
    row = re.search(r'<tr data-user="rep2">.*?</tr>', page, re.S).group(0)
    assert f"已于 {left:%Y-%m-%d} 离职" in row and "在职" not in row
    assert "在职" in re.search(r'<tr data-user="rep1">.*?</tr>', page, re.S).group(0)
    target = re.search(r'<select name="to_user">.*?</select>', page, re.S).group(0)
    assert f'value="{ids["rep2"]}"' not in target and f'value="{ids["rep1"]}"' in target
