"""Drill-through: the customers behind a dashboard chart point, as a page, CSV or xlsx.

``GET /dashboard/customers?view=…`` takes the dashboard's filters (month, segment, region,
owner) and the point's parameters (see :mod:`churnguard.report.drill`); every user sees only
the customers of their own book (a rep their customers, a manager their team's).
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from churnguard.report.charts import reason_label
from churnguard.report.drill import VIEWS, DrillError, drill_customers
from churnguard.web.deps import DbSession, PageUser
from churnguard.web.pages.common import language, render, warehouse
from churnguard.web.pages.dashboard import _month
from churnguard.web.pages.data import default_month, filter_options
from churnguard.workflow.errors import InvalidInputError
from churnguard.workflow.models import Customer, User
from churnguard.workflow.services import scope

router = APIRouter()
SHOWN = 500
TEXT_PARAMS = ("measure", "source", "target", "reason", "group", "tier")
FILTERS = ("segment", "region", "owner")
MAX_TEXT = 80


def drill_params(request: Request) -> tuple[str, date | None, dict[str, Any], dict[str, str]]:
    """The view, the month, the view's parameters and the dashboard filters of a request."""
    query = request.query_params
    view = query.get("view", "")
    if view not in VIEWS:
        raise InvalidInputError(f"view {view!r} is not one of {', '.join(VIEWS)}.")
    month = query.get("month") or None
    params: dict[str, Any] = {}
    for name in ("period", "cohort"):
        if query.get(name):
            params[name] = _month(query[name], date.today())
    if query.get("age"):
        try:
            params["age"] = int(query["age"])
        except ValueError:
            raise InvalidInputError(f"age {query['age']!r} is not a whole number.") from None
        if not 0 <= params["age"] <= 1200:
            raise InvalidInputError(f"age {params['age']} is not between 0 and 1200 months.")
    for name in TEXT_PARAMS:
        value = query.get(name)
        if value:
            if len(value) > MAX_TEXT:
                raise InvalidInputError(f"{name} is longer than {MAX_TEXT} characters.")
            params[name] = value
    filters = {k: query[k] for k in FILTERS if query.get(k)}
    for key, value in filters.items():
        if len(value) > MAX_TEXT:
            raise InvalidInputError(f"{key} is longer than {MAX_TEXT} characters.")
    return view, (_month(month, date.today()) if month else None), params, filters


def visible_ids(db: Any, user: User) -> set[str] | None:
    """The customer ids ``user`` may see (None: every customer, for admins)."""
    if user.role == "admin":
        return None
    return set(db.scalars(select(Customer.id).where(scope.customer_clause(user))).all())


def in_book(frame: pd.DataFrame, visible: set[str] | None) -> pd.DataFrame:
    """The rows of ``frame`` whose customer is in ``visible`` (all rows when None).

    Examples
    --------
    >>> in_book(pd.DataFrame({"customer_id": ["a", "b"]}), {"b"})["customer_id"].tolist()
    ['b']
    """
    if visible is None:
        return frame
    return frame[frame["customer_id"].astype(str).isin(visible)].reset_index(drop=True)


def with_profile(ws: Any, frame: pd.DataFrame, owners: dict[str, str]) -> pd.DataFrame:
    """``frame`` with each customer's name, segment, region and owner (by name) in front."""
    customers = ws.table("customers")
    wanted = [c for c in ("customer_id", "name", "segment", "region", "owner_id")
              if c in customers.columns]
    ids = frame["customer_id"].astype(str).tolist()
    profile = customers.filter(customers.customer_id.isin(ids)).select(*wanted).to_pandas()
    if "owner_id" in profile.columns:
        profile["owner"] = profile.pop("owner_id").map(
            lambda v: owners.get(str(v), str(v)) if v is not None and v == v else None)
    out = profile.merge(frame, on="customer_id", how="right")
    return out.sort_values("customer_id", kind="stable").reset_index(drop=True)


def labelled(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Column headers in ``lang`` for an export (``drill.col.<name>``)."""
    from churnguard.i18n import translate

    return frame.rename(columns={c: translate(f"drill.col.{c}", lang) for c in frame.columns})


def heading(view: str, params: dict[str, Any], month: date, lang: str) -> str:
    """What the list is, in words: ``Churned in 2024-03``, ``Tier moves: Core → Churned``.

    Examples
    --------
    >>> heading("churned", {"period": date(2024, 3, 1)}, date(2024, 6, 1), "en")
    'Churned in 2024-03'
    """
    from churnguard.i18n import translate
    from churnguard.report.charts import tier_label

    any_text = translate("common.all", lang)
    values = {"period": f"{params.get('period') or month:%Y-%m}",
              "cohort": f"{params['cohort']:%Y-%m}" if params.get("cohort") else "",
              "age": params.get("age", ""),
              "measure": translate(f"dash.cohort_{params.get('measure', 'customers')}", lang),
              "source": tier_label(params["source"], lang) if params.get("source") else any_text,
              "target": tier_label(params["target"], lang) if params.get("target") else any_text,
              "reason": reason_label(params.get("reason", ""), lang),
              "group": params.get("group", ""),
              "tier": tier_label(params.get("tier", ""), lang), "month": f"{month:%Y-%m}"}
    return translate(f"drill.view.{view}", lang, **values)


@router.get("/dashboard/customers")
def drill_page(request: Request, user: PageUser, db: DbSession) -> Response:
    """The customers behind a chart point (``format=csv`` or ``xlsx`` downloads them)."""
    view, month, params, filters = drill_params(request)
    fmt = request.query_params.get("format", "html")
    outcome = request.query_params.get("outcome", "")
    lang = language(request)
    visible = visible_ids(db, user)
    with warehouse(request) as ws:
        month = month or default_month(ws)
        if ws is None:  # an app database alone: nobody to list
            frame = pd.DataFrame({"customer_id": pd.Series([], dtype=str)})
        else:
            try:
                frame = drill_customers(ws, view, month=month, **filters, **params)
            except DrillError as exc:
                raise InvalidInputError(str(exc)) from None
            frame = in_book(frame, visible)
            if outcome in ("retained", "lost") and "retained" in frame.columns:
                frame = frame[frame["retained"] == (outcome == "retained")]
            frame = with_profile(ws, frame, dict(filter_options(ws).owners))
    name = f"customers-{view}-{month:%Y-%m}"
    if fmt == "csv":
        data = labelled(frame, lang).to_csv(index=False).encode("utf-8-sig")
        return Response(data, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    if fmt == "xlsx":
        buffer = io.BytesIO()
        labelled(frame, lang).to_excel(buffer, index=False, sheet_name=view[:31])
        return Response(buffer.getvalue(), media_type="application/vnd.openxmlformats-"
                        "officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    if fmt != "html":
        raise InvalidInputError(f"format {fmt!r} is not one of html, csv, xlsx.")
    query = {k: v for k, v in request.query_params.items() if k not in ("format",)}
    return render(request, "drill.html", user, view=view, month=month, params=params,
                  heading=heading(view, params, month, lang),
                  filters=filters, rows=frame.head(SHOWN).to_dict("records"), total=len(frame),
                  shown=SHOWN, columns=[c for c in frame.columns if c != "customer_id"],
                  outcome=outcome, export_csv=urlencode({**query, "format": "csv"}),
                  export_xlsx=urlencode({**query, "format": "xlsx"}),
                  back=urlencode({"month": f"{month:%Y-%m}", **filters}),
                  query=query, urlencode=urlencode,
                  reason_label=lambda code: reason_label(str(code), lang))
