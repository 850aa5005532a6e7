"""Queries on stories, storylines and sub-stories. The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

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


def member_articles(conn: Connection, story_id: int) -> list[dict[str, Any]]:
    """The story's articles as ``stories show`` lists them (no text), each with its
    membership ``score`` and ``substory_id``, in time order."""
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
    members = member_articles(conn, story_id)
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


def members_hash(conn: Connection, story_id: int) -> str | None:
    """The hash of the story's member list (a summary written for another is stale)."""
    return conn.execute(select(stories.c.members_hash)
                        .where(stories.c.id == story_id)).scalar()


def articles_to_write(conn: Connection, story_id: int) -> list[Any]:
    """The story's article rows with everything the writer reads (text, image, links,
    inferred fields), in time order."""
    return list(conn.execute(
        select(articles.c.id, articles.c.title, articles.c.text, articles.c.outlet,
               articles.c.url, articles.c.published, articles.c.fetched_at,
               articles.c.source_id, articles.c.image_url, articles.c.image_caption,
               articles.c.image_credit, articles.c.duplicate_of, articles.c.links,
               articles.c.inferred_fields)
        .join(story_members, story_members.c.article_id == articles.c.id)
        .where(story_members.c.story_id == story_id)
        .order_by(func.coalesce(articles.c.published, articles.c.fetched_at), articles.c.id)
    ))


def substory_members(conn: Connection, story_id: int) -> list[tuple[int, int]]:
    """(article id, sub-story id) for each of the story's articles in a sub-story."""
    return [(r.article_id, r.substory_id)
            for r in conn.execute(select(story_members.c.article_id,
                                         story_members.c.substory_id)
                                  .where(story_members.c.story_id == story_id,
                                         story_members.c.substory_id.is_not(None)))]


def storyline_id_of(conn: Connection, story_id: int) -> int | None:
    """The id of the storyline the story is part of, if any."""
    return conn.execute(select(stories.c.storyline_id)
                        .where(stories.c.id == story_id)).scalar()


def earlier_in_storyline(conn: Connection, story_id: int) -> list[Any]:
    """The active stories of this story's storyline that began before it (id,
    first_time, title, and the written headline or None), in time order (first time,
    then id): the page's timeline keeps the first of near-repeated entries, so the order
    must not float with the rows' physical order."""
    me = conn.execute(select(stories.c.storyline_id, stories.c.first_time)
                      .where(stories.c.id == story_id)).first()
    if me is None or me.storyline_id is None or me.first_time is None:
        return []
    return list(conn.execute(
        select(stories.c.id, stories.c.first_time, stories.c.title,
               story_summaries.c.headline)
        .outerjoin(story_summaries, story_summaries.c.story_id == stories.c.id)
        .where(stories.c.storyline_id == me.storyline_id, stories.c.id != story_id,
               stories.c.status == "active", stories.c.first_time < me.first_time)
        .order_by(stories.c.first_time, stories.c.id)
    ))


def biggest_in_storyline(conn: Connection, storyline_id: int) -> int | None:
    """The storyline's active story with the most articles (the lowest id of a tie)."""
    return conn.execute(
        select(stories.c.id).where(stories.c.storyline_id == storyline_id,
                                   stories.c.status == "active")
        .order_by(stories.c.article_count.desc(), stories.c.id).limit(1)).scalar()


def set_storyline_title(conn: Connection, storyline_id: int, title: str) -> None:
    conn.execute(update(storylines).where(storylines.c.id == storyline_id)
                 .values(title=title))


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


# ---- membership and aggregates, as the clustering stage writes them --------------------
def unassigned_count(conn: Connection) -> int:
    """Unflagged articles in no story yet."""
    query = select(func.count()).select_from(articles).outerjoin(
        story_members, story_members.c.article_id == articles.c.id
    ).where(story_members.c.article_id.is_(None), articles.c.is_flagged.is_(False))
    return int(conn.execute(query).scalar() or 0)


def unassigned_articles(conn: Connection, limit: int) -> list[Any]:
    """Up to ``limit`` unflagged articles in no story (``id``, ``title``, ``text``,
    ``content_hash``), in publication order."""
    query = (
        select(articles.c.id, articles.c.title, articles.c.text, articles.c.content_hash)
        .outerjoin(story_members, story_members.c.article_id == articles.c.id)
        .where(story_members.c.article_id.is_(None), articles.c.is_flagged.is_(False))
        .order_by(func.coalesce(articles.c.published, articles.c.fetched_at), articles.c.id)
        .limit(limit)
    )
    return list(conn.execute(query).all())


