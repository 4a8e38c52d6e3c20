"""The analytics warehouse: an Ibis connection plus atomic, idempotent writes.

DuckDB (a file in the workspace) is the default. With ``backend = "pyspark"`` the tables are
kept as Parquet files in the workspace and read by a local Spark session, so the same Ibis
expressions run on Spark. Any other value is handed to :func:`ibis.connect` as a URL.

A DuckDB warehouse is opened as a *writer* (the default: imports, scoring, sync, the Python
API) or a *reader* (``mode="read"``: the web server). Writers take the workspace's writer lock
and write the master file; closing a writer that wrote publishes a copy. Readers open the
newest published copy read-only and :meth:`Warehouse.follow` moves them to a newer one, so a
running server never blocks a batch job and never sees one half done
(:mod:`churnguard.warehouse_versions`).
"""

from __future__ import annotations

import atexit
import os
import tempfile
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from churnguard.errors import SchemaError, WorkspaceError
from churnguard.io.schema import TABLES, TableSpec
from churnguard.warehouse_versions import VersionStore, WarehouseBusyError

_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
    "float64": pa.float64(),
    "int64": pa.int64(),
}


def arrow_schema(spec: TableSpec) -> pa.Schema:
    """The Arrow schema of a canonical table."""
    return pa.schema([pa.field(c.name, _ARROW_TYPES[c.type]) for c in spec.columns])


def to_canonical_arrow(frame: pd.DataFrame | pa.Table, spec: TableSpec) -> pa.Table:
    """Cast an already-clean frame to the exact Arrow schema of ``spec`` (missing optional
    columns become nulls, extra columns are dropped)."""
    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(
        frame, preserve_index=False
    )
    columns = []
    for field in arrow_schema(spec):
        if field.name in table.column_names:
            columns.append(table[field.name].cast(field.type))
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=arrow_schema(spec))


_spark_session = None

_GENERATIONS: dict[tuple[str, str], int] = {}
"""Writes so far in this process to each ``(warehouse location, table)``; table ``"*"`` counts
writes to any table (locations: :attr:`Warehouse.location`)."""

DERIVED_TABLES_KEPT = 8

_OPEN_WRITERS: weakref.WeakSet[Warehouse] = weakref.WeakSet()
"""Writers of this process still open: published when the interpreter exits."""


@atexit.register
def _publish_open_writers() -> None:
    for writer in list(_OPEN_WRITERS):
        writer.close()


def spark_session() -> Any:
    """One local Spark session per process (``local[2]``), created on first use."""
    global _spark_session
    if _spark_session is None:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        from pyspark.sql import SparkSession

        _spark_session = (
            SparkSession.builder.master("local[2]")
            .appName("churnguard")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.memory", "2g")
            .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="churnguard-spark-"))
            .getOrCreate()
        )
    return _spark_session


