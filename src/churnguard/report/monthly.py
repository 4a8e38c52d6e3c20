"""The monthly retention review as a file: self-contained HTML, an Excel workbook, or a PDF.

The content is the dashboard's (:func:`churnguard.report.review.monthly_review`): the ten
loyalty KPIs against the previous month, twelve-month trends, cohort triangle, logo vs revenue
churn, tier migration, the reason Pareto, survival by segment, risk by tier and service goals.

- ``html``: one file, ECharts embedded, opens offline.
- ``xlsx``: one sheet per table.
- ``pdf``: the HTML printed by headless Chromium (``--print-to-pdf``).

Examples
--------
>>> import tempfile
>>> from datetime import date
>>> from churnguard import Workspace
>>> ws = Workspace.create(tempfile.mkdtemp() + "/w")
>>> write_monthly_report(ws, date(2024, 6, 1), ws.folder / "r.html").name
'r.html'
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from churnguard.errors import ChurnguardError
from churnguard.i18n import format_number, translate
from churnguard.report import charts
from churnguard.report.document import Chart, Section, write_html
from churnguard.report.review import Review, monthly_review

FORMATS = ("html", "xlsx", "pdf")
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")


def write_monthly_report(ws: Any, month: date, path: str | Path, *, fmt: str = "html",
                         lang: str = "zh", segment: str | None = None,
                         region: str | None = None, owner: str | None = None) -> Path:
    """Write ``month``'s retention review to ``path`` as ``html``, ``xlsx`` or ``pdf``.

    Parameters
    ----------
    ws
        The workspace.
    month
        Any day of the month under review.
    path
        The file to write (its folder must exist).
    fmt
        ``"html"`` (self-contained, charts embedded), ``"xlsx"`` (one sheet per table) or
        ``"pdf"`` (printed by headless Chromium).
    lang
        ``"zh"`` (default) or ``"en"`` for every label.
    segment, region, owner
        Optional customer filter, as on the dashboard.

    Returns
    -------
    Path
        ``path``.
    """
    if fmt not in FORMATS:
        raise ChurnguardError(f"report format {fmt!r} is not one of {', '.join(FORMATS)}.")
    path = Path(path)
    if not path.parent.is_dir():
        raise ChurnguardError(f"{path.parent} does not exist; create the folder or choose "
                              f"another --output.")
    review = monthly_review(ws, month, segment=segment, region=region, owner=owner)
    if fmt == "xlsx":
        return write_workbook(review, path, lang=lang)
    title, subtitle = report_title(ws, review, lang)
    sections = review_sections(review, lang)
    if fmt == "html":
        return write_html(path, title, sections, subtitle=subtitle)
    with tempfile.TemporaryDirectory(prefix="churnguard-report-") as folder:
        page = write_html(Path(folder) / "report.html", title, sections, subtitle=subtitle)
        return print_pdf(page, path)


def report_title(ws: Any, review: Review, lang: str) -> tuple[str, str]:
    """The report's title and subtitle (month, workspace name, filters)."""
    company = Path(getattr(ws, "folder", "")).name
    subtitle = translate("report.subtitle", lang, month=review.month.strftime("%Y-%m"),
                         company=company)
    if review.filters:
        subtitle += " · " + ", ".join(f"{k}={v}" for k, v in review.filters.items())
    return translate("report.title", lang), subtitle


def review_sections(review: Review, lang: str) -> list[Section]:
    """The review as report sections (the dashboard's content, in its order)."""
    t = lambda key, **v: translate(key, lang, **v)  # noqa: E731
    sections = [Section(t("kpi.title"), html=cards_html(review, lang))]
    kpis = review.kpis.data
    if review.kpis.ok:
        sections.append(Section(t("dash.trend"), charts=[
            Chart("trend", charts.trend_option(kpis, lang)),
            Chart("logo_vs_revenue", charts.logo_vs_revenue_option(kpis, lang))],
            tables=[("", kpi_table(kpis, lang))]))
    else:
        sections.append(Section(t("dash.trend"), html=_empty(review.kpis, lang)))
    builders = (("cohort", "dash.cohort", charts.cohort_option, 420),
                ("migration", "dash.migration", charts.sankey_option, 360),
                ("pareto", "dash.pareto", charts.pareto_option, 340),
                ("survival", "dash.survival", charts.survival_option, 340),
                ("risk_by_tier", "dash.risk_by_tier", charts.risk_by_tier_option, 300))
    for name, title, build, height in builders:
        panel = review.panels[name]
        if panel.ok:
            sections.append(Section(t(title), charts=[Chart(name, build(panel.data, lang),
                                                            height=height)]))
        else:
            sections.append(Section(t(title), html=_empty(panel, lang)))
    sections.append(Section(t("dash.goals"), html=goals_html(review, lang)))
    sections.append(Section(t("def.title"), html=definitions_html(review, lang)))
    return sections


