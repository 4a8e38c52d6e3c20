"""Workspaces: create, open, settings from the toml and the environment, clear errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from churnguard import Workspace
from churnguard.churn import ContractEnd, Inactivity
from churnguard.errors import ConfigError, SchemaError, WorkspaceError


def test_create_writes_settings_warehouse_and_app_database_url(tmp_path: Path):
    ws = Workspace.create(tmp_path / "shop")
    assert (tmp_path / "shop" / "churnguard.toml").exists()
    assert ws.warehouse.kind == "duckdb"
    assert ws.app_database_url == f"sqlite:///{(tmp_path / 'shop' / 'app.db').resolve()}"
    assert ws.tables() == []
    assert ws.table("orders").count().execute() == 0  # canonical but empty
    ws.close()


def test_create_twice_is_an_error_unless_exist_ok(tmp_path: Path):
    Workspace.create(tmp_path / "shop").close()
    with pytest.raises(WorkspaceError, match="a workspace already exists here"):
        Workspace.create(tmp_path / "shop")
    Workspace.create(tmp_path / "shop", exist_ok=True).close()


def test_open_a_folder_that_is_not_a_workspace(tmp_path: Path):
    with pytest.raises(WorkspaceError, match=r"not a churnguard workspace.*churnguard init"):
        Workspace.open(tmp_path)


def test_broken_toml_names_the_file(tmp_path: Path):
    Workspace.create(tmp_path / "shop").close()
    (tmp_path / "shop" / "churnguard.toml").write_text("[churn\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"churnguard\.toml: not valid TOML"):
        Workspace.open(tmp_path / "shop")


def test_churn_definition_from_settings_and_environment(tmp_path: Path, monkeypatch):
    Workspace.create(tmp_path / "shop").close()
    path = tmp_path / "shop" / "churnguard.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("inactivity_days = 180",
                                                             "inactivity_days = 90"))
    with Workspace.open(tmp_path / "shop") as ws:
        assert ws.churn_definition() == Inactivity(days=90)
    monkeypatch.setenv("CHURNGUARD_CHURN__DEFINITION", "contract")
    with Workspace.open(tmp_path / "shop") as ws:
        assert isinstance(ws.churn_definition(), ContractEnd)


def test_unknown_table_is_a_schema_error(workspace):
    with pytest.raises(SchemaError, match=r"table 'invoices' is not in the warehouse"):
        workspace.table("invoices")
    with pytest.raises(SchemaError, match=r"unknown table 'invoices'"):
        workspace.load("invoices", pd.DataFrame({"a": [1]}))


def test_a_warehouse_held_by_another_process_is_a_clear_error(tmp_path: Path):
    import subprocess
    import sys

    Workspace.create(tmp_path / "shop").close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from churnguard import Workspace; "
         "ws = Workspace.open(sys.argv[1]); print('open', flush=True); sys.stdin.readline()",
         str(tmp_path / "shop")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(WorkspaceError, match=rf"another process is writing the warehouse "
                                                 rf"\(pid {holder.pid}: "):
            Workspace.open(tmp_path / "shop")
        with Workspace.open(tmp_path / "shop", mode="read") as reader:  # readers never wait
            assert reader.tables() == []
    finally:
        holder.communicate("\n", timeout=60)
