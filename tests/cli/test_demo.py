"""``churnguard demo`` end to end on a small company: every report section is there."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from churnguard.cli import app
from churnguard.report.sections import DEMO_SECTIONS


def test_demo_builds_workspace_report_and_summary(tmp_path: Path):
    folder = tmp_path / "demo"
    before = date.today()
    result = CliRunner().invoke(app, ["demo", "--workspace", str(folder), "--customers", "1500"])
    after = date.today()
    assert result.exit_code == 0, result.output
    assert "Last 12 months" in result.output
    # the synthetic history ends today: its last (partial) month is this month
    assert f"{before:%Y-%m}" in result.output or f"{after:%Y-%m}" in result.output
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert f"as of {before:%Y-%m-%d}" in report or f"as of {after:%Y-%m-%d}" in report
    assert report.count("<section>") == len(DEMO_SECTIONS)
    assert "Retention at a glance" in report
    assert (folder / "warehouse.duckdb").exists()


def test_demo_refuses_to_overwrite_a_folder_that_is_not_a_workspace(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("keep me", encoding="utf-8")
    result = CliRunner().invoke(app, ["demo", "--workspace", str(tmp_path / "docs")])
    assert result.exit_code != 0
    assert (tmp_path / "docs" / "notes.txt").exists()
