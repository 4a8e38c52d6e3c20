"""``churnguard train``, ``score`` and ``backtest``: the risk model, the at-risk list, how good
it is."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from churnguard.cli.common import WorkspaceOption, console, parse_date, write_frame
from churnguard.workspace import Workspace

FormatOption = Annotated[str, typer.Option("--format", "-f",
                                           help="table, csv, json or xlsx.")]
OutputOption = Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file.")]
HorizonOption = Annotated[int, typer.Option(help="Label window in days.")]
LabelOption = Annotated[str, typer.Option(
    help="churn (a churn event in the window), departure (stops buying within it) or "
         "no_purchase (no purchase in it).")]


def score(
    workspace: WorkspaceOption = Path("."),
    as_of: Annotated[str, typer.Option("--as-of", help="Scoring date, YYYY-MM-DD.")] = "",
    top: Annotated[int, typer.Option(help="Show the N riskiest customers (0 = all).")] = 100,
    horizon: Annotated[int | None, typer.Option(
        help="Label window in days (default: the saved model's, else 180).")] = None,
    label: Annotated[str | None, typer.Option(
        help="churn, departure or no_purchase (default: the saved model's, else departure "
             "when the history allows it).")] = None,
    lang: Annotated[str, typer.Option(help="Language of reasons: en or zh.")] = "en",
    save: Annotated[bool, typer.Option(help="Replace the warehouse table risk_scores.")] = True,
    refit: Annotated[bool, typer.Option(
        help="Fit a model for this date even if the workspace has a saved one.")] = False,
    snapshots: Annotated[int, typer.Option(help="Monthly training snapshots.")] = 6,
    format_: FormatOption = "table",
    output: OutputOption = None,
) -> None:
    """Score every active customer: churn probability, band, health, reasons, rules, CLV.

    Uses the model saved by `churnguard train` when the workspace has one; otherwise (or with
    --refit) fits a model on snapshots before the scoring date.
    """
    from churnguard.risk.scoring import score as score_customers

    if not as_of:
        raise typer.BadParameter("give --as-of YYYY-MM-DD", param_hint="--as-of")
    day = parse_date(as_of, option="--as-of")
    with Workspace.open(workspace) as ws, console.status("scoring…"):
        scores = score_customers(ws, day, horizon_days=horizon, label=label, save=save,
                                 snapshots=snapshots, refit=refit)
    shown = scores.head(top) if top else scores
    reasons = "reasons_zh" if lang == "zh" else "reasons"
    columns = ["rank", "customer_id", "lifecycle", "p_churn", "risk_band", "health_score",
               "clv", "value_if_retained", "profit_at_risk", "owner_id", reasons, "rules_fired"]
    frame = shown[columns] if format_ == "table" else shown
    write_frame(frame, format_, output=output, percent=("p_churn",),
                title=f"At-risk customers on {day} ({len(scores):,} active, "
                      f"{int((scores['risk_band'] == 'high').sum()):,} high risk)")
    used = {"saved": "the saved model", "fitted": "a model fitted for this date"}
    if format_ == "table":
        console.print(f"scored with {used.get(scores.attrs.get('model'), 'the given model')}")
    if save:
        console.print(f"saved {len(scores):,} rows to the warehouse table risk_scores")


def train(
    workspace: WorkspaceOption = Path("."),
    as_of: Annotated[str, typer.Option(
        "--as-of", help="Training labels end by this date, YYYY-MM-DD.")] = "",
    horizon: HorizonOption = 180,
    label: Annotated[str | None, typer.Option(
        help="churn, departure or no_purchase (default: departure when the history allows "
             "it, else no_purchase).")] = None,
    snapshots: Annotated[int, typer.Option(help="Monthly training snapshots.")] = 6,
) -> None:
    """Fit the churn-risk model once and save it to <workspace>/models/risk.joblib.

    `churnguard score` then uses it instead of fitting a model on every run.
    """
    from churnguard.risk.store import model_path
    from churnguard.risk.store import train as train_model

    if not as_of:
        raise typer.BadParameter("give --as-of YYYY-MM-DD", param_hint="--as-of")
    day = parse_date(as_of, option="--as-of")
    with Workspace.open(workspace) as ws, console.status("training…"):
        model = train_model(ws, day, horizon_days=horizon, label=label, snapshots=snapshots)
        path = model_path(ws)
    info = model.metadata_
    console.print(f"trained on {info['training_rows']:,} rows of {len(info['training_dates'])} "
                  f"snapshots ({info['training_dates'][0]} … {info['training_dates'][-1]}), "
                  f"labels up to {info['labels_end']}, horizon {info['horizon_days']} days, "
                  f"label {info['label']}; wrote {path}", soft_wrap=True)


def backtest(
    workspace: WorkspaceOption = Path("."),
    train_until: Annotated[str, typer.Option("--train-until",
                                             help="Training labels end by this date.")] = "",
    evaluate_at: Annotated[str, typer.Option("--evaluate-at",
                                             help="Date of the scored snapshot.")] = "",
    horizon: HorizonOption = 90,
    label: LabelOption = "churn",
    offer_cost: Annotated[float, typer.Option(help="Cost of a retention offer (EMP).")] = 10.0,
    acceptance: Annotated[float, typer.Option(
        help="Share of contacted churners who accept (EMP); 0 = Beta(6, 14).")] = 0.0,
    format_: FormatOption = "table",
    output: OutputOption = None,
) -> None:
    """Train on the past, score a later date and compare with the rules and with recency."""
    from churnguard.risk.backtest import backtest as run_backtest

    if not train_until or not evaluate_at:
        raise typer.BadParameter("give --train-until and --evaluate-at (YYYY-MM-DD)")
    options: dict = {"offer_cost": offer_cost}
    if acceptance > 0:
        options["acceptance"] = acceptance
    with Workspace.open(workspace) as ws, console.status("backtesting…"):
        result = run_backtest(ws, parse_date(train_until, option="--train-until"),
                              parse_date(evaluate_at, option="--evaluate-at"), horizon,
                              label=label, emp_options=options)
    table = result.table.reset_index()
    write_frame(table, format_, output=output,
                title=f"Backtest at {result.details['evaluate_at']}: "
                      f"{result.details['evaluated']:,} customers, churn rate "
                      f"{result.details['churn_rate']:.1%}, horizon {horizon} days")
    if format_ == "table":
        write_frame(result.calibration, "table", title="Calibration (deciles of p_churn)")


def register(app: typer.Typer) -> None:
    """Add ``score``, ``train`` and ``backtest`` to the ``churnguard`` app."""
    app.command("score")(score)
    app.command("train")(train)
    app.command("backtest")(backtest)
