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
