"""Change ``churnguard.toml`` from a program (the admin page) without losing a word of it.

The file is edited as a document (``tomlkit``), so comments, key order and every other section
stay as they were; the whole new text is checked before anything is written (the settings must
still load, and the caller's ``validate`` — the library's own parser of the section — must
accept it), then written next to the old file and moved over it (``os.replace``), so a reader
sees either the old file or the new one, never half of each. Each edit names the version of
the file it was made from; when the file changed in between, it is refused
(:class:`SettingsConflictError`) instead of silently undoing the other change.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "churnguard.toml").write_text('[churn]\\ninactivity_days = 180  # six months\\n')
>>> change = edit_settings(folder, "rules", "order_drop", {"threshold": 0.6})
>>> print((folder / "churnguard.toml").read_text())
[churn]
inactivity_days = 180  # six months
<BLANKLINE>
[rules.order_drop]
threshold = 0.6
<BLANKLINE>
>>> change.before, change.after
(None, {'threshold': 0.6})
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from churnguard.config import SETTINGS_FILE, WorkspaceSettings, read_settings
from churnguard.errors import ChurnguardError, ConfigError

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)
_LOCK = threading.Lock()


class SettingsConflictError(ChurnguardError, ValueError):
    """The settings file changed since the caller read it."""

    code = "conflict"


@dataclass(frozen=True)
class SettingsChange:
    """What one edit did: the entry before and after (``None`` when absent), the new file's
    version and the settings it now holds."""

    section: str
    name: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    version: str
    settings: WorkspaceSettings


def settings_version(folder: str | Path) -> str:
    """A short fingerprint of ``churnguard.toml`` in ``folder`` (changes with every edit).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "churnguard.toml").write_text("")
    >>> settings_version(folder)
    'e3b0c44298fc1c14'
    """
    return _fingerprint((Path(folder) / SETTINGS_FILE).read_bytes())


def edit_settings(folder: str | Path, section: str, name: str,
                  values: Mapping[str, Any | None], *, expected_version: str | None = None,
                  validate: Callable[[dict[str, Any]], object] | None = None,
                  defaults: Mapping[str, Mapping[str, Any]] | None = None,
                  dry_run: bool = False) -> SettingsChange:
    """Set the keys of ``[section.name]`` to ``values`` (``None`` removes a key) and write
    the file atomically.

    Parameters
    ----------
    folder
        The workspace folder holding ``churnguard.toml``.
    section, name
        The entry to change, e.g. ``"rules"``, ``"order_drop"``.
    values
        Key → new value; ``None`` deletes the key.
    expected_version
        The :func:`settings_version` the caller's form was made from; a different current
        version raises :class:`SettingsConflictError` and writes nothing.
    validate
        Called with the whole new ``[section]`` as plain data; raise
        :class:`~churnguard.errors.ConfigError` to refuse it (nothing is written).
    defaults
        The entries in force while the file has no ``[section]`` (the built-in playbooks):
        they are written out first, so changing one keeps the others.
    dry_run
        Check everything and return the change without writing the file.
    """
    path = Path(folder) / SETTINGS_FILE
    with _exclusive(path):
        raw = path.read_bytes()
        if expected_version is not None and _fingerprint(raw) != expected_version:
            raise SettingsConflictError(f"{path} was changed by someone else since you opened "
                                        f"the page. Reload it and make your change again.")
        try:
            document = tomlkit.parse(raw.decode("utf-8"))
        except TOMLKitError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc}). Fix the file and retry.") \
                from None
        table = _section(document, section, defaults)
        before = table[name].unwrap() if name in table else None
        entry = table[name] if name in table else tomlkit.table()
        if not isinstance(entry, dict):
            raise ConfigError(f"{path}: [{section}] {name} is a value, not a table such as "
                              f"[{section}.{name}]; it cannot be changed from here.")
        for key, value in values.items():
            if value is None:
                entry.pop(key, None)
            else:
                entry[key] = value
        table[name] = entry
        plain = document.unwrap()
        if validate is not None:
            validate(dict(plain.get(section) or {}))
        try:
            settings = WorkspaceSettings(**plain)
        except ValueError as exc:
            raise ConfigError(f"{path}: the change would make the settings unreadable: "
                              f"{exc}") from None
        text = tomlkit.dumps(document)
        if not dry_run:
            _replace(path, text)
    after = plain[section].get(name)
    return SettingsChange(section=section, name=name, before=before, after=after,
                          version=_fingerprint(text.encode("utf-8")), settings=settings)


def reload_if_changed(ws: Any) -> bool:
    """Re-read ``ws.settings`` when ``churnguard.toml`` changed since it was last read (by
    another server process, or by hand); True when it did. A file that no longer loads is
    logged and the settings in force are kept."""
    path = Path(ws.folder) / SETTINGS_FILE
    try:
        info = path.stat()
    except FileNotFoundError:
        return False
    stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
    seen = getattr(ws, "_settings_stamp", None)
    if seen is None:
        ws._settings_stamp = stamp
        return False
    if stamp == seen:
        return False
    ws._settings_stamp = stamp
    try:
        ws.settings = read_settings(ws.folder)
    except ConfigError:
        logger.exception("%s changed but does not load; the settings in force are kept", path)
        return False
    return True


def _section(document: tomlkit.TOMLDocument, section: str,
             defaults: Mapping[str, Mapping[str, Any]] | None) -> Any:
    if section not in document or not document[section]:
        table = tomlkit.table(is_super_table=True)
        for name, spec in (defaults or {}).items():
            entry = tomlkit.table()
            entry.update(dict(spec))
            table[name] = entry
        document[section] = table
    return document[section]


def _fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """One edit at a time: in this process (a lock) and across processes (``flock`` on a
    lock file next to the settings)."""
    with _LOCK:
        if fcntl is None:
            yield
            return
        with open(path.with_name("." + path.name + ".lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path`` and move it over ``path``."""
    handle, temporary = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp",
                                         dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