class Warehouse:
    """An Ibis connection that hands out canonical tables and writes them safely.

    Parameters
    ----------
    con
        An Ibis backend.
    kind
        ``"duckdb"``, ``"pyspark"`` or ``"ibis"`` (any other Ibis URL).
    parquet_dir
        For ``pyspark``: the folder holding one Parquet file per table.
    """

    def __init__(self, con: Any, *, kind: str, parquet_dir: Path | None = None,
                 location: str | None = None, store: VersionStore | None = None,
                 mode: str = "write", memory_limit: str = "") -> None:
        self.con = con
        self.kind = kind
        self.parquet_dir = parquet_dir
        self.location = location or f"{kind}:{id(con)}"
        self.store = store
        self.mode = mode
        self.memory_limit = memory_limit
        self.version: str | None = None
        """The published version a reader reads (``v000007.duckdb``); None for writers."""
        self._pointer: tuple[int, int] | None = None
        self._dirty = False
        self._closed = False
        self._derived: OrderedDict[
            Hashable, tuple[tuple[str, ...] | None, tuple[int, ...], ibis.Table]] = OrderedDict()
        if kind == "pyspark":
            self._register_parquet_tables()

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, folder: Path, *, backend: str, path: str, parquet_dir: str,
             memory_limit: str = "", mode: str = "write") -> Warehouse:
        """Connect to the warehouse of a workspace folder.

        ``mode="write"`` (default) takes the DuckDB writer lock and opens the master file;
        ``mode="read"`` opens the newest published version read-only (see the module doc).
        """
        if mode not in ("write", "read"):
            raise WorkspaceError(f"mode {mode!r} is not 'write' or 'read'.")
        if backend == "duckdb":
            file = Path(folder) / path
            limit = duckdb_memory_limit(memory_limit)
            if mode == "read":
                return cls._open_reader(file, limit)
            store = VersionStore(file)
            store.acquire()
            try:
                con = _duckdb_connect(file, limit)
            except BaseException:
                store.release()
                raise
            writer = cls(con, kind="duckdb", location=str(file.resolve()), store=store,
                         memory_limit=limit)
            # a workspace from before versions: publish its data for readers on close
            writer._dirty = store.current() is None and bool(writer.list_tables())
            _OPEN_WRITERS.add(writer)
            return writer
        if backend == "pyspark":
            directory = Path(folder) / parquet_dir
            directory.mkdir(parents=True, exist_ok=True)
            con = ibis.pyspark.connect(spark_session())
            return cls(con, kind="pyspark", parquet_dir=directory,
                       location=str(directory.resolve()), mode=mode)
        return cls(ibis.connect(backend), kind="ibis", mode=mode)

    @classmethod
    def _open_reader(cls, file: Path, limit: str) -> Warehouse:
        store = VersionStore(file)
        if store.current() is None and file.exists():
            _publish_unversioned(store, limit)
        reader = cls(ibis.duckdb.connect(), kind="duckdb", location=f"empty:{file.resolve()}",
                     store=store, mode="read", memory_limit=limit)
        reader.follow()
        return reader

    # -- readers follow published versions ----------------------------------------------
    def stale(self) -> bool:
        """Whether a newer version was published than the one this reader reads (one stat)."""
        return self.mode == "read" and self.store is not None and \
            self.store.stamp() != self._pointer

    def follow(self) -> bool:
        """Move a reader to the newest published version; True when it moved.

        Derived tables are dropped with the old version. The caller must make sure no other
        thread uses the connection meanwhile (the web app holds its warehouse lock).
        """
        if not self.stale():
            return False
        assert self.store is not None
        stamp, current = self.store.stamp(), self.store.current()
        if current is None:
            return False
        options = {"memory_limit": self.memory_limit} if self.memory_limit else {}
        try:
            con = ibis.duckdb.connect(str(current), read_only=True, **options)
        except duckdb.IOException:  # pruned between reading the pointer and opening it
            return False
        self.forget_derived()
        old, self.con = self.con, con
        self.location, self.version, self._pointer = str(current.resolve()), current.name, stamp
        old.disconnect()
        return True

    def _register_parquet_tables(self) -> None:
        assert self.parquet_dir is not None
        for file in sorted(self.parquet_dir.glob("*.parquet")):
            self.con.read_parquet(str(file), table_name=file.stem)

    # -- reading -------------------------------------------------------------------------
    def list_tables(self) -> list[str]:
        """Names of the tables present."""
        if self.kind == "pyspark":
            assert self.parquet_dir is not None
            return sorted(f.stem for f in self.parquet_dir.glob("*.parquet"))
        # Ibis registers in-memory tables as temporary views; they are not warehouse tables
        return sorted(t for t in self.con.list_tables() if not t.startswith(("ibis_", "_cg_")))

    def has_table(self, name: str) -> bool:
        return name in self.list_tables()

    def table(self, name: str) -> ibis.Table:
        """The Ibis table ``name``; an empty canonical table when it was never loaded."""
        if self.has_table(name):
            return self.con.table(name)
        if name in TABLES:
            return ibis.memtable(arrow_schema(TABLES[name]).empty_table())
        raise SchemaError(f"table {name!r} is not in the warehouse. Load it first with "
                          f"`churnguard import {name} FILE`.")

    def read_arrow(self, name: str) -> pa.Table:
        """The whole table as Arrow (the canonical schema when it is canonical)."""
        if not self.has_table(name):
            return arrow_schema(TABLES[name]).empty_table()
        if self.kind == "pyspark":
            assert self.parquet_dir is not None
            return pq.read_table(self.parquet_dir / f"{name}.parquet")
        return self.con.table(name).to_pyarrow()

    # -- derived tables ------------------------------------------------------------------
    def generation(self, table: str | None = None) -> int:
        """How many writes this process has made to ``table`` of this warehouse (to any table
        when None), through any connection to it."""
        return _GENERATIONS.get((self.location, table or "*"), 0)

    def _stamp(self, tables: tuple[str, ...] | None) -> tuple[int, ...]:
        return tuple(self.generation(t) for t in tables) if tables else (self.generation(),)

    def derived(self, key: Hashable, build: Callable[[], ibis.Table], *,
                tables: Sequence[str] | None = None) -> ibis.Table:
        """The table ``build()`` computes, materialised in the engine and kept until one of the
        ``tables`` it reads is written (any table when ``tables`` is None).

        Metrics that start from the same intermediate (the purchase timeline, the churn events
        of a date) build it once per process and data version instead of once per call. Only
        the :data:`DERIVED_TABLES_KEPT` most recently used tables are kept. Writes made through
        :meth:`upsert` / :meth:`replace` (every churnguard import) count; after writing with
        raw SQL, call :meth:`forget_derived`.

        Examples
        --------
        >>> wh = Warehouse(ibis.duckdb.connect(), kind="duckdb")
        >>> built = []
        >>> def build():
        ...     built.append(1)
        ...     return ibis.memtable({"x": [1, 2]})
        >>> _ = wh.derived("xs", build, tables=["t"]); _ = wh.derived("xs", build, tables=["t"])
        >>> wh.replace("other", pa.table({"y": [0]})); _ = wh.derived("xs", build, tables=["t"])
        >>> len(built)
        1
        >>> wh.replace("t", pa.table({"x": [3]})); _ = wh.derived("xs", build, tables=["t"])
        >>> len(built)
        2
        """
        deps = tuple(tables) if tables else None
        kept = self._derived.get(key)
        if kept is not None and kept[0] == deps and kept[1] == self._stamp(deps):
            self._derived.move_to_end(key)
            return kept[2]
        if kept is not None:            # its data changed since (or it was built otherwise)
            self._release(self._derived.pop(key)[2])
        stamp = self._stamp(deps)
        table = build().cache()
        self._derived[key] = (deps, stamp, table)
        while len(self._derived) > DERIVED_TABLES_KEPT:
            _, (_, _, dropped) = self._derived.popitem(last=False)
            self._release(dropped)
        return table

    def _release(self, table: ibis.Table) -> None:
        """Drop a derived table no kept key uses any more.

        Ibis hands out one cached table for equal expressions, so two keys whose builds are
        the same expression (a filtered view without filters and its workspace, say) share
        one engine table: dropping it for one would break the other for good.
        """
        name = table.op().name
        if all(kept.op().name != name for _, _, kept in self._derived.values()):
            table.release()

    def forget_derived(self) -> None:
        """Drop every derived table (after writing to the warehouse behind churnguard's back)."""
        while self._derived:
            _, (_, _, table) = self._derived.popitem()
            self._release(table)

    def _written(self, name: str) -> None:
        if self.mode == "read":
            raise WorkspaceError(
                f"cannot write table {name!r}: this warehouse was opened read-only (the web "
                f"server reads published versions). Write through Workspace.writing().")
        self._dirty = True
        for table in (name, "*"):
            _GENERATIONS[(self.location, table)] = self.generation(table) + 1
        stale = [key for key, (deps, stamp, _) in self._derived.items()
                 if stamp != self._stamp(deps)]
        for key in stale:
            self._release(self._derived.pop(key)[2])

    # -- writing -------------------------------------------------------------------------
    def upsert(self, name: str, rows: pa.Table, *, key: Sequence[str]) -> dict[str, int]:
        """Insert ``rows`` into table ``name``, replacing rows with the same ``key``.

        All or nothing: a failure (or a killed process) leaves the table as it was. Loading
        the same rows twice changes nothing. Returns counts of ``inserted`` and ``updated``
        rows and, among the updated, ``unchanged``: rows identical to the stored ones.
        """
        self._written(name)
        if self.kind == "duckdb":
            return self._upsert_duckdb(name, rows, key)
        return self._upsert_files(name, rows, key)

    def replace(self, name: str, rows: pa.Table) -> None:
        """Replace table ``name`` with ``rows``, atomically."""
        self._written(name)
        if self.kind == "duckdb":
            with self._duckdb_transaction(rows) as (raw, stage):
                raw.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM {stage}')
        elif self.kind == "pyspark":
            self._write_parquet(name, rows)
        else:
            self.con.create_table(name, rows, overwrite=True)

    @contextmanager
    def _duckdb_transaction(self, rows: pa.Table) -> Iterator[tuple[Any, str]]:
        """``rows`` registered as a staging view inside one transaction (rolled back on error)."""
        raw = self.con.con
        stage = f"_cg_stage_{uuid.uuid4().hex}"
        raw.register(stage, rows)
        try:
            raw.execute("BEGIN TRANSACTION")
            yield raw, stage
            raw.execute("COMMIT")
        except BaseException:
            raw.execute("ROLLBACK")
            raise
        finally:
            raw.unregister(stage)

    def _upsert_duckdb(self, name: str, rows: pa.Table, key: Sequence[str]) -> dict[str, int]:
        keys = " AND ".join(f't."{k}" IS NOT DISTINCT FROM s."{k}"' for k in key)
        with self._duckdb_transaction(rows) as (raw, stage):
            raw.execute(f'CREATE TABLE IF NOT EXISTS "{name}" AS SELECT * FROM {stage} LIMIT 0')
            updated = raw.execute(
                f'SELECT count(*) FROM "{name}" t SEMI JOIN {stage} s ON {keys}'
            ).fetchone()[0]
            columns = ", ".join(f'"{c}"' for c in rows.column_names)
            unchanged = raw.execute(  # set operations compare NULLs as equal
                f"SELECT count(*) FROM (SELECT {columns} FROM {stage} INTERSECT ALL "
                f'SELECT {columns} FROM "{name}")').fetchone()[0] if updated else 0
            raw.execute(f'DELETE FROM "{name}" t WHERE EXISTS (SELECT 1 FROM {stage} s '
                        f"WHERE {keys})")
            raw.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM {stage}')
        return {"inserted": rows.num_rows - updated, "updated": updated, "unchanged": unchanged}

    def _upsert_files(self, name: str, rows: pa.Table, key: Sequence[str]) -> dict[str, int]:
        old = self.read_arrow(name) if self.has_table(name) else rows.schema.empty_table()
        old = old.cast(rows.schema) if old.num_rows else rows.schema.empty_table()
        old_keys = _key_strings(old, key)
        new_keys = _key_strings(rows, key)
        keep = pc.invert(pc.is_in(old_keys, value_set=new_keys))
        updated = old.num_rows - pc.sum(keep.cast(pa.int64())).as_py() if old.num_rows else 0
        unchanged = pc.sum(pc.is_in(_key_strings(rows, rows.column_names), value_set=_key_strings(
            old, rows.column_names)).cast(pa.int64())).as_py() or 0 if updated else 0
        merged = pa.concat_tables([old.filter(keep), rows]) if old.num_rows else rows
        self.replace(name, merged)
        return {"inserted": rows.num_rows - updated, "updated": updated, "unchanged": unchanged}

    def _write_parquet(self, name: str, rows: pa.Table) -> None:
        assert self.parquet_dir is not None
        final = self.parquet_dir / f"{name}.parquet"
        partial = self.parquet_dir / f".{name}.{uuid.uuid4().hex}.tmp"
        pq.write_table(rows, partial)
        os.replace(partial, final)
        self.con.read_parquet(str(final), table_name=name)

    def publish(self) -> str | None:
        """Publish what this writer wrote as the next version readers see (DuckDB writers;
        a no-op otherwise). Returns the version's file name."""
        if self.kind != "duckdb" or self.mode != "write" or self.store is None:
            return None
        published = self.store.publish(self.con.con)
        self._dirty = False
        return published.name

    def close(self) -> None:
        """Close the connection; a DuckDB writer that wrote publishes first."""
        if self._closed:
            return
        self._closed = True
        _OPEN_WRITERS.discard(self)
        self.forget_derived()
        if self.kind != "duckdb":
            return
        try:
            if self._dirty:
                self.publish()
        finally:
            self.con.disconnect()
            if self.mode == "write" and self.store is not None:
                self.store.release()

    def discard(self) -> None:
        """Close a DuckDB writer *without* publishing, and undo its writes when it is this
        process's only writer (the master goes back to the last published version).

        A refresh whose step failed calls this: readers keep yesterday's data and the next
        run starts from it.
        """
        if self._closed:
            return
        self._closed = True
        _OPEN_WRITERS.discard(self)
        self.forget_derived()
        if self.kind != "duckdb":
            return
        self.con.disconnect()
        if self.mode == "write" and self.store is not None:
            try:
                if self.store.holds() == 1 and self.store.current() is not None:
                    self.store.restore_master()
            finally:
                self.store.release()


