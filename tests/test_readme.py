"""The README's Python example runs as written (with a smaller company)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs(tmp_path: Path, monkeypatch, capsys):
    block = re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S).group(1)
    assert "loyalty_kpis" in block
    monkeypatch.chdir(tmp_path)
    code = block.replace("customers=5_000", "customers=800")
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    kpis = namespace["kpis"]
    assert isinstance(kpis, pd.DataFrame)
    assert len(kpis) == 4  # four quarters from 2025-07-01 to 2026-07-01
    assert (kpis["churn_rate"].between(0, 1)).all()
    assert "customers_end" in capsys.readouterr().out
