"""A self-contained HTML report: sections of prose, tables and ECharts charts.

Charts are ECharts option dictionaries; the ECharts script is embedded in the file when the
vendored copy is present (``make`` fetches it from the npm registry), so the report opens offline.
Without it the tables still render and each chart shows a one-line notice.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass
class Chart:
    """An ECharts chart: an id unique in the report and its option dictionary."""

    id: str
    option: dict[str, Any]
    height: int = 320


@dataclass
class Section:
    """One section of a report."""

    title: str
    intro: str = ""
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    html: str = ""


def echarts_script() -> str | None:
    """The vendored ECharts source, or None when ``make`` has not fetched it."""
    try:
        path = resources.files("churnguard.web").joinpath("static/vendor/echarts.min.js")
        return path.read_text(encoding="utf-8") if path.is_file() else None
    except (ModuleNotFoundError, FileNotFoundError):
        return None


WRAP_AFTER = 60
"""Text columns with a value longer than this many characters wrap inside their cell."""


def table_html(frame: pd.DataFrame, *, percent: tuple[str, ...] = (), digits: int = 2) -> str:
    """A frame as an HTML table; columns in ``percent`` shown as percentages. Long text
    columns (reasons, warnings) wrap in their cells so the table fits the page; every value
    is escaped.

    Examples
    --------
    >>> html_text = table_html(pd.DataFrame({"id": ["a"], "why": ["<b>" + "x " * 40 + "</b>"]}))
    >>> '<div class="wrap">&lt;b&gt;x x' in html_text and "<b>" not in html_text
    True
    """
    shown = frame.copy()
    for col in shown.columns:
        if col in percent:
            shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
        elif pd.api.types.is_float_dtype(shown[col]):
            shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else f"{v:,.{digits}f}")
        elif pd.api.types.is_datetime64_any_dtype(shown[col]):
            shown[col] = shown[col].dt.strftime("%Y-%m-%d")
    for col in shown.columns:
        text = shown[col].map(lambda v: "" if v is None or (isinstance(v, float) and v != v)
                              else html.escape(str(v)))
        if shown[col].dtype == object and text.str.len().max() > WRAP_AFTER:
            text = '<div class="wrap">' + text + "</div>"
        shown[col] = text
    shown.columns = [html.escape(str(c)) for c in shown.columns]
    return shown.to_html(index=False, border=0, classes="data", na_rep="", escape=False)


_STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",system-ui,sans-serif;margin:0;color:#1f2933;
background:#f5f7fa}
header{background:#1f4e79;color:#fff;padding:18px 32px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.85;font-size:13px}
main{max-width:1180px;margin:0 auto;padding:16px 24px}
section{background:#fff;border-radius:8px;padding:16px 20px;margin:16px 0;
box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{font-size:18px;margin:0 0 8px;color:#1f4e79}
table.data{border-collapse:collapse;font-size:12px;margin:8px 0;width:100%;overflow-x:auto;
display:block}table.data th{background:#eef2f7;text-align:right;padding:4px 8px;white-space:nowrap}
table.data td{text-align:right;padding:3px 8px;border-bottom:1px solid #eef2f7;white-space:nowrap}
table.data td .wrap{white-space:normal;text-align:left;min-width:18em;max-width:44em}
.chart{width:100%}.notice{color:#8a6d3b;font-size:12px}
dl.definitions{display:grid;grid-template-columns:minmax(160px,max-content) 1fr;gap:4px 16px;
font-size:12px;margin:8px 0}dl.definitions dt{font-weight:600}dl.definitions dd{margin:0}
dl.definitions .zh{font-weight:400;color:#6b7785}
@page{size:A4;margin:12mm 11mm}
@media print{
body{background:#fff;font-size:11px}
header{background:none;color:#1f2933;padding:0 0 6px;border-bottom:2px solid #1f4e79}
header h1{color:#1f4e79}main{max-width:none;padding:0}
section{box-shadow:none;border-radius:0;padding:0;margin:10px 0 14px}
h2{break-after:avoid;font-size:15px}h3{break-after:avoid}
.chart{break-inside:avoid;height:auto!important;margin:4px 0}
.chart>div{width:100%!important;height:auto!important}
.chart canvas{position:static!important;width:100%!important;height:auto!important}
table.data{display:table;overflow:visible;font-size:8px;table-layout:auto}
table.data th{white-space:normal;padding:2px 3px;vertical-align:bottom}
table.data td{padding:2px 3px}table.data tr{break-inside:avoid}
table.data td .wrap{min-width:0;max-width:none}
dl.definitions{font-size:10px}dl.definitions dt,dl.definitions dd{break-inside:avoid}
}
"""


def render_html(title: str, sections: list[Section], *, subtitle: str = "") -> str:
    """Render sections into one HTML document (charts embedded when ECharts is vendored)."""
    script = echarts_script()
    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style>",
        f"<script>{script}</script>" if script else "",
        "</head><body>",
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)} · generated "
        f"{datetime.now():%Y-%m-%d %H:%M}</p></header><main>",
    ]
    init = []
    for section in sections:
        parts.append(f"<section><h2>{html.escape(section.title)}</h2>")
        if section.intro:
            parts.append(f"<p>{html.escape(section.intro)}</p>")
        parts.append(section.html)
        for chart in section.charts:
            parts.append(f"<div id='{chart.id}' class='chart' style='height:{chart.height}px'>"
                         + ("" if script else "<p class='notice'>Chart needs ECharts: run "
                            "<code>make</code> to fetch it.</p>") + "</div>")
            option = json.dumps({"animation": False, **chart.option}, ensure_ascii=False,
                                default=_json_default)
            init.append(f"echarts.init(document.getElementById('{chart.id}')).setOption({option});")
        for caption, frame in section.tables:
            if caption:
                parts.append(f"<h3>{html.escape(caption)}</h3>")
            parts.append(table_html(frame))
        parts.append("</section>")
    parts.append("</main>")
    if script and init:
        parts.append("<script>" + "\n".join(init) + "</script>")
    parts.append("</body></html>")
    return "".join(parts)


def write_html(path: Path, title: str, sections: list[Section], *, subtitle: str = "") -> Path:
    """Write :func:`render_html` output to ``path`` (atomically)."""
    path = Path(path)
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(render_html(title, sections, subtitle=subtitle), encoding="utf-8")
    partial.replace(path)
    return path


def _json_default(value: Any) -> Any:
    if isinstance(value, pd.Timestamp | datetime):
        return value.strftime("%Y-%m-%d")
    if hasattr(value, "item"):
        return value.item()
    return str(value)
