"""The Admin page says which spend estimator the latest scoring used and what the CLV fits
warned about (only the latest scoring's warnings), in the reader's language."""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from tests.web.pages_support import client_for, shop, shop_template  # noqa: F401

WARNING = "GammaGamma: q = 1.01 <= 1, so the mean spend per purchase is infinite."


def _card(page: str) -> str:
    return page.split('id="value-models"')[1].split('id="rules"')[0]


def _scored(ws, day: date, estimator: str) -> None:  # noqa: ANN001
    ws.warehouse.replace("risk_scores", pa.table({
        "customer_id": ["a", "b"], "as_of": pa.array([day, day]), "p_churn": [0.2, 0.9],
        "spend_estimator": [estimator, estimator]}))


def test_admin_page_shows_the_latest_fit_warnings_and_estimator(shop):  # noqa: F811
    ws, app, _ = shop
    _scored(ws, date(2024, 7, 1), "shrinkage")
    ws.warehouse.replace("value_fit_notes", pa.table({
        "as_of": pa.array([date(2024, 6, 1), date(2024, 7, 1)]),
        "estimator": ["gamma_gamma", "shrinkage"],
        "message": ["BetaGeo: a is not identified (an old fit).", WARNING]}))
    card = _card(client_for(app, "manager").get("/admin").text)
    assert "Latest scoring 2024-07-01" in card and 'data-estimator="shrinkage"' in card
    assert "shrunk towards the group average" in card
    assert WARNING.replace("<", "&lt;") in card and "an old fit" not in card
    zh = _card(client_for(app, "admin", lang="zh").get("/admin").text)
    assert "客户价值模型" in zh and "稳健估计" in zh and "警告" in zh


def test_a_clean_latest_fit_shows_no_old_warnings(shop):  # noqa: F811
    ws, app, _ = shop
    _scored(ws, date(2024, 8, 1), "gamma_gamma")  # scored after the notes: no warnings then
    ws.warehouse.replace("value_fit_notes", pa.table({
        "as_of": pa.array([date(2024, 7, 1)]), "estimator": ["shrinkage"],
        "message": [WARNING]}))
    card = _card(client_for(app, "manager").get("/admin").text)
    assert "2024-08-01" in card and 'data-estimator="gamma_gamma"' in card
    assert "fitted without warnings" in card and "infinite" not in card


def test_without_scores_the_card_says_how_to_get_them(shop):  # noqa: F811
    _, app, _ = shop
    assert "churnguard score" in _card(client_for(app, "manager").get("/admin").text)
