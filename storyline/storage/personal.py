"""The reader's per-user read queries: a story page's state for one user in one query,
what muting needs to know of many stories (headline, outlets, entities), and the stories
of a category. The caller owns the connection."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from storyline.storage.readstate import is_read
from storyline.storage.schema import (
    article_vectors,
    articles,
    categories,
    mutes,
    source_categories,
    stories,
    story_members,
    story_summaries,
    story_visits,
)

_UID: Any = bindparam("user_id")
_SID: Any = bindparam("story_id")
_VIEW_STATE = select(
    stories.c.status, stories.c.members_hash,
    story_summaries.c.written_at,
    story_visits.c.fingerprint, story_visits.c.new_articles, story_visits.c.new_sentences,
    select(func.count()).select_from(story_members)
    .join(articles, articles.c.id == story_members.c.article_id)
    .where(story_members.c.story_id == stories.c.id, ~is_read(_UID))
    .scalar_subquery().label("unread"),
    select(func.count()).select_from(mutes).where(mutes.c.user_id == _UID)
    .scalar_subquery().label("mutes"),
).select_from(
    stories.outerjoin(story_summaries, story_summaries.c.story_id == stories.c.id)
    .outerjoin(story_visits, (story_visits.c.story_id == stories.c.id)
               & (story_visits.c.user_id == _UID))
).where(stories.c.id == _SID)


def story_view_state(conn: Connection, user_id: int, story_id: int) -> Any | None:
    """status, members_hash, written_at (of the summary), the user's visit
    (fingerprint, new_articles, new_sentences; None without one), unread (articles not
    read) and mutes (how many the user has)."""
    return conn.execute(_VIEW_STATE, {"user_id": user_id, "story_id": story_id}).first()


def story_facets(conn: Connection, ids: Sequence[int], *, entities: bool = False
                 ) -> dict[int, dict[str, Any]]:
    """{story id: {"headline", "outlets", "entities"}} for muting decisions."""
    out: dict[int, dict[str, Any]] = {}
    for i in range(0, len(ids), 500):
        part = list(ids[i:i + 500])
        for r in conn.execute(select(stories.c.id, func.coalesce(story_summaries.c.headline,
                                                                 stories.c.title, ""))
                              .outerjoin(story_summaries,
                                         story_summaries.c.story_id == stories.c.id)
                              .where(stories.c.id.in_(part))):
            out[r[0]] = {"headline": r[1], "outlets": set(), "entities": set()}
        for r in conn.execute(select(story_members.c.story_id, articles.c.outlet)
                              .join(articles, articles.c.id == story_members.c.article_id)
                              .where(story_members.c.story_id.in_(part)).distinct()):
            if r.outlet and r.story_id in out:
                out[r.story_id]["outlets"].add(r.outlet)
        if entities:
            for r in conn.execute(select(story_members.c.story_id, article_vectors.c.entities)
                                  .join(article_vectors, article_vectors.c.article_id
                                        == story_members.c.article_id)
                                  .where(story_members.c.story_id.in_(part))):
                try:
                    names = json.loads(r.entities or "[]")
                except ValueError:
                    continue
                for name in names:
                    text = name if isinstance(name, str) else (
                        name[0] if isinstance(name, list) and name else None)
                    if isinstance(text, str) and r.story_id in out:
                        out[r.story_id]["entities"].add(text)
    return out


def category_story_ids(conn: Connection, name: str) -> set[int]:
    """Stories with an article from a feed in the category ``name`` (any case)."""
    return set(conn.execute(
        select(story_members.c.story_id).distinct()
        .join(articles, articles.c.id == story_members.c.article_id)
        .join(source_categories, source_categories.c.source_id == articles.c.source_id)
        .join(categories, categories.c.id == source_categories.c.category_id)
        .where(func.lower(categories.c.name) == name.lower())).scalars())
