"""Login, landing pages by role, language negotiation and the language switch."""

from __future__ import annotations

from tests.web.pages_support import client_for, login, post, shop, shop_template  # noqa: F401


def test_visitor_is_sent_to_the_login_form(shop):  # noqa: F811
    _, app, _ = shop
    client = client_for(app, None)
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    form = client.get("/login").text
    assert 'name="username"' in form and 'name="password"' in form


def test_a_page_without_a_session_redirects_to_login_and_back(shop):  # noqa: F811
    _, app, _ = shop
    client = client_for(app, None)
    response = client.get("/dashboard?month=2024-06", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/dashboard%3Fmonth%3D2024-06"


def test_manager_lands_on_dashboard_and_rep_on_worklist(shop):  # noqa: F811
    _, app, _ = shop
    manager = client_for(app, None)
    assert login(manager, "manager").headers["location"] == "/dashboard"
    rep = client_for(app, None)
    assert login(rep, "rep1").headers["location"] == "/my-customers"
    assert rep.get("/", follow_redirects=False).headers["location"] == "/my-customers"


def test_wrong_password_shows_the_form_again_with_a_message(shop):  # noqa: F811
    _, app, _ = shop
    client = client_for(app, None, lang="zh")
    response = login(client, "rep1", password="nope")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    assert client.get("/my-customers", follow_redirects=False).status_code == 303


def test_login_form_needs_the_csrf_token(shop):  # noqa: F811
    _, app, _ = shop
    client = client_for(app, None)
    client.get("/login")
    response = client.post("/login", data={"username": "rep1", "password": "x"},
                           follow_redirects=False)
    assert response.status_code == 403


def test_chinese_when_the_browser_prefers_it_and_the_switch_overrides(shop):  # noqa: F811
    _, app, _ = shop
    client = client_for(app, "rep1", lang="zh")
    page = client.get("/my-customers").text
    assert "我的客户" in page and 'lang="zh-CN"' in page
    switched = client.get("/lang/en?next=/my-customers", follow_redirects=False)
    assert switched.headers["location"] == "/my-customers"
    assert "lang=en" in switched.headers["set-cookie"]
    page = client.get("/my-customers").text
    assert "My customers" in page and "我的客户" not in page


def test_english_browser_gets_english(shop):  # noqa: F811
    _, app, _ = shop
    page = client_for(app, None, lang="en").get("/login").text
    assert "Sign in" in page and "登录" not in page.split("lang-switch")[0]


def test_switch_never_redirects_off_site(shop):  # noqa: F811
    _, app, _ = shop
    response = client_for(app, None).get("/lang/zh?next=//evil.example", follow_redirects=False)
    assert response.headers["location"] == "/"


def test_logout_ends_the_session(shop):  # noqa: F811
    _, app, _ = shop
    client = client_for(app, "rep1")
    assert post(client, "/logout").headers["location"] == "/login"
    assert client.get("/my-customers", follow_redirects=False).status_code == 303
