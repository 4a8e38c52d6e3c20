"""The retention dashboard (managers and admins): the month's KPIs, trends and service goals."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from churnguard.constraints import MAX_MONEY, check_day, check_number
from churnguard.report import charts
from churnguard.report.definitions import kpi_definitions
from churnguard.report.drill import chart_drill
from churnguard.report.goals import load_goals, save_goals
from churnguard.report.review import MORE_KPIS, TEN_KPIS, Review, monthly_review
from churnguard.web.pages.common import (
    page_role,
    redirect,
    render,
    safe_next,
    to_json,
    warehouse,
)
from churnguard.web.pages.data import FilterOptions, default_month, filter_options
from churnguard.workflow.errors import InvalidInputError
from churnguard.workflow.models import User

router = APIRouter()
Manager = Annotated[User, page_role("manager", "admin")]
CHARTS = (("trend", "dash.trend", charts.trend_option, 300),
          ("logo_vs_revenue", "dash.logo_vs_revenue", charts.logo_vs_revenue_option, 300))
PANEL_CHARTS = (("cohort", "dash.cohort", charts.cohort_option, 400),
                ("cohort_buyers", "dash.cohort_buyers_title", charts.cohort_option, 400),
                ("migration", "dash.migration", charts.sankey_option, 360),
                ("pareto", "dash.pareto", charts.pareto_option, 340),
                ("survival", "dash.survival", charts.survival_option, 340),
                ("risk_by_tier", "dash.risk_by_tier", charts.risk_by_tier_option, 300))


def _month(text: str | None, fallback: date) -> date:
    if not text:
        return fallback
    try:
        chosen = date.fromisoformat(text[:7] + "-01")
    except ValueError:
        raise InvalidInputError(f"month {text!r} is not YYYY-MM.") from None
    return check_day(chosen, name="month")


def _none(value: str | None) -> str | None:
    return value or None


@router.get("/dashboard")
def dashboard(request: Request, user: Manager, month: str | None = None,
              segment: str | None = None, region: str | None = None,
              owner: str | None = None) -> Response:
    """The ten loyalty KPIs with trend arrows, the charts and the service goals."""
    from churnguard.web.pages.common import language

    lang = language(request)
    with warehouse(request) as ws:
        if ws is None:
            return render(request, "dashboard.html", user, review=None, options=FilterOptions(),
                          filters={}, charts=[], kpi_kinds={}, definitions={})
        chosen = _month(month, default_month(ws))
        options = filter_options(ws)
        review = monthly_review(ws, chosen, segment=_none(segment), region=_none(region),
                                owner=_none(owner))
    return render(request, "dashboard.html", user, review=review, options=options,
                  filters={"month": chosen.strftime("%Y-%m"), "segment": segment or "",
                           "region": region or "", "owner": owner or ""},
                  charts=chart_blocks(review, lang),
                  kpi_kinds={c: k for c, k, _ in TEN_KPIS + MORE_KPIS},
                  ten={c for c, _, _ in TEN_KPIS},
                  definitions={d.column: d for d in
                               kpi_definitions(lang, [c.column for c in review.cards])})


def chart_blocks(review: Review, lang: str) -> list[dict[str, Any]]:
    """Title, option JSON (or the panel that explains why it is empty) for each chart;
    kept with the cached review, so a reload does not rebuild them."""
    key = ("chart_blocks", lang)
    if key not in review.memo:
        review.memo[key] = _chart_blocks(review, lang)
    return review.memo[key]


def _chart_blocks(review: Review, lang: str) -> list[dict[str, Any]]:
    blocks = []
    for name, title, build, height in CHARTS:
        ok = review.kpis.ok
        blocks.append({"id": name, "title": title, "height": height, "panel": review.kpis,
                       "option": to_json(build(review.kpis.data, lang)) if ok else None,
                       "drill": to_json(chart_drill(name, review.kpis.data)) if ok else None})
    for name, title, build, height in PANEL_CHARTS:
        panel = review.panels.get(name)
        if panel is None:
            continue
        blocks.append({"id": name, "title": title, "height": height, "panel": panel,
                       "option": to_json(build(panel.data, lang)) if panel.ok else None,
                       "drill": to_json(chart_drill(name, panel.data)) if panel.ok else None})
    return blocks


@router.post("/dashboard/goals")
async def set_goals(request: Request, user: Manager) -> Response:
    """Save the service-goal targets (one form field per KPI; empty removes a goal)."""
    form = await request.form()
    known = {c for c, _, _ in TEN_KPIS + MORE_KPIS}
    goals: dict[str, float | None] = {}
    for key, value in form.items():
        if key not in known or not isinstance(value, str):
            continue
        text = value.strip().rstrip("%")
        if not text:
            goals[key] = None
            continue
        try:
            number = float(text)
        except ValueError:
            raise InvalidInputError(f"goal for {key}: {value!r} is not a number.") from None
        number = check_number(number, name=f"goal for {key}", low=-MAX_MONEY, high=MAX_MONEY)
        kind = dict((c, k) for c, k, _ in TEN_KPIS + MORE_KPIS)[key]
        goals[key] = number / 100 if kind == "percent" else number
    with warehouse(request) as ws:
        if ws is not None:
            current = load_goals(ws)
            current.update(goals)
            save_goals(ws, current)
    back = form.get("next")
    return redirect(safe_next(back if isinstance(back, str) else None, "/dashboard"))
