"""The reader's read queries: a story with its storyline and summary, its articles and
sub-stories as its page lists them, story cards for lists, a storyline's head, Top
Headlines candidates, and the content version its page cache keys on. The caller owns the
connection."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from storyline.storage.schema import (
    articles,
    stories,
    story_members,
    story_summaries,
    storylines,
    substories,
)

# Statements are built once: building one costs more than running it on SQLite.
_STORY_ROW = (
    select(stories, storylines.c.title.label("storyline_title"),
           storylines.c.story_count.label("storyline_story_count"),
           story_summaries.c.summary.label("summary_json"),
           story_summaries.c.members_hash.label("summary_members_hash"),
           story_summaries.c.written_at.label("summary_written_at"))
    .outerjoin(storylines, storylines.c.id == stories.c.storyline_id)
    .outerjoin(story_summaries, story_summaries.c.story_id == stories.c.id)
    .where(stories.c.id == bindparam("story_id"))
)


def story_row(conn: Connection, story_id: int) -> Any | None:
    """The story's row (merged ones too) with its storyline's title and story count and
    its summary (``summary_json``, ``summary_members_hash``, ``summary_written_at``;
    None when none is written)."""
    return conn.execute(_STORY_ROW, {"story_id": story_id}).first()


_LISTED_ARTICLES = (
    select(articles.c.id, articles.c.title, articles.c.outlet, articles.c.url,
           articles.c.published, articles.c.fetched_at, articles.c.source_id,
           articles.c.duplicate_of, story_members.c.substory_id)
    .join(story_members, story_members.c.article_id == articles.c.id)
    .where(story_members.c.story_id == bindparam("story_id"))
    .order_by(func.coalesce(articles.c.published, articles.c.fetched_at), articles.c.id)
)


def listed_articles(conn: Connection, story_id: int) -> list[dict[str, Any]]:
    """The story's articles as its page lists them (no text), each with its
    ``substory_id``, in time order."""
    return [dict(r._mapping) for r in conn.execute(_LISTED_ARTICLES, {"story_id": story_id})]


_SUBSTORIES = (
    select(substories.c.id, substories.c.label, substories.c.article_count)
    .where(substories.c.story_id == bindparam("story_id"))
    .order_by(substories.c.article_count.desc(), substories.c.id)
)


def substories_of(conn: Connection, story_id: int) -> list[Any]:
    """The story's sub-stories as "Dive deeper" lists them (id, label, article_count),
    biggest first."""
    return list(conn.execute(_SUBSTORIES, {"story_id": story_id}).all())


_CARD_COLUMNS = (stories.c.id, stories.c.title, stories.c.article_count, stories.c.outlet_count,
                 stories.c.first_time, stories.c.last_time, stories.c.updated_at,
                 stories.c.storyline_id)


def card_rows(conn: Connection, ids: list[int]) -> list[Any]:
    """What a story card shows of the stories ``ids``, in no set order."""
    if not ids:
        return []
    return list(conn.execute(select(*_CARD_COLUMNS).where(stories.c.id.in_(ids))))


def storyline_card_rows(conn: Connection, storyline_id: int) -> list[Any]:
    """Card rows of the storyline's active stories, earliest first (undated last)."""
    return list(conn.execute(select(*_CARD_COLUMNS)
                             .where(stories.c.storyline_id == storyline_id,
                                    stories.c.status == "active", stories.c.article_count > 0)
                             .order_by(stories.c.first_time.nulls_last(), stories.c.id)).all())


def storyline_row(conn: Connection, storyline_id: int) -> Any | None:
    """The storyline as its page heads it (id, title, story_count, first/last/updated
    times)."""
    return conn.execute(select(storylines.c.id, storylines.c.title, storylines.c.story_count,
                               storylines.c.first_time, storylines.c.last_time,
                               storylines.c.updated_at)
                        .where(storylines.c.id == storyline_id)).first()


def rank_candidates(conn: Connection, *, limit: int) -> list[Any]:
    """The ``limit`` most recently active stories (id, outlet_count, article_count,
    first_time, last_time), newest first: what Top Headlines ranks."""
    return list(conn.execute(
        select(stories.c.id, stories.c.outlet_count, stories.c.article_count,
               stories.c.first_time, stories.c.last_time)
        .where(stories.c.status == "active", stories.c.article_count > 0)
        .order_by(stories.c.last_time.desc().nulls_last(), stories.c.id.desc())
        .limit(limit)
    ).all())


_VERSION = select(
    select(func.max(stories.c.updated_at)).scalar_subquery(),
    select(func.count()).select_from(stories).scalar_subquery(),
    select(func.max(story_summaries.c.written_at)).scalar_subquery(),
    select(func.count()).select_from(story_summaries).scalar_subquery(),
    select(func.max(storylines.c.updated_at)).scalar_subquery(),
)


def data_version(conn: Connection) -> tuple[Any, ...]:
    """Changes whenever anything a cached page shows is written (one cheap query)."""
    return tuple(conn.execute(_VERSION).one())


def sqlite_data_version(conn: Connection) -> Any:
    """SQLite's own change counter (``PRAGMA data_version``): on one connection, it
    changes whenever any other connection commits."""
    return conn.exec_driver_sql("PRAGMA data_version").scalar()
