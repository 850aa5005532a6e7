"""Queries on engine state: small named values the clustering keeps between runs
(e.g. ``term_n``, the number of articles its term statistics count). The caller owns the
transaction."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from storyline.storage.schema import engine_state


def get(conn: Connection, key: str) -> str | None:
    return conn.execute(select(engine_state.c.value).where(engine_state.c.key == key)).scalar()


def put(conn: Connection, key: str, value: str) -> None:
    if conn.execute(select(engine_state.c.key).where(engine_state.c.key == key)).first():
        conn.execute(update(engine_state).where(engine_state.c.key == key).values(value=value))
    else:
        conn.execute(insert(engine_state).values(key=key, value=value))


# Stories whose storyline and sub-stories are still to be refreshed: recorded in the
# transaction that stores a clustering batch, cleared in the one that refreshes them, so
# a run killed in between leaves the refresh to the next run instead of skipping it.
LINKS_PENDING = "links_pending"


def pending_links(conn: Connection) -> set[int]:
    value = get(conn, LINKS_PENDING)
    return {int(x) for x in value.split(",") if x} if value else set()


def add_pending_links(conn: Connection, story_ids: set[int]) -> None:
    if story_ids:
        ids = pending_links(conn) | story_ids
        put(conn, LINKS_PENDING, ",".join(str(i) for i in sorted(ids)))


def clear_pending_links(conn: Connection) -> None:
    if get(conn, LINKS_PENDING):
        put(conn, LINKS_PENDING, "")
