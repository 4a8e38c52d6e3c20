"""``churnguard reasons``: read churn reasons from text, the reason Pareto, drift and surveys."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer

from churnguard.cli.common import WorkspaceOption, console, parse_date, rich_table, write_frame
from churnguard.errors import ChurnguardError

if TYPE_CHECKING:
    from churnguard.reasons.classifier import ReasonClassifier

reasons_app = typer.Typer(help="Why customers leave: classify texts, reason Pareto, surveys.",
                          no_args_is_help=True)

FormatOption = Annotated[str, typer.Option("--format", "-f", help="table, csv, json or xlsx.")]
OutputOption = Annotated[Path | None, typer.Option("--output", "-o", help="File to write.")]
StartOption = Annotated[str, typer.Option("--start", help="First day, YYYY-MM-DD.")]
EndOption = Annotated[str, typer.Option("--end", help="Day after the last, YYYY-MM-DD.")]
ModelOption = Annotated[Path | None, typer.Option(
    "--model", help="A model from `churnguard reasons train` (default: the lexicon only).")]
ADDED_COLUMNS = ["reason", "reason_label", "reason_confidence", "reason_terms", "text_lang"]


def register(app: typer.Typer) -> None:
    """Add the ``reasons`` command group to ``app``."""
    app.add_typer(reasons_app, name="reasons")


def _model(path: Path | None) -> ReasonClassifier | None:
    if path is None:
        return None
    from churnguard.reasons.classifier import ReasonClassifier

    if not path.exists():
        raise ChurnguardError(f"--model {path}: file not found. Train one with `churnguard "
                              f"reasons train -w WORKSPACE --output {path}`.")
    return ReasonClassifier.load(path)


@reasons_app.command("classify")
def classify_file(
    file: Annotated[Path, typer.Argument(help="CSV or xlsx with a text column.")],
    text_col: Annotated[str, typer.Option("--text-col", help="Column holding the text, "
                                          "e.g. 内容.")],
    output: OutputOption = None,
    lang: Annotated[str, typer.Option(help="auto, zh, en or mixed.")] = "auto",
    model: ModelOption = None,
    sheet: Annotated[str | None, typer.Option(help="xlsx sheet name.")] = None,
    encoding: Annotated[str | None, typer.Option(help="CSV encoding, e.g. gbk.")] = None,
) -> None:
    """Add reason columns (reason, label, confidence, deciding words) to a CSV/xlsx file."""
    from churnguard.io.readers import read_source
    from churnguard.reasons.classifier import classify
    from churnguard.reasons.taxonomy import default_taxonomy

    frame = read_source(file, sheet=sheet, encoding=encoding).frame
    if text_col not in frame.columns:
        raise ChurnguardError(f"{file.name}: no column {text_col!r}. Columns are: "
                              f"{', '.join(map(str, frame.columns))}. Pass --text-col NAME.")
    read = classify(frame[text_col].tolist(), lang=lang, model=_model(model))
    tax = default_taxonomy()
    added = pd.DataFrame({
        "reason": read["reason"], "reason_label": [tax.label(r, lang="zh") for r in
                                                   read["reason"]],
        "reason_confidence": read["confidence"], "reason_terms": read["matched_terms"],
        "text_lang": read["lang"]})
    out = pd.concat([frame.drop(columns=[c for c in ADDED_COLUMNS if c in frame.columns]),
                     added], axis=1)
    target = output or file.with_name(f"{file.stem}.reasons{file.suffix or '.csv'}")
    if target.suffix.lower() in (".xlsx", ".xlsm"):
        out.to_excel(target, index=False)
    else:
        out.to_csv(target, index=False, encoding="utf-8-sig")  # Excel opens Chinese correctly
    counts = added.groupby(["reason", "reason_label"]).size().rename("texts").reset_index()
    console.print(rich_table(counts.sort_values("texts", ascending=False),
                             title=f"{len(out):,} texts"))
    console.print(f"wrote {target}")


@reasons_app.command("pareto")
def pareto(workspace: WorkspaceOption, start: StartOption, end: EndOption,
           by: Annotated[str | None, typer.Option(help="Group by segment, region…")] = None,
           sort_by: Annotated[str, typer.Option(help="lost_revenue or customers.")] = (
               "lost_revenue"),
           explained_only: Annotated[bool, typer.Option(
               "--explained-only", help="Leave out churns with no recorded reason.")] = False,
           model: ModelOption = None, fmt: FormatOption = "table",
           output: OutputOption = None) -> None:
    """Churned customers and lost revenue per reason, largest first (the fix-first list)."""
    from churnguard.reasons.pareto import reason_pareto
    from churnguard.workspace import Workspace

    first, last = parse_date(start, option="--start"), parse_date(end, option="--end")
    with Workspace.open(workspace) as ws:
        table = reason_pareto(ws, first, last, by=by, sort_by=sort_by, model=_model(model),
                              explained_only=explained_only)
    if fmt == "table":  # a terminal is narrow: one label, revenue shares first
        table = table.drop(columns=["label_en", "cumulative_customer_share"])
    write_frame(table, fmt, output=output, title=f"Churn reasons {first} – {last}",
                percent=("customer_share", "cumulative_customer_share", "revenue_share",
                         "cumulative_revenue_share"))


@reasons_app.command("drift")
def drift(workspace: WorkspaceOption, start: StartOption, end: EndOption,
          source: Annotated[str, typer.Option(help="voice (complaints, exit surveys) or "
                                              "churn.")] = "voice",
          model: ModelOption = None, fmt: FormatOption = "table",
          output: OutputOption = None) -> None:
    """Reasons whose share rose most against the preceding period of equal length."""
    from churnguard.reasons.drift import reason_drift
    from churnguard.workspace import Workspace

    first, last = parse_date(start, option="--start"), parse_date(end, option="--end")
    with Workspace.open(workspace) as ws:
        table = reason_drift(ws, first, last, source=source, model=_model(model))
    write_frame(table, fmt, output=output, title=f"Reason drift {first} – {last}",
                percent=("previous_share", "current_share", "change"))


@reasons_app.command("surveys")
def surveys(workspace: WorkspaceOption, start: StartOption, end: EndOption,
            freq: Annotated[str, typer.Option(help="month, quarter, year or none.")] = "month",
            by: Annotated[str | None, typer.Option(help="Group by segment, region…")] = None,
            fmt: FormatOption = "table", output: OutputOption = None) -> None:
    """CSAT, NPS and complaint follow-up satisfaction per period."""
    from churnguard.reasons.surveys import survey_summary
    from churnguard.workspace import Workspace

    first, last = parse_date(start, option="--start"), parse_date(end, option="--end")
    with Workspace.open(workspace) as ws:
        table = survey_summary(ws, first, last, freq=None if freq == "none" else freq, by=by)
    write_frame(table, fmt, output=output, title="Surveys",
                percent=("satisfied_share", "complaint_satisfaction"))


@reasons_app.command("train")
def train(workspace: WorkspaceOption,
          output: Annotated[Path, typer.Option("--output", "-o", help="Model file to write.")],
          as_of: Annotated[str | None, typer.Option(
              "--as-of", help="Use interactions before this day only.")] = None) -> None:
    """Fit the reason model on labelled interactions (text + reason) and save it."""
    from churnguard.reasons.classifier import ReasonClassifier, labelled_interactions
    from churnguard.workspace import Workspace

    day = parse_date(as_of, option="--as-of") if as_of else None
    with Workspace.open(workspace) as ws:
        rows = labelled_interactions(ws, as_of=day)
    if rows["reason"].nunique() < 2:
        raise ChurnguardError(f"{len(rows)} labelled interactions with text and fewer than two "
                              f"reasons: label more complaints (interactions.reason) first.")
    model = ReasonClassifier().fit(rows["text"], rows["reason"])
    model.save(output)
    console.print(f"trained on {len(rows):,} texts ({rows['reason'].nunique()} reasons); "
                  f"wrote {output}")


@reasons_app.command("taxonomy")
def taxonomy(workspace: Annotated[Path | None, typer.Option(
                 "--workspace", "-w", help="Workspace (for its own reasons).")] = None,
             fmt: FormatOption = "table", output: OutputOption = None) -> None:
    """List the reason codes with their English and Chinese names."""
    from churnguard.reasons.taxonomy import default_taxonomy, workspace_taxonomy
    from churnguard.workspace import Workspace

    if workspace is None:
        tax = default_taxonomy()
    else:
        with Workspace.open(workspace) as ws:
            tax = workspace_taxonomy(ws)
    write_frame(tax.to_frame(), fmt, output=output, title=f"Reason taxonomy {tax.version}")
