"""The daily refresh (每日刷新): sources → validate and import → score → sync → notifications.

The warehouse steps run in one writer session of the workspace: nothing is published until
import, score and sync have all succeeded, so a failed step leaves the app serving yesterday's
data (the writer is discarded and the master file goes back to the published version) and the
error names the step. After the sync the new version is published; the notifications step runs
last (its outbox never sends a message twice, so a rerun is safe).

Examples
--------
>>> import tempfile, pandas as pd
>>> from churnguard import Workspace
>>> folder = Path(tempfile.mkdtemp()) / "shop"
>>> Workspace.create(folder).close()
>>> result = refresh(folder, notify=False)
>>> result.imported, result.notes[0]
([], 'no orders yet: scoring and sync skipped.')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from churnguard.errors import ChurnguardError
from churnguard.sources import parse_sources, pending_inputs, record_files

STEPS = ("import", "score", "sync", "notify")

Report = Callable[[str, int, "int | None"], None]
"""``report(step, done, total)``: progress of the refresh (a CLI bar, a job row)."""


class RefreshError(ChurnguardError, RuntimeError):
    """A refresh step failed; :attr:`step` names it."""

    code = "refresh_failed"

    def __init__(self, message: str, step: str) -> None:
        super().__init__(message)
        self.step = step


@dataclass
class RefreshResult:
    """What a refresh did."""

    as_of: date | None = None
    imported: list[dict[str, Any]] = field(default_factory=list)
    scored: int = 0
    synced: dict[str, int] = field(default_factory=dict)
    notified: dict[str, int] = field(default_factory=dict)
    version: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Rows imported from every source."""
        return sum(item["rows"] for item in self.imported)


def refresh(folder: str | Path, *, as_of: date | None = None, notify: bool = True,
            report: Report | None = None) -> RefreshResult:
    """Run the daily pipeline on the workspace ``folder``; see the module doc.

    ``as_of`` (default: the day after the newest order, at most today) is the scoring and
    sync date.
    """
    from churnguard.workspace import Workspace

    tell = report or (lambda _step, _done, _total: None)
    result = RefreshResult()
    ws = Workspace.open(folder)
    step = "import"
    try:
        _import(ws, result, tell)
        step = "score"
        result.as_of = as_of or _default_as_of(ws)
        if result.as_of is None:
            result.notes.append("no orders yet: scoring and sync skipped.")
        else:
            _score(ws, result, tell)
            step = "sync"
            _sync(ws, result, tell)
    except Exception as exc:
        ws.warehouse.discard()
        served = ws.warehouse.store.current().name if ws.warehouse.store and \
            ws.warehouse.store.current() else "the last published version"
        raise RefreshError(f"refresh failed at step {step!r}: {exc} Nothing was published: "
                           f"the app keeps serving {served}.", step) from exc
    result.version = ws.warehouse.publish() if ws.warehouse._dirty else None
    settings = ws.settings
    app_url = ws.app_database_url
    ws.close()
    if notify and result.as_of is not None:
        try:
            _notify(settings, app_url, result, tell)
        except Exception as exc:
            raise RefreshError(f"refresh failed at step 'notify': {exc} The new data is "
                               f"published; run `churnguard notify digest` to retry.",
                               "notify") from exc
    return result


def _import(ws: Any, result: RefreshResult, tell: Report) -> None:
    sources = parse_sources(ws.settings.section("sources"))
    work = [(source, item) for source in sources for item in pending_inputs(ws, source)]
    tell("import", 0, len(work))
    for done, (source, (source_input, record)) in enumerate(work, start=1):
        options = dict(source.options)
        try:
            loaded = ws.load(source.table, source_input, mapping=source.mapping, **options)
        except ChurnguardError as exc:
            raise ChurnguardError(f"source {source.name!r}: {exc}") from None
        item = {"source": source.name, "table": source.table,
                "input": record["file"] if record else "query", "rows": loaded.rows_read,
                "inserted": loaded.inserted, "updated": loaded.updated}
        result.imported.append(item)
        if record is not None:
            record_files(ws, [{**record, "rows": loaded.rows_read}])
        tell("import", done, len(work))


def _default_as_of(ws: Any) -> date | None:
    if not ws.has_table("orders"):
        return None
    newest = ws.table("orders").order_date.max().execute()
    if newest is None or str(newest) == "NaT":
        return None
    return min(newest.date() + timedelta(days=1), date.today())


def _score(ws: Any, result: RefreshResult, tell: Report) -> None:
    from churnguard.risk.scoring import score

    tell("score", 0, 1)
    assert result.as_of is not None
    result.scored = len(score(ws, result.as_of, save=True))
    tell("score", 1, 1)


def _sync(ws: Any, result: RefreshResult, tell: Report) -> None:
    from churnguard.workflow.services.sync import sync
    from churnguard.workflow.store import open_store, session_scope

    tell("sync", 0, 1)
    factory = open_store(ws)
    with session_scope(factory) as session:
        result.synced = sync(ws, session, as_of=result.as_of).counts
    factory.kw["bind"].dispose()
    tell("sync", 1, 1)


def _notify(settings: Any, app_url: str, result: RefreshResult, tell: Report) -> None:
    from churnguard.workflow.services.notify import run_daily
    from churnguard.workflow.store import open_store, session_scope

    tell("notify", 0, 1)
    factory = open_store(database_url=app_url)
    with session_scope(factory) as session:
        assert result.as_of is not None
        result.notified = run_daily(session, settings, result.as_of)
    factory.kw["bind"].dispose()
    tell("notify", 1, 1)
