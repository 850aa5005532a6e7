"""Queries on sub-stories as the clustering stage rebuilds them: groups of a story's
members on one angle ("Dive deeper"). (Reading them for pages:
:mod:`storyline.storage.pages`.) The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, delete, insert, update

from storyline.storage.schema import story_members, substories


def clear(conn: Connection, story_id: int) -> None:
    """Drop a story's sub-stories (its members stay in the story)."""
    conn.execute(update(story_members).where(story_members.c.story_id == story_id)
                 .values(substory_id=None))
    conn.execute(delete(substories).where(substories.c.story_id == story_id))


def create(conn: Connection, story_id: int, label: str, article_ids: Sequence[int]) -> int:
    """A sub-story of ``story_id`` grouping ``article_ids``; returns its id."""
    key = conn.execute(insert(substories).values(
        story_id=story_id, label=label, article_count=len(article_ids)
    )).inserted_primary_key
    assert key is not None
    sub_id = int(key[0])
    conn.execute(update(story_members).where(story_members.c.article_id.in_(article_ids))
                 .values(substory_id=sub_id))
    return sub_id