def _publish_unversioned(store: VersionStore, limit: str) -> None:
    """Publish a master file written before versions existed, so readers see its data. When a
    writer holds the lock, it publishes itself on closing: the reader starts empty and follows.
    """
    try:
        store.acquire()
    except WarehouseBusyError:
        return
    try:
        con = _duckdb_connect(store.master, limit)
        try:
            if store.current() is None and con.list_tables():
                store.publish(con.con)
        finally:
            con.disconnect()
    finally:
        store.release()


def _duckdb_connect(file: Path, limit: str) -> Any:
    try:
        return ibis.duckdb.connect(str(file), **({"memory_limit": limit} if limit else {}))
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        raise WorkspaceError(
            f"{file}: the warehouse is open in another process that does not use published "
            f"versions (a churnguard older than issue 14?). Stop it and retry."
        ) from None


def duckdb_memory_limit(text: str) -> str:
    """DuckDB's memory limit from a setting: ``"60%"`` of this machine's RAM, or a size as is.

    Examples
    --------
    >>> duckdb_memory_limit("8GB")
    '8GB'
    >>> duckdb_memory_limit("50%").endswith("MB")
    True
    """
    text = text.strip()
    if not text.endswith("%"):
        return text
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{int(total * float(text[:-1]) / 100 / 1_000_000)}MB"


def _key_strings(table: pa.Table, key: Sequence[str]) -> pa.Array:
    parts = [pc.cast(table[k], pa.string()) for k in key]
    if len(parts) == 1:
        return pc.fill_null(parts[0], "\x00")
    return pc.binary_join_element_wise(*[pc.fill_null(p, "\x00") for p in parts], "\x1f")


def require_workspace(folder: Path) -> None:
    """Raise :class:`WorkspaceError` unless ``folder`` holds a ``churnguard.toml``."""
    if not (Path(folder) / "churnguard.toml").exists():
        raise WorkspaceError(
            f"{folder}: not a churnguard workspace (no churnguard.toml). "
            f"Create one with `churnguard init {folder}`."
        )
