"""Queries on feed sources. The caller owns the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from storyline.storage.schema import articles, sources


@dataclass(slots=True)
class Source:
    id: int
    url: str
    title: str | None
    site_name: str | None
    site_url: str | None
    status: str
    etag: str | None
    last_modified: str | None
    error_count: int
    last_error: str | None
    last_checked: datetime | None
    last_success: datetime | None
    next_check: datetime | None
    ttl_seconds: int | None
    created_at: datetime
    article_count: int = 0

    @property
    def name(self) -> str:
        return self.site_name or self.title or self.url


def _row_to_source(row: object, count: int = 0) -> Source:
    m = row._mapping  # type: ignore[attr-defined]
    return Source(**{k: m[k] for k in Source.__dataclass_fields__ if k != "article_count"},
                  article_count=count)


def add(conn: Connection, url: str, now: datetime, *, title: str | None = None,
        site_url: str | None = None) -> tuple[Source, bool]:
    """Insert a source unless its URL exists; returns (source, created)."""
    existing = get_by_url(conn, url)
    if existing is not None:
        return existing, False
    conn.execute(insert(sources).values(
        url=url, title=title, site_url=site_url, status="active", error_count=0,
        created_at=now, next_check=now,
    ))
    src = get_by_url(conn, url)
    assert src is not None
    return src, True


def get(conn: Connection, source_id: int) -> Source | None:
    row = conn.execute(select(sources).where(sources.c.id == source_id)).first()
    return _row_to_source(row) if row else None


def get_by_url(conn: Connection, url: str) -> Source | None:
    row = conn.execute(select(sources).where(sources.c.url == url)).first()
    return _row_to_source(row) if row else None


def list_all(conn: Connection) -> list[Source]:
    counts = (
        select(articles.c.source_id, func.count().label("n"))
        .group_by(articles.c.source_id)
        .subquery()
    )
    rows = conn.execute(
        select(sources, func.coalesce(counts.c.n, 0).label("article_count"))
        .outerjoin(counts, counts.c.source_id == sources.c.id)
        .order_by(sources.c.id)
    ).all()
    return [_row_to_source(r, r._mapping["article_count"]) for r in rows]


def due(conn: Connection, now: datetime, *, include_all: bool = False) -> list[Source]:
    query = select(sources).where(sources.c.status != "disabled")
    if not include_all:
        query = query.where(or_(sources.c.next_check.is_(None), sources.c.next_check <= now))
    return [_row_to_source(r) for r in conn.execute(query.order_by(sources.c.id)).all()]


def remove(conn: Connection, source_id: int) -> bool:
    """Delete a source; its articles stay (source_id set to NULL)."""
    conn.execute(update(articles).where(articles.c.source_id == source_id).values(source_id=None))
    return conn.execute(delete(sources).where(sources.c.id == source_id)).rowcount > 0


def record_success(conn: Connection, source_id: int, *, now: datetime, next_check: datetime,
                   etag: str | None, last_modified: str | None, title: str | None = None,
                   site_url: str | None = None, ttl_seconds: int | None = None,
                   warning: str | None = None) -> None:
    values: dict[str, object] = dict(
        status="active", error_count=0, last_error=warning, last_checked=now,
        last_success=now, next_check=next_check, etag=etag, last_modified=last_modified,
        ttl_seconds=ttl_seconds,
    )
    if title:
        values["title"] = title
    if site_url:
        values["site_url"] = site_url
    conn.execute(update(sources).where(sources.c.id == source_id).values(**values))


def record_not_modified(conn: Connection, source_id: int, *, now: datetime,
                        next_check: datetime) -> None:
    conn.execute(update(sources).where(sources.c.id == source_id).values(
        status="active", error_count=0, last_error=None, last_checked=now,
        last_success=now, next_check=next_check,
    ))


def record_error(conn: Connection, source_id: int, *, now: datetime, error: str,
                 next_check: datetime, disable: bool = False) -> int:
    """Count an error; returns the new consecutive error count."""
    src = get(conn, source_id)
    count = (src.error_count if src else 0) + 1
    conn.execute(update(sources).where(sources.c.id == source_id).values(
        status="disabled" if disable else "error", error_count=count, last_error=error,
        last_checked=now, next_check=next_check,
    ))
    return count


def set_site_name(conn: Connection, source_id: int, site_name: str) -> None:
    conn.execute(update(sources).where(sources.c.id == source_id, sources.c.site_name.is_(None))
                 .values(site_name=site_name))


def enable(conn: Connection, source_id: int, now: datetime) -> None:
    conn.execute(update(sources).where(sources.c.id == source_id).values(
        status="active", error_count=0, next_check=now))
