"""Published warehouse versions: readers see whole writes only, failed writes are undone."""

from __future__ import annotations

import pandas as pd
import pytest

from churnguard import Workspace
from churnguard.errors import WorkspaceError


def _ids(ws: Workspace) -> list[str]:
    return sorted(ws.to_pandas("customers")["customer_id"])


def test_a_reader_sees_a_write_only_once_it_is_published(tmp_path):
    folder = tmp_path / "shop"
    with Workspace.create(folder) as ws:
        ws.load("customers", pd.DataFrame({"customer_id": ["a"]}))
    reader = Workspace.open(folder, mode="read")
    assert reader.warehouse.version == "v000001.duckdb" and _ids(reader) == ["a"]

    writer = Workspace.open(folder)
    writer.load("customers", pd.DataFrame({"customer_id": ["b"]}))
    writer.load("customers", pd.DataFrame({"customer_id": ["c"]}))
    assert not reader.warehouse.stale() and _ids(reader) == ["a"]  # half done: not seen
    writer.close()
    assert reader.warehouse.stale()
    assert reader.warehouse.follow() and reader.warehouse.version == "v000002.duckdb"
    assert _ids(reader) == ["a", "b", "c"]
    with pytest.raises(WorkspaceError, match="opened read-only"):
        reader.load("customers", pd.DataFrame({"customer_id": ["d"]}))
    reader.close()


def test_a_discarded_writer_leaves_the_published_data_and_the_next_writer_starts_from_it(tmp_path):
    folder = tmp_path / "shop"
    with Workspace.create(folder) as ws:
        ws.load("customers", pd.DataFrame({"customer_id": ["a"]}))
    reader = Workspace.open(folder, mode="read")
    with pytest.raises(RuntimeError), reader.writing() as writer:
        writer.load("customers", pd.DataFrame({"customer_id": ["half"]}))
        raise RuntimeError("the score step failed")
    assert not reader.warehouse.stale() and _ids(reader) == ["a"]
    with Workspace.open(folder) as again:
        assert _ids(again) == ["a"]  # the master went back to the published version
    reader.close()


def test_the_two_newest_versions_are_kept(tmp_path):
    folder = tmp_path / "shop"
    Workspace.create(folder).close()
    for name in "abcd":
        with Workspace.open(folder) as ws:
            ws.load("customers", pd.DataFrame({"customer_id": [name]}))
    kept = sorted(p.name for p in (folder / "warehouse.versions").glob("v*.duckdb"))
    assert kept == ["v000003.duckdb", "v000004.duckdb"]
    assert (folder / "warehouse.versions" / "CURRENT").read_text().strip() == "v000004.duckdb"


def test_a_workspace_from_before_versions_is_published_for_its_first_reader(tmp_path):
    import duckdb

    folder = tmp_path / "shop"
    Workspace.create(folder).close()
    con = duckdb.connect(str(folder / "warehouse.duckdb"))  # as an older churnguard left it
    con.execute("CREATE TABLE customers AS SELECT 'old' AS customer_id")
    con.close()
    with Workspace.open(folder, mode="read") as reader:
        assert reader.warehouse.version == "v000001.duckdb"
        assert reader.to_pandas("customers")["customer_id"].tolist() == ["old"]
