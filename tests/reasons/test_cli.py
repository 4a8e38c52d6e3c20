"""`churnguard reasons …` commands end to end on tiny files and workspaces."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from churnguard.cli import app

runner = CliRunner()


def test_classify_adds_reason_columns_to_csv(tmp_path):
    source = tmp_path / "complaints.csv"
    pd.DataFrame({"编号": [1, 2, 3], "内容": ["太贵了", "发货一拖再拖", "Support never replies"]}
                 ).to_csv(source, index=False, encoding="gb18030")
    result = runner.invoke(app, ["reasons", "classify", str(source), "--text-col", "内容"])
    assert result.exit_code == 0, result.output
    out = pd.read_csv(tmp_path / "complaints.reasons.csv", encoding="utf-8-sig")
    assert list(out.columns) == ["编号", "内容", "reason", "reason_label", "reason_confidence",
                                 "reason_terms", "text_lang"]
    assert out["reason"].tolist() == ["price", "delivery", "service"]
    assert out["reason_label"].tolist() == ["价格因素", "交付物流", "服务不到位"]
    assert out["text_lang"].tolist() == ["zh", "zh", "en"]


def test_classify_xlsx_to_named_output(tmp_path):
    source = tmp_path / "exit.xlsx"
    pd.DataFrame({"id": [1, 2], "answer": ["invoice was wrong", None]}).to_excel(source,
                                                                        index=False)
    target = tmp_path / "out.xlsx"
    result = runner.invoke(app, ["reasons", "classify", str(source), "--text-col", "answer",
                                 "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert pd.read_excel(target)["reason"].tolist() == ["billing", "other"]


def test_classify_missing_column_names_the_columns(tmp_path):
    source = tmp_path / "c.csv"
    source.write_text("id,text\n1,太贵了\n", encoding="utf-8")
    with pytest.raises(Exception, match="no column '内容'. Columns are: id, text"):
        runner.invoke(app, ["reasons", "classify", str(source), "--text-col", "内容"],
                      catch_exceptions=False)


def test_train_then_pareto_with_model(tmp_path):
    from tests.factories import make_workspace, orders_frame

    texts = ["太贵了", "价格太高", "too expensive", "发货太慢", "快递没到", "late delivery"] * 5
    reasons = ["price"] * 3 + ["delivery"] * 3
    interactions = pd.DataFrame({
        "interaction_id": [f"i{i}" for i in range(30)], "customer_id": "a",
        "ts": "2024-01-05", "kind": "complaint", "text": texts, "reason": reasons * 5})
    ws = make_workspace(tmp_path / "ws", orders=orders_frame([("a", "2024-01-01", 10.0)]),
                        interactions=interactions)
    ws.close()
    model = tmp_path / "m.pkl"
    result = runner.invoke(app, ["reasons", "train", "-w", str(tmp_path / "ws"), "-o",
                                 str(model)])
    assert result.exit_code == 0, result.output
    assert "trained on 30 texts (2 reasons)" in result.output
    result = runner.invoke(app, ["reasons", "pareto", "-w", str(tmp_path / "ws"), "--start",
                                 "2024-01-01", "--end", "2025-01-01", "--model", str(model),
                                 "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("reason,label_en,label_zh,customers")
    result = runner.invoke(app, ["reasons", "surveys", "-w", str(tmp_path / "ws"), "--start",
                                 "2024-01-01", "--end", "2024-03-01", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert '"nps_responses":0' in result.output.replace(" ", "")


def test_taxonomy_lists_codes():
    result = runner.invoke(app, ["reasons", "taxonomy", "--format", "csv"])
    assert result.exit_code == 0
    assert "staff_departure,Account owner left,业务员离职" in result.output
