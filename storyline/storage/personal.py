"""The reader's per-user read queries: a story page's state for one user in one query,
what muting needs to know of many stories (headline, outlets, entities), and the stories
of a category. The caller owns the connection."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    String,
    bindparam,
    cast,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
)

from storyline.storage import summaries as summary_store
from storyline.storage.prepared import Prepared
from storyline.storage.readstate import is_read
from storyline.storage.schema import (
    UTCDateTime,
    article_reads,
    article_vectors,
    articles,
    categories,
    mutes,
    source_categories,
    stories,
    story_members,
    story_summaries,
    story_visits,
    storylines,
)

_UID: Any = bindparam("user_id")
_SID: Any = bindparam("story_id")
# A story page's state for one user: the visit, unread articles, mutes, and what a first
# visit records, so that it needs no other read: what the summary lists (its visit_*
# columns) and the members ("1,2,3").
_STATE_COLUMNS = (
    story_visits.c.fingerprint, story_visits.c.new_articles, story_visits.c.new_sentences,
    select(func.count()).select_from(story_members)
    .join(articles, articles.c.id == story_members.c.article_id)
    .where(story_members.c.story_id == stories.c.id, ~is_read(_UID))
    .scalar_subquery().label("unread"),
    select(func.count()).select_from(mutes).where(mutes.c.user_id == _UID)
    .scalar_subquery().label("mutes"),
    story_summaries.c.visit_articles, story_summaries.c.visit_sentences,
    select(func.aggregate_strings(cast(story_members.c.article_id, String), ","))
    .where(story_members.c.story_id == stories.c.id)
    .scalar_subquery().label("member_ids"),
)
_STATE_FROM = (
    stories.outerjoin(story_summaries, story_summaries.c.story_id == stories.c.id)
    .outerjoin(story_visits, (story_visits.c.story_id == stories.c.id)
               & (story_visits.c.user_id == _UID)))
_VIEW_STATE = Prepared(select(
    stories.c.status, stories.c.members_hash, story_summaries.c.written_at, *_STATE_COLUMNS,
).select_from(_STATE_FROM).where(stories.c.id == _SID))
# The same with the story's stored page (``storage.summaries.stored_page``'s columns), for
# a view whose anonymous page is not in the reader's cache: one read instead of two.
_VIEW_STATE_AND_PAGE = {
    fmt: Prepared(select(
        story_summaries.c.written_at, *_STATE_COLUMNS, *summary_store.stored_page_columns(fmt),
    ).select_from(_STATE_FROM.outerjoin(storylines, storylines.c.id == stories.c.storyline_id))
        .where(stories.c.id == _SID))
    for fmt in ("html", "json")
}


def story_view_state(conn: Connection, user_id: int, story_id: int, *,
                     page: str | None = None) -> Any | None:
    """status, members_hash, written_at (of the summary), the user's visit
    (fingerprint, new_articles, new_sentences; None without one), unread (articles not
    read), mutes (how many the user has), the summary's visit_articles and
    visit_sentences (None when none is written, or saved before migration 0010) and
    member_ids (the members' ids, comma-separated; None without any). With ``page``
    (html or json), also the columns of ``storage.summaries.stored_page`` for that
    format (``page`` None when the story has no summary)."""
    params = {"user_id": user_id, "story_id": story_id}
    if page is None:
        return _VIEW_STATE.first(conn, params)
    return _VIEW_STATE_AND_PAGE[page].first(conn, params)


# A first visit's writes, prepared (SQLAlchemy's per-execution work costs more than
# running them on SQLite): the visit, and the read marks.
_UID_I: Any = bindparam("uid", type_=Integer)
_NOW: Any = bindparam("now", type_=UTCDateTime)
_SID_I: Any = bindparam("sid", type_=Integer)
# Written only when the user has no visit of the story yet: two first visits at once
# (two tabs) record one, and neither fails.
_INSERT_VISIT = Prepared(insert(story_visits).from_select(
    ["user_id", "story_id", "visited_at", "fingerprint", "seen_articles", "seen_sentences",
     "previous_at", "new_articles", "new_sentences"],
    select(_UID_I, _SID_I, _NOW, bindparam("fingerprint", type_=String),
           bindparam("seen_articles", type_=String), bindparam("seen_sentences", type_=String),
           null(), literal("[]"), literal("[]"))
    .where(~exists().where(story_visits.c.user_id == _UID_I,
                           story_visits.c.story_id == _SID_I))))
_member_sel = select(story_members.c.article_id).where(story_members.c.story_id == _SID_I)
_MARK_STORY_READ = Prepared(insert(article_reads).from_select(
    ["user_id", "article_id", "read_at"],
    select(_UID_I, articles.c.id, _NOW)
    .where(or_(articles.c.id.in_(_member_sel), articles.c.duplicate_of.in_(_member_sel)),
           ~exists().where(article_reads.c.user_id == _UID_I,
                           article_reads.c.article_id == articles.c.id))))


def insert_first_visit(conn: Connection, user_id: int, story_id: int, now: Any, *,
                       fingerprint: str, seen_articles: str, seen_sentences: str) -> bool:
    """The user's first visit of the story (nothing new since a visit before it); False
    (nothing written) when the user has a visit of it already."""
    params = {"uid": user_id, "sid": story_id, "now": now, "fingerprint": fingerprint,
              "seen_articles": seen_articles, "seen_sentences": seen_sentences}
    return _INSERT_VISIT.run(conn, params) > 0


def mark_story_read(conn: Connection, user_id: int, story_id: int, now: Any) -> int:
    """Mark every article of the story, and their syndicated copies, read (one
    statement); returns how many were unread."""
    return _MARK_STORY_READ.run(conn, {"uid": user_id, "sid": story_id, "now": now})


_FOLDERS_VERSION = select(
    select(func.count()).select_from(source_categories).scalar_subquery(),
    select(func.max(categories.c.id)).scalar_subquery(),
    select(func.count()).select_from(categories).scalar_subquery(),
)


def content_version(conn: Connection) -> tuple[Any, ...]:
    """What the reader's page cache keys on where there is no ``PRAGMA data_version``
    (PostgreSQL): the stories, summaries and storylines (``storage.pages.data_version``)
    and the site's folders. Not read state, visits, sessions or mutes: a reader's own
    writes do not drop everyone's cached pages."""
    from storyline.storage import pages as page_store

    return (*page_store.data_version(conn), *conn.execute(_FOLDERS_VERSION).one())


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


def feeds_story_ids(conn: Connection, source_ids: Sequence[int]) -> set[int]:
    """Stories with an article from one of the feeds ``source_ids``."""
    return set(conn.execute(
        select(story_members.c.story_id).distinct()
        .join(articles, articles.c.id == story_members.c.article_id)
        .where(articles.c.source_id.in_(list(source_ids)))).scalars())
