"""A filtered view of a workspace, and a small cache of heavy aggregates.

:class:`ScopedWorkspace` looks like a :class:`~churnguard.workspace.Workspace` whose tables only
hold the customers of one segment, region and/or owner, so every metric function written against
``ws.table(...)`` computes the dashboard's filtered figures without knowing about filters.

:func:`cached` keeps computed aggregates per workspace until the warehouse changes (its files'
modification times are the data version), so the dashboard answers from memory between loads and
``churnguard sync`` runs; :func:`invalidate` drops them explicitly.

Examples
--------
>>> import tempfile, pandas as pd
>>> from churnguard import Workspace
>>> ws = Workspace.create(tempfile.mkdtemp() + "/w")
>>> _ = ws.load("customers", pd.DataFrame({"customer_id": ["a", "b"], "region": ["华东", "华北"]}))
>>> ScopedWorkspace(ws, region="华东").to_pandas("customers")["customer_id"].tolist()
['a']
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import ibis
    import pandas as pd

    from churnguard.churn import ChurnDefinition
    from churnguard.workspace import Workspace

T = TypeVar("T")
FILTER_COLUMNS = {"segment": "segment", "region": "region", "owner": "owner_id"}


class ScopedWorkspace:
    """``ws`` seen through a customer filter (segment, region, owner).

    Every table with a ``customer_id`` column is semi-joined to the matching customers; tables
    without one (``staff``, ``cost_pools``) pass through. Everything else is the workspace's.
    """

    def __init__(self, ws: Workspace, *, segment: str | None = None,
                 region: str | None = None, owner: str | None = None) -> None:
        self._ws = ws
        self.filters = {k: v for k, v in
                        (("segment", segment), ("region", region), ("owner", owner)) if v}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ws, name)

    def __repr__(self) -> str:
        return f"ScopedWorkspace({self._ws!r}, {self.filters!r})"

    @property
    def unscoped(self) -> Workspace:
        """The workspace without the filter."""
        return self._ws

    def _customers(self) -> ibis.Table:
        customers = self._ws.table("customers")
        for key, value in self.filters.items():
            customers = customers.filter(customers[FILTER_COLUMNS[key]] == value)
        return customers

    def table(self, name: str) -> ibis.Table:
        """Table ``name`` restricted to the customers in scope."""
        if not self.filters:
            return self._ws.table(name)
        if name == "customers":
            return self._customers()
        table = self._ws.table(name)
        if "customer_id" not in table.columns:
            return table
        return table.semi_join(self._customers().select("customer_id"), "customer_id")

    def derived(self, key: Hashable, build: Callable[[], ibis.Table], *,
                tables: Sequence[str] | None = None) -> ibis.Table:
        """Like :meth:`Workspace.derived`, kept apart for each filter (which reads
        ``customers`` too)."""
        needs = None if tables is None else (*tables, "customers")
        return self._ws.derived(("scoped", key, tuple(sorted(self.filters.items()))), build,
                                tables=needs)

    def to_pandas(self, name: str) -> pd.DataFrame:
        """Table ``name`` in scope as pandas."""
        return self.table(name).to_pandas()

    def status(self, as_of: date | datetime | str,
               churn: ChurnDefinition | None = None) -> pd.DataFrame:
        """Customer status as of ``as_of`` for the customers in scope."""
        definition = churn or self._ws.churn_definition()
        return definition.status(self, as_of).to_pandas()


def base_workspace(ws: Any) -> Workspace:
    """The real workspace behind a possibly scoped one."""
    return ws.unscoped if isinstance(ws, ScopedWorkspace) else ws


# -- cache --------------------------------------------------------------------------------
_CACHE: OrderedDict[tuple[Hashable, ...], tuple[float, Any]] = OrderedDict()
_CACHE_SIZE = 256
_LOCKS: dict[str, threading.RLock] = {}
_LOCKS_GUARD = threading.Lock()


def warehouse_lock(ws: Any) -> threading.RLock:
    """One lock per workspace folder: warehouse connections are not safe across threads."""
    key = str(Path(base_workspace(ws).folder).resolve())
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.RLock())


def data_version(ws: Any) -> float:
    """The version of the data ``ws`` reads: for a reader (the web server), the number of the
    published warehouse version it reads; otherwise the newest modification time of the
    warehouse files (changes on every load or write)."""
    version = getattr(base_workspace(ws).warehouse, "version", None)
    if version:
        return float(version.removeprefix("v").split(".")[0])
    folder = Path(base_workspace(ws).folder)
    settings = base_workspace(ws).settings.warehouse
    candidates = [folder / settings.path, folder / (settings.path + ".wal")]
    tables = folder / settings.parquet_dir
    if tables.is_dir():
        candidates.extend(tables.glob("*.parquet"))
    return max((p.stat().st_mtime for p in candidates if p.exists()), default=0.0)


def cached(ws: Any, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """``compute()`` once per workspace, ``key`` and data version; later calls hit memory.

    Examples
    --------
    >>> import tempfile
    >>> from churnguard import Workspace
    >>> ws = Workspace.create(tempfile.mkdtemp() + "/w")
    >>> calls = []
    >>> _ = cached(ws, ("x",), lambda: calls.append(1))
    >>> _ = cached(ws, ("x",), lambda: calls.append(1))
    >>> len(calls)
    1
    """
    folder = str(Path(base_workspace(ws).folder).resolve())
    full_key = (folder, *key)
    version = data_version(ws)
    hit = _CACHE.get(full_key)
    if hit is not None and hit[0] == version:
        _CACHE.move_to_end(full_key)
        return hit[1]
    with warehouse_lock(ws):
        value = compute()
    _CACHE[full_key] = (version, value)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return value


def invalidate(ws: Any | None = None) -> None:
    """Forget cached aggregates of ``ws`` (every workspace when None)."""
    if ws is None:
        _CACHE.clear()
        return
    folder = str(Path(base_workspace(ws).folder).resolve())
    for key in [k for k in _CACHE if k[0] == folder]:
        _CACHE.pop(key, None)
