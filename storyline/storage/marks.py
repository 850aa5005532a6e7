"""A cheap fingerprint of the story tables, so a long-lived clusterer knows whether
anyone else changed the stories since its own last run."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from storyline.storage.schema import stories, story_members

__all__ = ["story_mark"]


def story_mark(conn: Connection) -> tuple[Any, ...]:
    """Changes whenever anyone assigns, moves or deletes story members or updates a story:
    a warm clusterer reloads its stories when the mark is not its own last one."""
    members = conn.execute(select(func.count(), func.max(story_members.c.assigned_at))
                           .select_from(story_members)).one()
    latest = conn.execute(select(func.count(), func.max(stories.c.updated_at))
                          .select_from(stories)).one()
    return (members[0], members[1], latest[0], latest[1])
