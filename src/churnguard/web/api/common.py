"""Helpers shared by the API routes: paging and the page envelope."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query, Request
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from churnguard.constraints import PageNumber, PageSize

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of results: ``items``, the ``total`` count, ``page`` (from 1) and its size."""

    items: list[T]
    total: int
    page: int
    page_size: int


class Paging(BaseModel):
    page: int = 1
    page_size: int = 50


def paging(request: Request, page: Annotated[PageNumber, Query()] = 1,
           page_size: Annotated[PageSize | None, Query()] = None) -> Paging:
    """``?page=&page_size=`` (size capped by the app settings)."""
    settings = request.app.state.settings
    size = min(page_size or settings.page_size, settings.max_page_size)
    return Paging(page=page, page_size=size)


def paginate(db: Session, query: Select[Any], paging: Paging) -> tuple[list[Any], int]:
    """The rows of ``query`` on the requested page and the total count."""
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = db.scalars(query.limit(paging.page_size)
                      .offset((paging.page - 1) * paging.page_size)).all()
    return list(rows), int(total)
