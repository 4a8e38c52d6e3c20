"""Workspace settings, read from ``churnguard.toml`` (pydantic-settings).

A workspace folder holds ``churnguard.toml``, the warehouse (a DuckDB file by default) and the
app database (SQLite by default). Environment variables prefixed ``CHURNGUARD_`` override the
file, e.g. ``CHURNGUARD_APP__DATABASE_URL=postgresql+psycopg://…``.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from churnguard.errors import ConfigError

SETTINGS_FILE = "churnguard.toml"


class WarehouseSettings(BaseModel):
    """Where analytics run: ``duckdb`` (default), ``pyspark``, or any Ibis URL."""

    backend: str = "duckdb"
    path: str = "warehouse.duckdb"
    parquet_dir: str = "tables"
    memory_limit: str = "60%"


class AppSettings(BaseModel):
    """The operational store (users, tasks, complaints…) and web-server settings."""

    database_url: str = "sqlite:///app.db"
    secret_key: str = ""
    session_hours: int = 12
    secure_cookies: bool = False  # true when served over HTTPS: cookies get the Secure flag
    trusted_proxies: list[str] = Field(default_factory=list)  # reverse proxies' addresses
    max_body_bytes: int = 1_000_000  # larger JSON and form bodies are refused (413)


class ChurnSettings(BaseModel):
    """The default churn definition of this business."""

    definition: str = "inactivity"
    inactivity_days: int = 180
    grace_days: int = 30


class DataSettings(BaseModel):
    """What the data itself cannot say."""

    # the first day of the history; default: the first order in the data. Set it when the
    # business truly started before its first exported order (periods before it plus the churn
    # window are warm-up periods: new and churn counts are null there)
    history_start: date | None = None


class WorkspaceSettings(BaseSettings):
    """All settings of one workspace.

    Sections other than ``warehouse``, ``app``, ``churn`` and ``data`` (``rules``, ``playbooks``,
    ``reasons``, ``mappings``…) are kept as plain dictionaries for the module that owns them.
    """

    model_config = SettingsConfigDict(
        env_prefix="CHURNGUARD_", env_nested_delimiter="__", extra="allow"
    )

    warehouse: WarehouseSettings = Field(default_factory=WarehouseSettings)
    app: AppSettings = Field(default_factory=AppSettings)
    churn: ChurnSettings = Field(default_factory=ChurnSettings)
    data: DataSettings = Field(default_factory=DataSettings)
    rules: dict[str, Any] = Field(default_factory=dict)
    playbooks: dict[str, Any] = Field(default_factory=dict)
    reasons: dict[str, Any] = Field(default_factory=dict)
    mappings: dict[str, dict[str, str]] = Field(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (env_settings, init_settings)

    def section(self, name: str) -> dict[str, Any]:
        """Return an extra section of the toml (``{}`` when absent)."""
        value = getattr(self, name, None)
        if value is None and self.model_extra:
            value = self.model_extra.get(name)
        return dict(value or {})


def read_settings(folder: Path) -> WorkspaceSettings:
    """Read ``churnguard.toml`` in ``folder``; environment variables override it."""
    path = Path(folder) / SETTINGS_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no settings file. Create the workspace with "
                          f"`churnguard init {folder}`.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}). Fix the file and retry.") from None
    try:
        return WorkspaceSettings(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: setting {where}: {first['msg']}.") from None


DEFAULT_TOML = """\
# churnguard workspace settings. Paths are relative to this folder.

[warehouse]
# "duckdb" (embedded, default), "pyspark" (local Spark; tables kept as Parquet), or an Ibis URL
backend = "duckdb"
path = "warehouse.duckdb"
# DuckDB's memory cap: a share of RAM ("60%") or a size ("8GB"); it spills to disk beyond it
memory_limit = "60%"

[app]
# SQLite file in this folder by default; e.g. "postgresql+psycopg://user@host/db" in production
database_url = "sqlite:///app.db"

[churn]
# "inactivity": churned after N days without an order; "contract": when contract_end passes
definition = "inactivity"
inactivity_days = 180
grace_days = 30

[data]
# the first day of the history (default: the first order in the data); periods before it plus
# the churn window are warm-up periods without new or churn counts
# history_start = 2010-12-01
"""
