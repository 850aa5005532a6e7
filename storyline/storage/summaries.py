"""Queries on written story summaries (``story_summaries``) and the story pages stored with
them (``page_*`` columns, see ``storyline.write.page``). The caller owns the transaction."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, insert, or_, select, update

from storyline.storage.schema import stories, story_summaries, storylines, substories


def _context_changed(story: Any, written: Any) -> Any:
    """A story's page also shows the earlier stories of its storyline (their written
    headlines, else their titles: the timeline's first entries). It is stale when one of
    them changed after it was written: rewritten, re-clustered, attached to the
    storyline or merged away (``stories.updated_at`` and ``story_summaries.written_at``
    of the earlier story, against this one's ``written_at``)."""
    earlier = stories.alias("earlier")
    earlier_written = story_summaries.alias("earlier_written")
    return (select(earlier.c.id)
            .outerjoin(earlier_written, earlier_written.c.story_id == earlier.c.id)
            .where(earlier.c.storyline_id == story.c.storyline_id,
                   earlier.c.id != story.c.id,
                   earlier.c.first_time < story.c.first_time,
                   (earlier.c.updated_at > written.c.written_at)
                   | (earlier_written.c.written_at > written.c.written_at))
            .correlate(story, written).exists())


def stale_condition(story: Any = stories, written: Any = story_summaries) -> Any:
    """The SQL condition of a stale page, over an outer join of ``stories`` with their
    ``story_summaries``: no summary, one written for other members, or earlier stories
    of its storyline changed since (``_context_changed``)."""
    return (written.c.story_id.is_(None) | (written.c.members_hash != story.c.members_hash)
            | (story.c.storyline_id.is_not(None) & _context_changed(story, written)))


def stale_story_ids(conn: Connection, *, everything: bool = False) -> list[int]:
    """Active stories whose summary is missing, older than their member list or than the
    earlier stories of their storyline (all active stories with ``everything``), in
    timeline order (first time, then id): a storyline's earlier stories are written
    before the later pages that show their headlines."""
    query = (select(stories.c.id)
             .outerjoin(story_summaries, story_summaries.c.story_id == stories.c.id)
             .where(stories.c.status == "active", stories.c.article_count > 0))
    if not everything:
        query = query.where(stale_condition())
    return [r.id for r in conn.execute(query.order_by(stories.c.first_time.is_(None),
                                                      stories.c.first_time, stories.c.id))]


def replace(conn: Connection, *, story_id: int, members_hash: str, writer: str,
            headline: str, support_rate: float, summary: str, written_at: datetime,
            pages: dict[str, Any]) -> None:
    """Store a story's summary (its JSON document ``summary``) in place of the one before,
    with its stored page columns ``pages``."""
    conn.execute(delete(story_summaries).where(story_summaries.c.story_id == story_id))
    conn.execute(insert(story_summaries).values(
        story_id=story_id, members_hash=members_hash, writer=writer, headline=headline,
        support_rate=support_rate, summary=summary, written_at=written_at, **pages,
    ))


def load(conn: Connection, story_id: int) -> dict[str, Any] | None:
    """The story's summary document, or None when none is written."""
    row = conn.execute(select(story_summaries.c.summary)
                       .where(story_summaries.c.story_id == story_id)).first()
    return json.loads(row.summary) if row else None


_BY_STORY = (select(story_summaries.c.story_id, story_summaries.c.summary)
             .where(story_summaries.c.story_id.in_(bindparam("ids", expanding=True))))


def load_many(conn: Connection, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The summary documents of the stories ``ids`` that have one, by story id."""
    if not ids:
        return {}
    return {r.story_id: json.loads(r.summary) for r in conn.execute(_BY_STORY, {"ids": ids})}


_WRITTEN = (select(story_summaries.c.story_id, story_summaries.c.summary)
            .join(stories, stories.c.id == story_summaries.c.story_id)
            .where(stories.c.status == "active",
                   stories.c.article_count >= bindparam("min_articles"))
            .order_by(story_summaries.c.story_id))


def written(conn: Connection, *, min_articles: int = 1) -> list[tuple[int, dict[str, Any]]]:
    """(story id, summary document) of every active story of at least ``min_articles``
    articles that has a written summary, in story id order."""
    return [(r.story_id, json.loads(r.summary))
            for r in conn.execute(_WRITTEN, {"min_articles": min_articles})]


# --- stored pages ----------------------------------------------------------------------

# The story page from its stored rendering: the story row's live fields, its storyline,
# and the summary's stored page in one format (one query, built once).
_STORED_COLUMNS = (
    stories.c.id, stories.c.status, stories.c.members_hash, stories.c.article_count,
    stories.c.outlet_count, stories.c.first_time, stories.c.last_time,
    stories.c.storyline_id, storylines.c.title.label("storyline_title"),
    storylines.c.story_count.label("storyline_story_count"),
    story_summaries.c.members_hash.label("summary_members_hash"),
    story_summaries.c.written_at.label("summary_written_at"),
    story_summaries.c.headline.label("summary_headline"),
    story_summaries.c.page_version, story_summaries.c.page_own_substories,
)
_HAS_SUBSTORIES = (select(substories.c.id).where(substories.c.story_id == stories.c.id)
                   .exists().label("has_substories"))
_PAGE_COLUMN = {"html": story_summaries.c.page_html, "json": story_summaries.c.page_json}


def stored_page_columns(fmt: str) -> tuple[Any, ...]:
    """The columns ``stored_page`` selects (``fmt``'s page as ``page``), for a query of
    another module that reads a story's stored page along with its own columns: over
    ``stories`` joined with ``story_summaries`` and outer-joined with ``storylines``
    (``storylines.c.id == stories.c.storyline_id``)."""
    return (*_STORED_COLUMNS, _HAS_SUBSTORIES, _PAGE_COLUMN[fmt].label("page"))


_STORED_PAGE = {
    fmt: (select(*stored_page_columns(fmt))
          .outerjoin(storylines, storylines.c.id == stories.c.storyline_id)
          .join(story_summaries, story_summaries.c.story_id == stories.c.id)
          .where(stories.c.id == bindparam("story_id")))
    for fmt in _PAGE_COLUMN
}


def stored_page(conn: Connection, story_id: int, fmt: str) -> Any | None:
    """The stored page of the story's summary in ``fmt`` (html or json) as ``page``, with
    what decides whether it is current and the story's live fields; None when the story
    has no summary."""
    return conn.execute(_STORED_PAGE[fmt], {"story_id": story_id}).first()


_UNRENDERED = (select(story_summaries.c.story_id, story_summaries.c.members_hash,
                      story_summaries.c.headline, story_summaries.c.summary,
                      story_summaries.c.written_at)
               .where(story_summaries.c.story_id > bindparam("after"),
                      or_(story_summaries.c.page_version.is_(None),
                          story_summaries.c.page_version != bindparam("version")))
               .order_by(story_summaries.c.story_id)
               .limit(bindparam("limit")))


def unrendered(conn: Connection, *, after: int, version: str, limit: int) -> list[Any]:
    """Up to ``limit`` summaries after story ``after`` whose pages were stored by another
    ``version`` of the page code, or not at all."""
    return list(conn.execute(_UNRENDERED, {"after": after, "version": version,
                                           "limit": limit}).all())


def store_pages(conn: Connection, story_id: int, *, written_at: datetime,
                pages: dict[str, Any]) -> int:
    """Set the stored page columns of the story's summary, only if it is still the one
    written at ``written_at``; returns how many rows changed (0 or 1)."""
    return conn.execute(update(story_summaries).where(and_(
        story_summaries.c.story_id == story_id,
        story_summaries.c.written_at == written_at)).values(**pages)).rowcount
