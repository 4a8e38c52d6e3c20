"""``churnguard value``: tiers, core customers, the whale curve and the CLV model parameters,
with the fits' warnings and the spend estimator used; ``--validate`` runs the holdout check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from churnguard.cli.common import (
    WorkspaceOption,
    console,
    emit_text,
    open_with_orders,
    parse_date,
    rich_table,
)
from churnguard.errors import ChurnguardError

CUSTOMER_COLUMNS = ["value_rank", "customer_id", "tier", "tier_label", "clv",
                    "value_if_retained", "p_alive", "expected_purchases", "expected_spend",
                    "revenue_12m", "profit_12m", "cost_to_serve"]
SPEND_NAMES = {"gamma_gamma": "Gamma-Gamma", "shrinkage": "shrinkage of each customer's log "
               "spend (Gamma-Gamma not used)", "none": "none"}


def value(
    workspace: WorkspaceOption = Path("."),
    as_of: Annotated[str, typer.Option("--as-of", help="Reference date YYYY-MM-DD; only "
                                       "data before it is used.")] = "",
    by: Annotated[str, typer.Option(help="Tier by clv, revenue or profit.")] = "clv",
    months: Annotated[int | None, typer.Option(help="CLV horizon in months (default 12), or "
                                               "the holdout window with --validate (default "
                                               "6).")] = None,
    top: Annotated[int, typer.Option(help="Core customers to list.")] = 10,
    fmt: Annotated[str, typer.Option("--format", help="table, json, csv or xlsx.")] = "table",
    output: Annotated[Path | None, typer.Option(help="File for json/csv/xlsx.")] = None,
    save: Annotated[bool, typer.Option(help="Store the tiers in the warehouse table "
                                       "value_tiers (read by the web app).")] = False,
    validate: Annotated[bool, typer.Option("--validate", help="Holdout check: predicted "
                                           "against actual revenue per predicted decile, "
                                           "beside last period's revenue.")] = False,
    calibration_end: Annotated[str, typer.Option(
        "--calibration-end", help="With --validate: the models see orders before this date "
        "(default: --months before the day after the last order).")] = "",
) -> None:
    """Customer value: tiers (核心/成长/维持/低价值), top core customers, whale curve, CLV models.

    ``--format csv`` writes one row per customer; ``json`` and ``xlsx`` hold every part.
    ``--validate`` prints the CLV holdout table instead (table or json).
    """
    from churnguard.value.overview import value_overview

    if validate:
        _validate(workspace, calibration_end, 6 if months is None else months, fmt, output)
        return
    months = 12 if months is None else months
    if not as_of:
        raise ChurnguardError("--as-of is required, e.g. --as-of 2026-07-01.")
    if fmt not in ("table", "json", "csv", "xlsx"):
        raise ChurnguardError(f"--format {fmt!r} is not one of table, json, csv, xlsx.")
    if fmt == "xlsx" and output is None:
        raise ChurnguardError("--format xlsx needs --output FILE.xlsx.")
    cutoff = parse_date(as_of, option="--as-of")
    with open_with_orders(workspace) as ws:
        overview = value_overview(ws, as_of=cutoff, by=by, months=months)
        if save:
            from churnguard.value import save_value_tiers

            counts = save_value_tiers(ws, overview.tier_frame())
            console.print(f"saved tiers as of {cutoff} to value_tiers: {counts['inserted']:,} "
                          f"new, {counts['updated']:,} updated", highlight=False)
    customers = overview.customers[[c for c in CUSTOMER_COLUMNS
                                    if c in overview.customers.columns]]
    core = customers[customers["tier"] == "core"].head(top)
    whale = _whale_frame(overview.profit_summary)
    if fmt == "table":
        _print_tables(overview, core, whale)
    elif fmt == "csv":
        emit_text(customers.to_csv(index=False), output)
    elif fmt == "json":
        emit_text(_to_json(overview, core, whale), output)
    else:
        _write_xlsx(output, overview, customers, whale)


def _whale_frame(summary: pd.Series | None) -> pd.DataFrame | None:
    if summary is None:
        return None
    rows = ["customers", "revenue", "cost_of_goods", "cost_to_serve", "profit",
            "share_losing_money", "peak_profit_share", "peak_customer_share"]
    return pd.DataFrame({"measure": rows, "value": [float(summary[r]) for r in rows]})


def _print_tables(overview, core: pd.DataFrame, whale: pd.DataFrame | None) -> None:
    console.print(f"[bold]Customer value as of {overview.as_of}[/bold] · tiers by "
                  f"{overview.by} · gross margin used for CLV {overview.margin:.1%}")
    console.print(rich_table(overview.tiers, title="Value tiers 客户价值分层",
                             percent=("customers_share", "revenue_12m_share", "clv_share")))
    console.print(rich_table(core, title=f"Top core customers 核心客户 (top {len(core)})"))
    if whale is not None:
        money = whale[whale["measure"].isin(["revenue", "cost_of_goods", "cost_to_serve",
                                             "profit"])]
        console.print(rich_table(money, title="Profit after cost-to-serve, last 12 months"))
        summary = overview.profit_summary
        console.print(f"{summary['share_losing_money']:.1%} of customers lose money after "
                      f"cost-to-serve; profit peaks at {summary['peak_profit_share']:.0%} of the "
                      f"total with the best {summary['peak_customer_share']:.0%} of customers.")
    console.print(rich_table(overview.parameters, title="CLV models (BG/NBD weeks, "
                                                         "spend per purchase)"))
    check = overview.independence
    if check is not None:
        verdict = "ok" if check["independent"] else (
            "too high: Gamma-Gamma's spend estimates may be biased"
            if overview.spend_estimator == "gamma_gamma" else "too high for Gamma-Gamma")
        console.print(f"frequency/monetary correlation {check['pearson']:.2f} ({verdict})")
    console.print(f"spend estimator: {SPEND_NAMES.get(overview.spend_estimator, 'none')} "
                  f"({overview.spend_reason})", highlight=False)
    _print_warnings([d.message for d in overview.diagnostics])


def _print_warnings(messages: list[str]) -> None:
    if messages:
        console.print("[bold yellow]Fit warnings[/bold yellow]")
        for message in messages:
            console.print(f"  ! {message}", highlight=False, markup=False)
    else:
        console.print("Fit warnings: none")


def _validate(workspace: Path, calibration_end: str, months: int, fmt: str,
              output: Path | None) -> None:
    from churnguard.value import validate_clv

    if fmt not in ("table", "json"):
        raise ChurnguardError(f"--validate prints a table or json; received --format {fmt!r}.")
    with open_with_orders(workspace) as ws:
        if calibration_end:
            cutoff = parse_date(calibration_end, option="--calibration-end")
        else:
            cutoff = _default_calibration_end(ws, months)
        table = validate_clv(ws, cutoff, months=months)
    attrs = table.attrs
    if fmt == "json":
        payload = {key: attrs[key] for key in ("calibration_end", "end", "baseline_start",
                                               "estimator", "warnings")}
        payload.update(summary={k: float(v) for k, v in attrs["summary"].items()},
                       baseline={k: float(v) for k, v in attrs["baseline"].items()},
                       rows=json.loads(table.to_json(orient="records")))
        emit_text(json.dumps(payload, ensure_ascii=False, indent=2), output)
        return
    console.print(f"[bold]CLV holdout check[/bold] · calibrated on orders before "
                  f"{attrs['calibration_end']}, predicted {attrs['calibration_end']} – "
                  f"{attrs['end']} (exclusive), margin 1, no discount · spend estimator "
                  f"{SPEND_NAMES.get(attrs['estimator'], 'none')}", highlight=False)
    console.print(rich_table(table, title="Predicted against actual revenue by predicted "
                                          "decile (1 = highest); baseline = revenue in the "
                                          "window before", percent=("error", "baseline_error")))
    model, base = attrs["summary"], attrs["baseline"]
    summary = pd.DataFrame({
        "measure": ["total revenue error", "one-time buyers' error",
                    "mean per-decile |error|"],
        "model": [model["total_error"], model["one_time_error"],
                  model["mean_decile_abs_error"]],
        "last period's revenue": [base["total_error"], base["one_time_error"],
                                  base["mean_decile_abs_error"]]})
    console.print(rich_table(summary, title="Errors (predicted / actual − 1)",
                             percent=("model", "last period's revenue")))
    _print_warnings(attrs["warnings"])


def _default_calibration_end(ws, months: int):
    orders = ws.table("orders")
    last = orders.aggregate(last=orders.order_date.cast("date").max()).to_pandas()["last"][0]
    if pd.isna(last):
        raise ChurnguardError("the workspace has no dated orders to validate against.")
    end = pd.Timestamp(last) + pd.Timedelta(days=1)
    return (end - pd.DateOffset(months=months)).date()


def _to_json(overview, core: pd.DataFrame, whale: pd.DataFrame | None) -> str:
    def records(frame: pd.DataFrame | None) -> list | None:
        if frame is None:
            return None
        return json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False))

    payload = {"as_of": str(overview.as_of), "by": overview.by, "margin": overview.margin,
               "tiers": records(overview.tiers), "core_customers": records(core),
               "whale_curve": None if overview.profit_summary is None else
               {k: float(v) for k, v in overview.profit_summary.items()},
               "parameters": records(overview.parameters),
               "independence": None if overview.independence is None else
               {k: (bool(v) if k == "independent" else float(v))
                for k, v in overview.independence.items()},
               "spend_estimator": overview.spend_estimator,
               "spend_reason": overview.spend_reason,
               "warnings": [{"model": d.model, "code": d.code, "parameter": d.parameter,
                             "message": d.message} for d in overview.diagnostics]}
    return json.dumps(payload, ensure_ascii=False, indent=2)


def _write_xlsx(output: Path | None, overview, customers: pd.DataFrame,
                whale: pd.DataFrame | None) -> None:
    assert output is not None
    with pd.ExcelWriter(output) as writer:
        overview.tiers.to_excel(writer, sheet_name="tiers", index=False)
        customers.to_excel(writer, sheet_name="customers", index=False)
        if whale is not None:
            whale.to_excel(writer, sheet_name="whale_curve", index=False)
        overview.parameters.to_excel(writer, sheet_name="models", index=False)
    console.print(f"wrote {output}")


def register(app: typer.Typer) -> None:
    app.command("value")(value)
