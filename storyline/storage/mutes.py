"""Queries on a user's mutes: outlets and words (values stored lower-case). The caller
owns the transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, insert, select

from storyline.storage.schema import mutes

KINDS = ("outlet", "word")


def add(conn: Connection, user_id: int, kind: str, value: str, now: datetime) -> bool:
    """Mute ``value``; False when it already was."""
    exists = conn.execute(select(mutes.c.id).where(mutes.c.user_id == user_id,
                                                   mutes.c.kind == kind,
                                                   mutes.c.value == value)).first()
    if exists:
        return False
    conn.execute(insert(mutes).values(user_id=user_id, kind=kind, value=value,
                                      created_at=now))
    return True


def remove(conn: Connection, user_id: int, kind: str, value: str) -> bool:
    return conn.execute(delete(mutes).where(mutes.c.user_id == user_id, mutes.c.kind == kind,
                                            mutes.c.value == value)).rowcount > 0


# Built once: every signed-in page view runs it.
_OF_USER = (select(mutes.c.kind, mutes.c.value).where(mutes.c.user_id == bindparam("user_id"))
            .order_by(mutes.c.id))


def of_user(conn: Connection, user_id: int) -> dict[str, list[str]]:
    """{"outlet": [...], "word": [...]} in the order they were added."""
    out: dict[str, list[str]] = {k: [] for k in KINDS}
    for r in conn.execute(_OF_USER, {"user_id": user_id}):
        out.setdefault(r.kind, []).append(r.value)
    return out
