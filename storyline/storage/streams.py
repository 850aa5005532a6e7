"""Item streams for the Google Reader API (``storyline.web.greader``): the articles of
feeds (syndicated copies, ``duplicate_of``, left out) and stories as items, newest
first, filtered by read and starred state, with keyset paging on (time, item id), and
their unread counts. A story's item id is ``STORY_BASE + story id``. The caller owns the
transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Select,
    cast,
    false,
    func,
    literal,
    select,
    type_coerce,
    union_all,
)

from storyline.storage.readstate import (
    is_read,
    is_starred,
    outlet_allowed,
    story_unread,
    story_visible,
)
from storyline.storage.schema import (
    UTCDateTime,
    articles,
    sources,
    stories,
    story_members,
    story_summaries,
    subscriptions,
)

STORY_BASE = 1 << 40  # story items' ids: above any article id this database will reach


@dataclass(slots=True)
class StreamQuery:
    """Which items: articles of ``source_ids`` (None: every feed the user follows; ()
    none), stories when ``stories`` (those with an article from a feed the user follows);
    filtered by state; ``after`` = (time, item id) of the last item seen."""

    user_id: int
    source_ids: Sequence[int] | None = None
    stories: bool = False
    articles: bool = True
    exclude_read: bool = False
    only_read: bool = False
    only_starred: bool = False
    newer_than: datetime | None = None
    older_than: datetime | None = None
    oldest_first: bool = False
    after: tuple[datetime, int] | None = None
    muted: Sequence[str] = field(default_factory=tuple)
    muted_words: Sequence[str] = field(default_factory=tuple)
    #: False when the user follows every feed (``follows_all``): no filter to run then.
    followed_only: bool = True


def _article_time() -> ColumnElement[Any]:
    return func.coalesce(articles.c.published, articles.c.fetched_at)


def _story_time() -> ColumnElement[Any]:
    return func.coalesce(stories.c.last_time, stories.c.updated_at)


def followed(user_id: int) -> Select[Any]:
    """The ids of the feeds the user follows."""
    return select(subscriptions.c.source_id).where(subscriptions.c.user_id == user_id)


def story_followed(user_id: int) -> ColumnElement[bool]:
    """A story (``stories`` row in the query) with an article from a feed the user
    follows."""
    return stories.c.id.in_(
        select(story_members.c.story_id)
        .join(articles, articles.c.id == story_members.c.article_id)
        .where(articles.c.source_id.in_(followed(user_id))))


def article_select(q: StreamQuery) -> Select[Any]:
    sel = select(literal("a").label("kind"), articles.c.id.label("item_id"),
                 _article_time().label("ts")).where(articles.c.duplicate_of.is_(None))
    if q.source_ids is None:
        sel = sel.where(articles.c.source_id.in_(followed(q.user_id)) if q.followed_only
                        else articles.c.source_id.is_not(None))
    elif not q.source_ids:
        sel = sel.where(false())
    else:
        sel = sel.where(articles.c.source_id.in_(list(q.source_ids)))
    if q.muted:
        sel = sel.where(outlet_allowed(q.muted))
    return _filtered(sel, q, read=is_read(q.user_id),
                     starred=is_starred(q.user_id, "article", articles.c.id),
                     when=_article_time())


def _filtered(sel: Select[Any], q: StreamQuery, *, read: ColumnElement[bool],
              starred: ColumnElement[bool], when: ColumnElement[Any]) -> Select[Any]:
    """``sel`` with the state and time filters of ``q``: ``read``, ``starred`` and
    ``when`` are what they mean for the items ``sel`` selects."""
    if q.exclude_read:
        sel = sel.where(~read)
    if q.only_read:
        sel = sel.where(read)
    if q.only_starred:
        sel = sel.where(starred)
    if q.newer_than is not None:
        sel = sel.where(when >= type_coerce(q.newer_than, UTCDateTime))
    if q.older_than is not None:
        sel = sel.where(when <= type_coerce(q.older_than, UTCDateTime))
    return sel


def headline() -> ColumnElement[Any]:
    return func.coalesce(story_summaries.c.headline, stories.c.title, "")


def story_select(q: StreamQuery) -> Select[Any]:
    sel = (select(literal("s").label("kind"), (cast(stories.c.id, BigInteger)
                                           + literal(STORY_BASE, BigInteger)).label("item_id"),
                  _story_time().label("ts"))
           .select_from(stories.outerjoin(story_summaries,
                                          story_summaries.c.story_id == stories.c.id))
           .where(stories.c.status == "active", stories.c.article_count > 0))
    if q.followed_only:
        sel = sel.where(story_followed(q.user_id))
    if q.muted:
        sel = sel.where(story_visible(q.muted))
    for word in q.muted_words:
        sel = sel.where(~func.lower(headline()).contains(word, autoescape=True))
    return _filtered(sel, q, read=~story_unread(q.user_id, q.muted),
                     starred=is_starred(q.user_id, "story", stories.c.id), when=_story_time())


def _parts(q: StreamQuery) -> list[Select[Any]]:
    parts = []
    if q.articles:
        parts.append(article_select(q))
    if q.stories:
        parts.append(story_select(q))
    return parts


def items(conn: Connection, q: StreamQuery, limit: int) -> list[tuple[str, int, datetime]]:
    """Up to ``limit`` items (kind "a"|"s", item id, time) after ``q.after``."""
    parts = _parts(q)
    if not parts:
        return []
    sub = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
    ts = type_coerce(sub.c.ts, UTCDateTime)
    sel = select(sub.c.kind, sub.c.item_id, ts.label("ts"))
    if q.after is not None:
        at, item = q.after
        bound = type_coerce(at, UTCDateTime)
        if q.oldest_first:
            sel = sel.where((sub.c.ts > bound) | ((sub.c.ts == bound) & (sub.c.item_id > item)))
        else:
            sel = sel.where((sub.c.ts < bound) | ((sub.c.ts == bound) & (sub.c.item_id < item)))
    order = ((sub.c.ts.asc(), sub.c.item_id.asc()) if q.oldest_first
             else (sub.c.ts.desc(), sub.c.item_id.desc()))
    return [(r.kind, int(r.item_id), r.ts)
            for r in conn.execute(sel.order_by(*order).limit(limit))]


def count(conn: Connection, q: StreamQuery) -> int:
    return sum(int(conn.execute(select(func.count()).select_from(p.subquery())).scalar() or 0)
               for p in _parts(q))


def unread_by_feed(conn: Connection, user_id: int, muted: Sequence[str] = ()
                   ) -> dict[int, tuple[int, datetime | None]]:
    """(unread articles, newest one's time) per feed the user follows."""
    rows = conn.execute(
        select(articles.c.source_id, func.count().label("n"),
               type_coerce(func.max(_article_time()), UTCDateTime).label("newest"))
        .where(articles.c.source_id.in_(followed(user_id)), articles.c.duplicate_of.is_(None),
               outlet_allowed(muted), ~is_read(user_id))
        .group_by(articles.c.source_id))
    return {r.source_id: (int(r.n), r.newest) for r in rows}


def follows_all(conn: Connection, user_id: int) -> bool:
    """Whether the user follows every feed there is (then the stories of the feeds they
    follow are all stories, imported articles without a feed included)."""
    row = conn.execute(select(
        select(func.count()).select_from(sources).scalar_subquery(),
        select(func.count()).select_from(subscriptions)
        .where(subscriptions.c.user_id == user_id).scalar_subquery())).one()
    return int(row[0] or 0) == int(row[1] or 0)


def unread_stories(conn: Connection, user_id: int, muted: Sequence[str] = (),
                   muted_words: Sequence[str] = ()) -> tuple[int, datetime | None]:
    q = StreamQuery(user_id, stories=True, articles=False, exclude_read=True, muted=muted,
                    muted_words=muted_words, followed_only=not follows_all(conn, user_id))
    sub = story_select(q).subquery()
    row = conn.execute(select(func.count(), type_coerce(func.max(sub.c.ts), UTCDateTime))
                       ).one()
    return int(row[0] or 0), row[1]


def article_items(conn: Connection, ids: Sequence[int]) -> dict[int, Any]:
    """What an article item shows, by id (its feed's title and URL too)."""
    if not ids:
        return {}
    rows = conn.execute(
        select(articles.c.id, articles.c.title, articles.c.url, articles.c.outlet,
               articles.c.byline, articles.c.published, articles.c.fetched_at,
               articles.c.text, articles.c.source_id,
               func.coalesce(sources.c.site_name, sources.c.title, sources.c.url)
               .label("feed_title"), sources.c.site_url.label("feed_site"))
        .outerjoin(sources, sources.c.id == articles.c.source_id)
        .where(articles.c.id.in_(list(ids))))
    return {r.id: r for r in rows}


def story_items(conn: Connection, story_ids: Sequence[int]) -> dict[int, Any]:
    """What a story item shows, by story id."""
    if not story_ids:
        return {}
    rows = conn.execute(
        select(stories.c.id, headline().label("headline"), stories.c.article_count,
               stories.c.outlet_count, stories.c.first_time, stories.c.last_time,
               stories.c.updated_at, stories.c.status)
        .select_from(stories.outerjoin(story_summaries,
                                       story_summaries.c.story_id == stories.c.id))
        .where(stories.c.id.in_(list(story_ids))))
    return {r.id: r for r in rows}


def feed_refs(conn: Connection, user_id: int) -> list[tuple[int, str]]:
    """(id, URL) of every feed the user follows (no counts: cheap enough for every
    request)."""
    return [(r.id, r.url) for r in conn.execute(
        select(sources.c.id, sources.c.url).where(sources.c.id.in_(followed(user_id))))]


def existing_articles(conn: Connection, ids: Sequence[int]) -> set[int]:
    if not ids:
        return set()
    return set(conn.execute(select(articles.c.id).where(articles.c.id.in_(list(ids))))
               .scalars())


def story_of_articles(conn: Connection, ids: Sequence[int]) -> dict[int, int]:
    from storyline.storage.schema import story_members

    if not ids:
        return {}
    return {r.article_id: r.story_id for r in conn.execute(
        select(story_members.c.article_id, story_members.c.story_id)
        .where(story_members.c.article_id.in_(list(ids))))}
