"""Queries on what each user has read, starred and seen. The truth is per article
(``article_reads``): a story is read when all its articles are, so reading a story marks
its articles read, and reading a story's last unread article makes the story read.
``story_visits`` keeps what a story page showed at the user's last visit. Muted outlets
(lower-case names) leave their articles out of every count. The caller owns the
transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)

from storyline.storage.schema import (
    article_reads,
    articles,
    stars,
    stories,
    story_members,
    story_visits,
)

_CHUNK = 500


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i:i + _CHUNK]


def outlet_allowed(muted: Sequence[str]) -> ColumnElement[bool]:
    """An article whose outlet is not muted (``muted`` lower-case)."""
    if not muted:
        return articles.c.id.is_not(None)
    return or_(articles.c.outlet.is_(None), func.lower(articles.c.outlet).not_in(list(muted)))


def is_read(user_id: int) -> ColumnElement[bool]:
    return exists().where(article_reads.c.user_id == user_id,
                          article_reads.c.article_id == articles.c.id)


# --- articles ---------------------------------------------------------------------------


def with_copies(conn: Connection, article_ids: Iterable[int]) -> list[int]:
    """The articles and their syndicated copies (``duplicate_of`` one of them): reading
    one of a set of copies reads them all."""
    ids = set(article_ids)
    for part in _chunks(sorted(ids)):
        ids.update(conn.execute(select(articles.c.id).where(articles.c.duplicate_of.in_(part)))
                   .scalars())
    return sorted(ids)


def mark_read(conn: Connection, user_id: int, article_ids: Iterable[int], now: datetime) -> int:
    """Mark articles (and their copies) read; returns how many were unread."""
    ids = with_copies(conn, article_ids)
    done = 0
    for part in _chunks(ids):
        have = set(conn.execute(select(article_reads.c.article_id).where(
            article_reads.c.user_id == user_id,
            article_reads.c.article_id.in_(part))).scalars())
        real = set(conn.execute(select(articles.c.id).where(articles.c.id.in_(part))).scalars())
        new = [i for i in part if i not in have and i in real]
        if new:
            conn.execute(insert(article_reads), [{"user_id": user_id, "article_id": i,
                                                  "read_at": now} for i in new])
            done += len(new)
    return done


def mark_unread(conn: Connection, user_id: int, article_ids: Iterable[int]) -> int:
    ids = with_copies(conn, article_ids)
    done = 0
    for part in _chunks(ids):
        done += conn.execute(delete(article_reads).where(
            article_reads.c.user_id == user_id, article_reads.c.article_id.in_(part))).rowcount
    return done


def read_among(conn: Connection, user_id: int, article_ids: Sequence[int]) -> set[int]:
    out: set[int] = set()
    for part in _chunks(list(article_ids)):
        out.update(conn.execute(select(article_reads.c.article_id).where(
            article_reads.c.user_id == user_id,
            article_reads.c.article_id.in_(part))).scalars())
    return out


def mark_read_where(conn: Connection, user_id: int, condition: ColumnElement[bool],
                    now: datetime) -> int:
    """Mark read every unread article matching ``condition`` (a mark-all-as-read)."""
    ids = list(conn.execute(select(articles.c.id).where(condition, ~is_read(user_id)))
               .scalars())
    return mark_read(conn, user_id, ids, now)


# --- stories ----------------------------------------------------------------------------


def members_of(conn: Connection, story_ids: Sequence[int], muted: Sequence[str] = ()
               ) -> dict[int, list[int]]:
    """The article ids of each story (muted outlets' left out)."""
    out: dict[int, list[int]] = {sid: [] for sid in story_ids}
    for part in _chunks(list(story_ids)):
        for r in conn.execute(select(story_members.c.story_id, story_members.c.article_id)
                              .join(articles, articles.c.id == story_members.c.article_id)
                              .where(story_members.c.story_id.in_(part),
                                     outlet_allowed(muted))):
            out[r.story_id].append(r.article_id)
    return out


def mark_stories_read(conn: Connection, user_id: int, story_ids: Sequence[int],
                      now: datetime) -> int:
    members = members_of(conn, story_ids)
    return mark_read(conn, user_id, [a for ids in members.values() for a in ids], now)


def mark_stories_unread(conn: Connection, user_id: int, story_ids: Sequence[int]) -> int:
    members = members_of(conn, story_ids)
    return mark_unread(conn, user_id, [a for ids in members.values() for a in ids])


@dataclass(slots=True, frozen=True)
class StoryState:
    """A story's articles for one user: how many, how many read (muted ones left out)."""

    total: int
    read: int

    @property
    def unread(self) -> int:
        return self.total - self.read

    @property
    def is_read(self) -> bool:
        return self.total > 0 and self.read == self.total


def _story_states(muted: Sequence[str]) -> Select[Any]:
    return (select(story_members.c.story_id, func.count().label("total"),
                   func.count(article_reads.c.article_id).label("read"))
            .join(articles, articles.c.id == story_members.c.article_id)
            .outerjoin(article_reads, (article_reads.c.article_id == articles.c.id)
                       & (article_reads.c.user_id == bindparam("user_id")))
            .where(story_members.c.story_id.in_(bindparam("ids", expanding=True)),
                   outlet_allowed(muted))
            .group_by(story_members.c.story_id))


# Built once for the common case, a reader without muted outlets (every signed-in page
# of Top Headlines runs it): building a statement costs more than running it on SQLite.
_STORY_STATES = _story_states(())
_FINGERPRINTS = (select(story_visits.c.story_id, story_visits.c.fingerprint)
                 .where(story_visits.c.user_id == bindparam("user_id"),
                        story_visits.c.story_id.in_(bindparam("ids", expanding=True))))


def story_states(conn: Connection, user_id: int, story_ids: Sequence[int],
                 muted: Sequence[str] = ()) -> dict[int, StoryState]:
    """Read counts per story (one query per 500 stories)."""
    out = {sid: StoryState(0, 0) for sid in story_ids}
    sel = _story_states(muted) if muted else _STORY_STATES
    for part in _chunks(list(story_ids)):
        for r in conn.execute(sel, {"user_id": user_id, "ids": list(part)}):
            out[r.story_id] = StoryState(int(r.total), int(r.read or 0))
    return out


def fully_read(user_id: int, muted: Sequence[str] = ()) -> Select[Any]:
    """The ids of the stories whose articles (muted outlets' left out) the user has all
    read: found from the user's reads, so its cost follows how much they read, not the
    size of the database."""
    read_members = (select(story_members.c.story_id)
                    .join(article_reads, article_reads.c.article_id
                          == story_members.c.article_id)
                    .join(articles, articles.c.id == story_members.c.article_id)
                    .where(article_reads.c.user_id == user_id, outlet_allowed(muted))
                    .subquery("read_members"))
    return (select(read_members.c.story_id).group_by(read_members.c.story_id)
            .having(func.count() >= _members_of(read_members.c.story_id, muted)))


def _members_of(story_id: Any, muted: Sequence[str]) -> Any:
    return (select(func.count()).select_from(story_members)
            .join(articles, articles.c.id == story_members.c.article_id)
            .where(story_members.c.story_id == story_id, outlet_allowed(muted))
            .scalar_subquery())


def story_unread(user_id: int, muted: Sequence[str] = ()) -> ColumnElement[bool]:
    """A story (``stories`` row in the query) with an unread article not muted."""
    return stories.c.id.not_in(fully_read(user_id, muted))


def story_visible(muted: Sequence[str]) -> ColumnElement[bool]:
    """A story carried by at least one outlet that is not muted."""
    if not muted:
        return stories.c.id.is_not(None)
    return exists().where(story_members.c.story_id == stories.c.id,
                          articles.c.id == story_members.c.article_id, outlet_allowed(muted))


# --- stars ------------------------------------------------------------------------------


def star(conn: Connection, user_id: int, kind: str, item_ids: Iterable[int],
         now: datetime) -> int:
    ids = sorted(set(item_ids))
    have = starred_among(conn, user_id, kind, ids)
    new = [i for i in ids if i not in have]
    if new:
        conn.execute(insert(stars), [{"user_id": user_id, "kind": kind, "item_id": i,
                                      "starred_at": now} for i in new])
    return len(new)


def unstar(conn: Connection, user_id: int, kind: str, item_ids: Iterable[int]) -> int:
    done = 0
    for part in _chunks(sorted(set(item_ids))):
        done += conn.execute(delete(stars).where(stars.c.user_id == user_id,
                                                 stars.c.kind == kind,
                                                 stars.c.item_id.in_(part))).rowcount
    return done


def starred_among(conn: Connection, user_id: int, kind: str, item_ids: Sequence[int]
                  ) -> set[int]:
    out: set[int] = set()
    for part in _chunks(list(item_ids)):
        out.update(conn.execute(select(stars.c.item_id).where(
            stars.c.user_id == user_id, stars.c.kind == kind,
            stars.c.item_id.in_(part))).scalars())
    return out


def is_starred(user_id: int, kind: str, item: ColumnElement[Any]) -> ColumnElement[bool]:
    return exists().where(stars.c.user_id == user_id, stars.c.kind == kind,
                          stars.c.item_id == item)


# --- story visits -----------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class Visit:
    visited_at: datetime
    fingerprint: str
    seen_articles: frozenset[int]
    seen_sentences: frozenset[str]
    previous_at: datetime | None
    new_articles: frozenset[int]
    new_sentences: frozenset[str]


def visit(conn: Connection, user_id: int, story_id: int) -> Visit | None:
    row = conn.execute(select(story_visits).where(story_visits.c.user_id == user_id,
                                                  story_visits.c.story_id == story_id)).first()
    if row is None:
        return None
    return Visit(row.visited_at, row.fingerprint, frozenset(json.loads(row.seen_articles)),
                 frozenset(json.loads(row.seen_sentences)), row.previous_at,
                 frozenset(json.loads(row.new_articles)),
                 frozenset(json.loads(row.new_sentences)))


def fingerprints(conn: Connection, user_id: int, story_ids: Sequence[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for part in _chunks(list(story_ids)):
        out.update({r.story_id: r.fingerprint for r in conn.execute(
            _FINGERPRINTS, {"user_id": user_id, "ids": list(part)})})
    return out


def save_visit(conn: Connection, user_id: int, story_id: int, v: Visit) -> None:
    values = {"visited_at": v.visited_at, "fingerprint": v.fingerprint,
              "seen_articles": json.dumps(sorted(v.seen_articles)),
              "seen_sentences": json.dumps(sorted(v.seen_sentences)),
              "previous_at": v.previous_at, "new_articles": json.dumps(sorted(v.new_articles)),
              "new_sentences": json.dumps(sorted(v.new_sentences))}
    done = conn.execute(update(story_visits).where(story_visits.c.user_id == user_id,
                                                   story_visits.c.story_id == story_id)
                        .values(**values)).rowcount
    if not done:
        conn.execute(insert(story_visits).values(user_id=user_id, story_id=story_id, **values))


def visited_changed(conn: Connection, user_id: int, limit: int = 200) -> list[Any]:
    """Stories the user visited that changed since (story id, visited_at), newest first:
    their ``updated_at`` is after the visit."""
    return list(conn.execute(
        select(story_visits.c.story_id, story_visits.c.visited_at)
        .join(stories, stories.c.id == story_visits.c.story_id)
        .where(story_visits.c.user_id == user_id, stories.c.status == "active",
               stories.c.updated_at > story_visits.c.visited_at)
        .order_by(stories.c.updated_at.desc()).limit(limit)))