def definitions_html(review: Review, lang: str) -> str:
    """The definitions of the KPIs the report shows (name, Chinese name, formula)."""
    from churnguard.report.definitions import kpi_definitions

    items = "".join(
        f"<dt>{html.escape(d.name)}"
        + ("" if lang == "zh" else f" <span class='zh'>{html.escape(d.chinese_name)}</span>")
        + f"</dt><dd>{html.escape(d.formula)}</dd>"
        for d in kpi_definitions(lang, [c.column for c in review.cards] or None))
    note = html.escape(translate("def.note", lang))
    return f"<p class='notice'>{note}</p><dl class='definitions'>{items}</dl>"


def _empty(panel: Any, lang: str) -> str:
    if panel.missing:
        text = translate("common.module_missing", lang, what=panel.missing)
    elif panel.error:
        text = translate("common.error", lang, detail=panel.error)
    else:
        text = translate("common.empty", lang)
    return f"<p class='notice'>{html.escape(text)}</p>"


def cards_html(review: Review, lang: str) -> str:
    """The KPI cards as a compact table: this month, last month, change, arrow."""
    if not review.cards:
        return _empty(review.kpis, lang)
    head = "".join(f"<th>{html.escape(translate(k, lang))}</th>" for k in
                   ("kpi.title", "common.current", "common.previous", "common.change"))
    rows = []
    for card in review.cards:
        arrow = {"up": "▲", "down": "▼", "flat": "▬"}[card.arrow]
        color = {True: "#2f9e44", False: "#c92a2a", None: "#868e96"}[card.good]
        rows.append(
            f"<tr><td style='text-align:left'>{html.escape(translate('kpi.' + card.column, lang))}"
            f"</td><td>{display(card.value, card.kind)}</td>"
            f"<td>{display(card.previous, card.kind)}</td>"
            f"<td style='color:{color}'>{arrow} "
            f"{'' if card.arrow == 'flat' else display_change(card.change, card.kind)}</td></tr>")
    return f"<table class='data'><tr>{head}</tr>{''.join(rows)}</table>"


def goals_html(review: Review, lang: str) -> str:
    """Service goals with their progress."""
    if not review.goals:
        return f"<p class='notice'>{html.escape(translate('dash.no_goals', lang))}</p>"
    kinds = {c.column: c.kind for c in review.cards}
    rows = []
    for goal in review.goals:
        kind = kinds.get(goal.kpi, "percent")
        state = {True: "dash.goal_met", False: "dash.goal_missed", None: "common.empty"}[goal.met]
        progress = "" if goal.progress is None else f"{goal.progress:.0%}"
        rows.append(f"<tr><td style='text-align:left'>"
                    f"{html.escape(translate('kpi.' + goal.kpi, lang))}</td>"
                    f"<td>{'≤' if goal.lower_is_better else '≥'} {display(goal.target, kind)}</td>"
                    f"<td>{display(goal.actual, kind)}</td><td>{progress}</td>"
                    f"<td>{html.escape(translate(state, lang))}</td></tr>")
    head = "".join(f"<th>{html.escape(translate(k, lang))}</th>" for k in
                   ("kpi.title", "common.target", "common.current", "common.progress",
                    "common.status"))
    return f"<table class='data'><tr>{head}</tr>{''.join(rows)}</table>"


def display(value: float | None, kind: str) -> str:
    """A KPI value for people: percentages, counts, money, decimals.

    Examples
    --------
    >>> display(0.91234, "percent"), display(1234.0, "count"), display(2.345, "decimal")
    ('91.2%', '1,234', '2.35')
    """
    if kind == "percent":
        return format_number(value, percent=True)
    return format_number(value, digits=2 if kind == "decimal" else 0)


