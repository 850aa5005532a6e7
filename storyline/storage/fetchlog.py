"""The fetch/error log: one row per feed fetch, page fetch or import problem."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert

from storyline.storage.schema import fetch_log


def record(conn: Connection, *, at: datetime, kind: str, url: str | None, ok: bool,
           source_id: int | None = None, status: int | None = None, error: str | None = None,
           elapsed_ms: int | None = None, new_articles: int = 0) -> None:
    conn.execute(insert(fetch_log).values(
        at=at, kind=kind, url=url, ok=ok, source_id=source_id, status=status, error=error,
        elapsed_ms=elapsed_ms, new_articles=new_articles,
    ))
