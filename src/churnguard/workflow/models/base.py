"""Declarative base, naming convention and the shared column helpers of the app store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.schema import CreateIndex

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every app-store model; constraint names are stable across SQLite and PostgreSQL."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    #: Whether changes to rows of this model are written to the audit log.
    __audited__ = True


def utcnow() -> datetime:
    """The current UTC time as a naive datetime (the app store keeps naive UTC everywhere).

    Examples
    --------
    >>> utcnow().tzinfo is None
    True
    """
    return datetime.now(UTC).replace(tzinfo=None)


@compiles(CreateIndex, "sqlite")
def _sqlite_create_index(element: CreateIndex, compiler: Any, **kw: Any) -> str:
    """SQLite has no ``NULLS LAST`` in CREATE INDEX; its ``DESC`` already sorts NULLs last
    (and ``ASC`` first), so an index declared ``DESC NULLS LAST`` for PostgreSQL is the same
    index on SQLite without the clause."""
    text = compiler.visit_create_index(element, **kw)
    return text.replace(" DESC NULLS LAST", " DESC").replace(" ASC NULLS FIRST", " ASC")
