"""PostgreSQL session advisory locks (one cycle of the worker at a time per database)."""

from __future__ import annotations

from sqlalchemy import Connection, text

__all__ = ["advisory_unlock", "try_advisory_lock"]


def try_advisory_lock(conn: Connection, key: int) -> bool:
    """Take the session lock ``key`` if free; commits, since the lock outlives the
    transaction (the server releases it when the session ends)."""
    held = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
    conn.commit()
    return held


def advisory_unlock(conn: Connection, key: int) -> None:
    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    conn.commit()
