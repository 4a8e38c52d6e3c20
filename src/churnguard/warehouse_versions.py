"""Published versions of a DuckDB warehouse: one writer at a time, readers on finished copies.

DuckDB lets one process write a database file, and no other process may even read it
meanwhile. So the workspace keeps two kinds of files (``path = "warehouse.duckdb"``):

``warehouse.duckdb``
    The writers' file. Only the process holding the writer lock opens it (``churnguard import``,
    ``score``, ``sync``, ``refresh``, an admin's upload in the web app).
``warehouse.versions/v000007.duckdb``
    Published copies, never written again. A writer publishes when it is done (checkpoint, copy,
    then an atomic ``os.replace`` of the pointer ``warehouse.versions/CURRENT``); readers — the
    web server's workers — open the current copy read-only and move to a newer one when the
    pointer changes. The two newest copies are kept; older ones are deleted (a reader that
    still has one open keeps reading it: POSIX keeps an unlinked open file).
``warehouse.versions/writer.lock``
    ``flock``-ed by the writing process, which writes its pid and command into it so that the
    next writer's error can say who is writing.

Examples
--------
>>> import tempfile, duckdb
>>> master = Path(tempfile.mkdtemp()) / "warehouse.duckdb"
>>> store = VersionStore(master)
>>> store.current() is None
True
>>> with store.writer_lock():
...     con = duckdb.connect(str(master))
...     _ = con.execute("CREATE TABLE t AS SELECT 1 AS x")
...     store.publish(con).name
...     con.close()
'v000001.duckdb'
>>> duckdb.connect(str(store.current()), read_only=True).execute("FROM t").fetchall()
[(1,)]
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from churnguard.errors import WorkspaceError

VERSIONS_KEPT = 2
POINTER = "CURRENT"
LOCK_FILE = "writer.lock"


class WarehouseBusyError(WorkspaceError):
    """Another process is writing the warehouse (an import, a score, a refresh)."""

    code = "warehouse_busy"


# one flock per lock file and process, shared by the process's writers (threads, nested opens)
_HELD: dict[str, tuple[int, int]] = {}
_HELD_GUARD = threading.Lock()


class VersionStore:
    """The published versions of the DuckDB file ``master`` and its writer lock."""

    def __init__(self, master: Path) -> None:
        self.master = Path(master)
        self.folder = self.master.with_name(self.master.stem + ".versions")

    # -- reading ---------------------------------------------------------------------------
    def current(self) -> Path | None:
        """The current published version, or None before the first publish."""
        try:
            name = (self.folder / POINTER).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return self.folder / name if name else None

    def stamp(self) -> tuple[int, int] | None:
        """A cheap identity of the pointer (inode, mtime): changes on every publish."""
        try:
            found = os.stat(self.folder / POINTER)
        except FileNotFoundError:
            return None
        return (found.st_ino, found.st_mtime_ns)

    # -- the writer lock ---------------------------------------------------------------------
    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Hold the writer lock for the block (see :meth:`acquire`)."""
        self.acquire()
        try:
            yield
        finally:
            self.release()

    def acquire(self) -> None:
        """Take the writer lock, or raise :class:`WarehouseBusyError` naming the holder.

        Re-entrant within a process: its writers share one lock (DuckDB shares the file too).
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        path = str(self.folder / LOCK_FILE)
        with _HELD_GUARD:
            if path in _HELD:
                fd, count = _HELD[path]
                _HELD[path] = (fd, count + 1)
                return
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 500, 0).decode("utf-8", "replace").strip()
                os.close(fd)
                raise WarehouseBusyError(
                    f"{self.master}: another process is writing the warehouse"
                    f"{' (' + holder + ')' if holder else ''}. Wait for it to finish and retry; "
                    f"the web app keeps serving the last published data meanwhile."
                ) from None
            os.ftruncate(fd, 0)
            since = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            os.pwrite(fd, f"pid {os.getpid()}: {' '.join(_command())}, since {since}".encode(), 0)
            _HELD[path] = (fd, 1)

    def holds(self) -> int:
        """How many holds of the writer lock this process has (0: not holding it)."""
        with _HELD_GUARD:
            return _HELD.get(str(self.folder / LOCK_FILE), (0, 0))[1]

    def release(self) -> None:
        """Give back one hold of the writer lock (the last one unlocks the file)."""
        path = str(self.folder / LOCK_FILE)
        with _HELD_GUARD:
            fd, count = _HELD[path]
            if count > 1:
                _HELD[path] = (fd, count - 1)
                return
            del _HELD[path]
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    # -- publishing --------------------------------------------------------------------------
    def publish(self, con: Any) -> Path:
        """Checkpoint the master through ``con`` (a DuckDB connection to it), copy it as the
        next version and point readers at it. The caller holds the writer lock."""
        con.execute("CHECKPOINT")
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"v{self._last_number() + 1:06d}.duckdb"
        partial = self.folder / f".{target.name}.{uuid.uuid4().hex}.tmp"
        shutil.copyfile(self.master, partial)
        _fsync(partial)
        os.replace(partial, target)
        self._point_at(target)
        self.prune()
        return target

    def restore_master(self) -> None:
        """Put the last published version back as the master (undo unpublished writes).

        The caller holds the writer lock and has closed every connection to the master.
        """
        current = self.current()
        wal = self.master.with_name(self.master.name + ".wal")
        wal.unlink(missing_ok=True)
        if current is None:
            self.master.unlink(missing_ok=True)
            return
        partial = self.master.with_name(f".{self.master.name}.{uuid.uuid4().hex}.tmp")
        shutil.copyfile(current, partial)
        os.replace(partial, self.master)

    def _point_at(self, target: Path) -> None:
        partial = self.folder / f".{POINTER}.{uuid.uuid4().hex}.tmp"
        partial.write_text(target.name + "\n", encoding="utf-8")
        _fsync(partial)
        os.replace(partial, self.folder / POINTER)
        _fsync_dir(self.folder)

    def _last_number(self) -> int:
        numbers = [int(p.stem[1:]) for p in self.folder.glob("v*.duckdb") if p.stem[1:].isdigit()]
        return max(numbers, default=0)

    def versions(self) -> list[Path]:
        """The published version files, oldest first."""
        return sorted(p for p in self.folder.glob("v*.duckdb") if p.stem[1:].isdigit())

    def prune(self, keep: int = VERSIONS_KEPT) -> list[Path]:
        """Delete all but the ``keep`` newest versions (never the current one)."""
        current = self.current()
        dropped = [p for p in self.versions()[:-keep] if p != current]
        for path in dropped:
            path.unlink(missing_ok=True)
            path.with_name(path.name + ".wal").unlink(missing_ok=True)
        for stale in self.folder.glob(".*.tmp"):  # copies of a writer that was killed
            if stale.stat().st_mtime < datetime.now(UTC).timestamp() - 3600:
                stale.unlink(missing_ok=True)
        return dropped


def _command() -> list[str]:
    argv = [os.path.basename(sys.argv[0])] + sys.argv[1:4] if sys.argv else ["python"]
    return [part for part in argv if part]


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
