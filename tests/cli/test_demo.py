"""``churnguard demo`` end to end on a small company: every report section is there."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from churnguard.cli import app
from churnguard.report.sections import DEMO_SECTIONS


def test_demo_builds_workspace_report_and_summary(tmp_path: Path):
    folder = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--workspace", str(folder), "--customers", "1500"])
    assert result.exit_code == 0, result.output
    assert "Last 12 months" in result.output
    assert "2026-06" in result.output  # the last month of the synthetic history
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert report.count("<section>") == len(DEMO_SECTIONS)
    assert "Retention at a glance" in report
    assert (folder / "warehouse.duckdb").exists()


def test_demo_refuses_to_overwrite_a_folder_that_is_not_a_workspace(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("keep me", encoding="utf-8")
    result = CliRunner().invoke(app, ["demo", "--workspace", str(tmp_path / "docs")])
    assert result.exit_code != 0
    assert (tmp_path / "docs" / "notes.txt").exists()
