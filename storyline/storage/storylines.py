"""Queries on storylines as the clustering stage builds them: the candidates a story can
join, new storylines, their member stories and aggregates. (Reading them for pages and
the writer: :mod:`storyline.storage.stories`.) The caller owns the transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from storyline.storage.schema import stories, storylines


def attach_story(conn: Connection, story_id: int, storyline_id: int) -> None:
    conn.execute(update(stories).where(stories.c.id == story_id)
                 .values(storyline_id=storyline_id))


def active_story_ids(conn: Connection, storyline_id: int) -> list[int]:
    """The active stories of a storyline, in no set order."""
    return [r.id for r in conn.execute(
        select(stories.c.id).where(stories.c.storyline_id == storyline_id,
                                   stories.c.status == "active")
    ).all()]


def candidates(conn: Connection, since: datetime | None) -> list[Any]:
    """``id``, ``centroid`` and ``entities`` (JSON) of the storylines a story can join:
    with ``since``, only those whose last story is not older."""
    query = select(storylines.c.id, storylines.c.centroid, storylines.c.entities)
    if since is not None:
        query = query.where(storylines.c.last_time >= since)
    return list(conn.execute(query))


def create(conn: Connection, now: datetime) -> int:
    """A new storyline of one story, its aggregates still to be saved; returns its id."""
    key = conn.execute(insert(storylines).values(
        created_at=now, updated_at=now, story_count=1, entities="{}",
    )).inserted_primary_key
    assert key is not None
    return int(key[0])


def save_aggregates(conn: Connection, storyline_id: int, now: datetime, *, story_count: int,
                    title: str | None, first_time: datetime | None,
                    last_time: datetime | None, centroid: bytes, entities: str) -> None:
    """Store a storyline's aggregates (``centroid`` float32 bytes, ``entities`` JSON)."""
    conn.execute(update(storylines).where(storylines.c.id == storyline_id).values(
        updated_at=now, story_count=story_count, title=title, first_time=first_time,
        last_time=last_time, centroid=centroid, entities=entities,
    ))