def display_change(change: float | None, kind: str) -> str:
    """A change for people; percentage changes are in points (pp).

    Examples
    --------
    >>> display_change(-0.012, "percent")
    '-1.2 pp'
    """
    if change is None:
        return "–"
    if kind == "percent":
        return f"{change * 100:+.1f} pp"
    return f"{change:+,.{2 if kind == 'decimal' else 0}f}"


def kpi_table(kpis: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The monthly KPI table with translated headers, percentages as text."""
    from churnguard.report.review import MORE_KPIS, TEN_KPIS

    shown = pd.DataFrame({translate("common.month", lang):
                          pd.to_datetime(kpis["period_start"]).dt.strftime("%Y-%m")})
    for column, kind, _ in TEN_KPIS + MORE_KPIS:
        if column in kpis.columns:
            shown[translate("kpi." + column, lang)] = [display(v, kind) for v in kpis[column]]
    return shown


def workbook_tables(review: Review, lang: str) -> dict[str, pd.DataFrame]:
    """Sheet name → table for the Excel workbook (raw numbers, not display strings)."""
    sheets: dict[str, pd.DataFrame] = {}
    if review.kpis.ok:
        sheets["kpis"] = review.kpis.data
    if review.cards:
        sheets["kpis_vs_previous"] = pd.DataFrame(
            [{"kpi": c.column, "label": translate("kpi." + c.column, lang), "value": c.value,
              "previous": c.previous, "change": c.change} for c in review.cards])
    for name, panel in review.panels.items():
        if panel.ok:
            sheets[name] = panel.data
    if review.goals:
        sheets["goals"] = pd.DataFrame([{"kpi": g.kpi, "target": g.target, "actual": g.actual,
                                         "progress": g.progress, "met": g.met}
                                        for g in review.goals])
    return sheets


def write_workbook(review: Review, path: Path, *, lang: str = "zh") -> Path:
    """Write one sheet per table (an ``about`` sheet first) to ``path`` atomically."""
    partial = path.with_name(path.name + ".partial.xlsx")
    about = pd.DataFrame({"field": ["report", "month", "filters"],
                          "value": [translate("report.title", lang),
                                    review.month.strftime("%Y-%m"),
                                    ", ".join(f"{k}={v}" for k, v in review.filters.items())]})
    with pd.ExcelWriter(partial, engine="openpyxl") as writer:
        about.to_excel(writer, sheet_name="about", index=False)
        for name, frame in workbook_tables(review, lang).items():
            _excel_safe(frame).to_excel(writer, sheet_name=name[:31], index=False)
    partial.replace(path)
    return path


def _excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = out[column].dt.tz_localize(None)
    return out


def find_chromium() -> str:
    """The headless browser used for PDFs: ``CHURNGUARD_CHROMIUM`` or one on the PATH."""
    explicit = os.environ.get("CHURNGUARD_CHROMIUM")
    if explicit:
        return explicit
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise ChurnguardError("PDF reports need Chromium: install it (apt-get install chromium) or "
                          "set CHURNGUARD_CHROMIUM=/path/to/chrome; --format html works without.")


def print_pdf(page: Path, path: Path, *, timeout: float = 120) -> Path:
    """Print the HTML file ``page`` to the PDF ``path`` with headless Chromium."""
    partial = path.with_name(path.name + ".partial.pdf")
    with tempfile.TemporaryDirectory(prefix="churnguard-chromium-") as profile:
        command = [find_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                   "--disable-background-networking", "--disable-component-update",
                   "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                   "--no-pdf-header-footer", "--virtual-time-budget=10000",
                   f"--print-to-pdf={partial}", page.resolve().as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise ChurnguardError(f"Chromium did not finish printing {path} within "
                                  f"{timeout:.0f} s; try --format html.") from None
    if not partial.exists() or partial.stat().st_size == 0:
        raise ChurnguardError(f"Chromium could not print the PDF (exit {done.returncode}): "
                              f"{done.stderr.strip()[-300:]}")
    partial.replace(path)
    return path
