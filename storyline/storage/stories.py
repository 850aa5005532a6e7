"""Queries on stories, storylines and sub-stories. The caller owns the transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from storyline.storage.schema import (
    articles,
    stories,
    story_members,
    story_summaries,
    storylines,
    substories,
)

STORY_FIELDS = ("id", "title", "article_count", "outlet_count", "first_time", "last_time",
                "created_at", "updated_at", "storyline_id", "status", "members_hash")


def _story_dict(row: Any) -> dict[str, Any]:
    m = row._mapping
    return {k: m[k] for k in STORY_FIELDS}


def list_stories(conn: Connection, *, limit: int | None = None, offset: int = 0,
                 min_articles: int = 1, storyline_id: int | None = None) -> list[dict[str, Any]]:
    """Active stories, each with its written ``headline`` (None until `storyline write`);
    undated stories (undated imported files only) come last."""
    query = (select(*[stories.c[f] for f in STORY_FIELDS], story_summaries.c.headline)
             .outerjoin(story_summaries, story_summaries.c.story_id == stories.c.id)
             .where(stories.c.status == "active", stories.c.article_count >= min_articles))
    if storyline_id is not None:
        query = query.where(stories.c.storyline_id == storyline_id)
        query = query.order_by(stories.c.first_time.nulls_last(), stories.c.id)
    else:
        query = query.order_by(stories.c.last_time.desc().nulls_last(),
                               stories.c.article_count.desc(), stories.c.id.desc())
    query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [{**_story_dict(r), "headline": r.headline} for r in conn.execute(query)]


def story_articles(conn: Connection, story_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(articles.c.id, articles.c.title, articles.c.outlet, articles.c.url,
               articles.c.published, articles.c.fetched_at, articles.c.duplicate_of,
               story_members.c.score, story_members.c.substory_id)
        .join(story_members, story_members.c.article_id == articles.c.id)
        .where(story_members.c.story_id == story_id)
        .order_by(func.coalesce(articles.c.published, articles.c.fetched_at), articles.c.id)
    )
    return [dict(r._mapping) for r in rows]


def get_story(conn: Connection, story_id: int) -> dict[str, Any] | None:
    """One story with its written ``headline`` (None until `storyline write`), articles,
    outlets, storyline and sub-stories; None if there is no such story."""
    row = conn.execute(select(*[stories.c[f] for f in STORY_FIELDS], stories.c.merged_into,
                              story_summaries.c.headline)
                       .outerjoin(story_summaries, story_summaries.c.story_id == stories.c.id)
                       .where(stories.c.id == story_id)).first()
    if row is None:
        return None
    story = _story_dict(row)
    story["headline"] = row.headline
    story["merged_into"] = row.merged_into
    members = story_articles(conn, story_id)
    story["articles"] = members
    story["outlets"] = sorted({a["outlet"] for a in members if a["outlet"]})
    story["storyline"] = None
    if story["storyline_id"] is not None:
        line = conn.execute(select(storylines.c.id, storylines.c.title, storylines.c.story_count)
                            .where(storylines.c.id == story["storyline_id"])).first()
        story["storyline"] = dict(line._mapping) if line else None
    subs = conn.execute(select(substories.c.id, substories.c.label, substories.c.article_count)
                        .where(substories.c.story_id == story_id)
                        .order_by(substories.c.article_count.desc(), substories.c.id))
    story["substories"] = [
        {**dict(s._mapping),
         "article_ids": [a["id"] for a in members if a["substory_id"] == s.id]}
        for s in subs
    ]
    return story


def list_storylines(conn: Connection, *, limit: int | None = None, min_stories: int = 1
                    ) -> list[dict[str, Any]]:
    query = (select(storylines.c.id, storylines.c.title, storylines.c.story_count,
                    storylines.c.first_time, storylines.c.last_time)
             .where(storylines.c.story_count >= min_stories)
             .order_by(storylines.c.last_time.desc().nulls_last(), storylines.c.id.desc()))
    if limit is not None:
        query = query.limit(limit)
    return [dict(r._mapping) for r in conn.execute(query)]


def get_storyline(conn: Connection, storyline_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(storylines.c.id, storylines.c.title, storylines.c.story_count,
                              storylines.c.first_time, storylines.c.last_time)
                       .where(storylines.c.id == storyline_id)).first()
    if row is None:
        return None
    line = dict(row._mapping)
    line["stories"] = list_stories(conn, storyline_id=storyline_id)
    return line