def assigned_among(conn: Connection, article_ids: Sequence[int]) -> set[int]:
    """Those of ``article_ids`` that are in a story."""
    return {r.article_id for r in conn.execute(
        select(story_members.c.article_id).where(story_members.c.article_id.in_(article_ids)))}


def story_of(conn: Connection, article_id: int) -> int | None:
    """The story an article is in, if any."""
    return conn.execute(select(story_members.c.story_id).where(
        story_members.c.article_id == article_id)).scalar()


def active_story_ids(conn: Connection, since: datetime | None = None) -> list[int]:
    """Active stories by id; with ``since``, those whose last article is not older (or
    that have no dated article: they can take articles any time)."""
    query = select(stories.c.id).where(stories.c.status == "active")
    if since is not None:
        query = query.where((stories.c.last_time >= since) | stories.c.last_time.is_(None))
    return [r.id for r in conn.execute(query.order_by(stories.c.id))]


def max_story_id(conn: Connection) -> int | None:
    return conn.execute(select(func.max(stories.c.id))).scalar()


def latest_story_time(conn: Connection) -> datetime | None:
    """The newest ``last_time`` of any story."""
    return conn.execute(select(func.max(stories.c.last_time))).scalar()


def active_article_counts(conn: Connection, story_ids: Sequence[int]) -> dict[int, int]:
    """``article_count`` of those of ``story_ids`` that are active."""
    return {r.id: r.article_count for r in conn.execute(
        select(stories.c.id, stories.c.article_count).where(
            stories.c.id.in_(story_ids), stories.c.status == "active"))}


def active_story_header(conn: Connection, story_id: int) -> Any | None:
    """``id``, ``first_time``, ``last_time``, ``article_count`` and ``title`` (the written
    headline, else the central article's title) of an active story; None otherwise."""
    return conn.execute(select(stories.c.id, stories.c.first_time, stories.c.last_time,
                               stories.c.article_count,
                               func.coalesce(story_summaries.c.headline,
                                             stories.c.title).label("title"))
                        .outerjoin(story_summaries, story_summaries.c.story_id == stories.c.id)
                        .where(stories.c.id == story_id, stories.c.status == "active")).first()


def save_story(conn: Connection, story_id: int, now: datetime, *, first_time: datetime | None,
               last_time: datetime | None, article_count: int, outlet_count: int,
               title: str | None, members_hash: str) -> None:
    """Create or update an active story with these aggregates."""
    values = dict(
        updated_at=now, first_time=first_time, last_time=last_time,
        article_count=article_count, outlet_count=outlet_count,
        title=title, status="active", merged_into=None, members_hash=members_hash,
    )
    exists = conn.execute(select(stories.c.id).where(stories.c.id == story_id)).first()
    if exists:
        conn.execute(update(stories).where(stories.c.id == story_id).values(**values))
    else:
        conn.execute(insert(stories).values(id=story_id, created_at=now, **values))


def mark_merged(conn: Connection, story_id: int, into: int, now: datetime) -> None:
    """Record that a story (if stored) was merged into another and has no members."""
    if conn.execute(select(stories.c.id).where(stories.c.id == story_id)).first():
        conn.execute(update(stories).where(stories.c.id == story_id).values(
            status="merged", merged_into=into, updated_at=now, article_count=0,
            members_hash=None))


def add_members(conn: Connection, members: Sequence[tuple[int, int, float | None]],
                now: datetime, weights: Mapping[int, bytes] | None = None) -> None:
    """Insert ``(article_id, story_id, score)`` memberships assigned at ``now``;
    ``weights``: by article id, what each added to its story's term vector (packed)."""
    if members:
        weights = weights or {}
        conn.execute(insert(story_members), [
            {"article_id": aid, "story_id": sid, "score": score, "assigned_at": now,
             "weights": weights.get(aid)}
            for aid, sid, score in members
        ])


def move_members(conn: Connection, story_id: int, article_ids: Sequence[int]) -> None:
    """Make ``story_id`` the story of those of ``article_ids`` that are in another."""
    conn.execute(update(story_members).where(and_(
        story_members.c.article_id.in_(article_ids),
        story_members.c.story_id != story_id)).values(story_id=story_id))
