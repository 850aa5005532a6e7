"""Queries of the distributed pipeline (``storyline.distributed``): the work each stage
finds pending in the database, the claims that let several workers share it, the ready
sequence, the clusterer's fencing epoch and checkpoint, and the sweep's marks. The caller
owns the transaction.

Claims are row locks (``FOR UPDATE SKIP LOCKED``) held by the transaction that does the
work, or session advisory locks for work whose writes span several transactions: a
worker that dies loses its connection, and PostgreSQL releases both. On SQLite (one
writer, the in-process runner) the lock clauses are no-ops.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, text, update

from storyline.storage.schema import (
    article_sequence,
    articles,
    cluster_shards,
    pending_entries,
    sources,
    stories,
    story_members,
    story_summaries,
    work_marks,
)
from storyline.storage.summaries import stale_condition

__all__ = [
    "LOCK_POLL", "LOCK_SHARD", "LOCK_WRITE", "LOCK_WRITE_LINE", "add_entries", "assign_sequence",
    "bump_epoch", "claim_entry", "claim_unready", "delete_entry", "due_feed_count",
    "due_feed_ids", "fence", "first_unclustered_seq", "lock_xact", "mark", "marked_since",
    "max_seq", "oldest_unclustered_ready", "pending_entry_count", "pending_entry_ids",
    "prune_marks", "ready_unclustered", "record_entry_error", "set_checkpoint",
    "shard_state", "stale_later_in_storyline", "stories_changed_at", "stories_of",
    "story_is_stale", "storyline_of", "try_lock", "unclustered_ready_count",
    "unready_count", "unlock",
]

# Advisory lock namespaces (the first int4 of PostgreSQL's two-key form).
LOCK_POLL = 0x53540001  # one poll of a feed at a time (key: source id)
LOCK_WRITE = 0x53540002  # one writer of a story at a time (key: story id)
# One writer per storyline (key: storyline id): a page shows the headlines of its
# storyline's earlier stories, so two of them are not written at once (each page then
# reads what the one before committed, and a later written_at means a later commit).
LOCK_WRITE_LINE = 0x53540006
LOCK_SHARD = 0x53540003  # the clusterer of a shard (key: shard number)
LOCK_SEQUENCE = 0x53540004  # ready numbers are handed out in commit order
LOCK_INGEST = 0x53540005  # dedup lookups and inserts, one store at a time


def _pg(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


# ---- advisory locks --------------------------------------------------------------------
def try_lock(conn: Connection, space: int, key: int) -> bool:
    """Take the session lock (space, key) if free; commits (the lock outlives the
    transaction; the server drops it with the session). Always True on SQLite."""
    if not _pg(conn):
        return True
    held = bool(conn.execute(text("SELECT pg_try_advisory_lock(:a, :b)"),
                             {"a": space, "b": key}).scalar())
    conn.commit()
    return held


def unlock(conn: Connection, space: int, key: int) -> None:
    if _pg(conn):
        conn.execute(text("SELECT pg_advisory_unlock(:a, :b)"), {"a": space, "b": key})
        conn.commit()


def lock_xact(conn: Connection, space: int, key: int = 0) -> None:
    """Wait for the lock (space, key) until the transaction ends (PostgreSQL)."""
    if _pg(conn):
        conn.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": space, "b": key})


# ---- poll: due feeds -------------------------------------------------------------------
def _due(now: datetime):  # type: ignore[no-untyped-def]
    return and_(sources.c.status != "disabled",
                or_(sources.c.next_check.is_(None), sources.c.next_check <= now))


def due_feed_ids(conn: Connection, now: datetime, limit: int) -> list[int]:
    return [r.id for r in conn.execute(select(sources.c.id).where(_due(now))
                                       .order_by(sources.c.next_check.nulls_first(),
                                                 sources.c.id).limit(limit))]


def due_feed_count(conn: Connection, now: datetime) -> int:
    return int(conn.execute(select(func.count()).select_from(sources)
                            .where(_due(now))).scalar() or 0)


# ---- extract: pending entries ----------------------------------------------------------
def add_entries(conn: Connection, source_id: int, feed_title: str | None,
                entries: Sequence[tuple[str, dict[str, Any]]], now: datetime) -> list[int]:
    """Record new entries ``(identity, entry as a dict)`` of a feed; an identity already
    waiting is left as it is. Returns the ids of the entries now waiting for them."""
    if not entries:
        return []
    rows = [{"source_id": source_id, "identity": identity, "entry": json.dumps(entry),
             "feed_title": feed_title, "created_at": now, "attempts": 0}
            for identity, entry in entries]
    if _pg(conn):
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(pending_entries).on_conflict_do_nothing(
            index_elements=["identity"]), rows)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        conn.execute(sqlite_insert(pending_entries).on_conflict_do_nothing(
            index_elements=["identity"]), rows)
    identities = [identity for identity, _ in entries]
    return sorted(r.id for r in conn.execute(
        select(pending_entries.c.id).where(pending_entries.c.identity.in_(identities))))


def claim_entry(conn: Connection, entry_id: int) -> Any | None:
    """The waiting entry, locked for this transaction; None when it is done or another
    worker holds it."""
    return conn.execute(select(pending_entries).where(pending_entries.c.id == entry_id)
                        .with_for_update(skip_locked=True)).first()


def entry_of(row: Any) -> dict[str, Any]:
    return json.loads(row.entry)  # type: ignore[no-any-return]


def delete_entry(conn: Connection, entry_id: int) -> None:
    conn.execute(delete(pending_entries).where(pending_entries.c.id == entry_id))


def record_entry_error(conn: Connection, entry_id: int, error: str) -> int:
    """Count a failed attempt; returns the attempts so far."""
    conn.execute(update(pending_entries).where(pending_entries.c.id == entry_id).values(
        attempts=pending_entries.c.attempts + 1, last_error=error[:500]))
    return int(conn.execute(select(pending_entries.c.attempts)
                            .where(pending_entries.c.id == entry_id)).scalar() or 0)


def pending_entry_ids(conn: Connection, limit: int) -> list[int]:
    return [r.id for r in conn.execute(select(pending_entries.c.id)
                                       .order_by(pending_entries.c.id).limit(limit))]


def pending_entry_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(pending_entries)).scalar() or 0)


# ---- embed: articles not ready yet -----------------------------------------------------
def _unready():  # type: ignore[no-untyped-def]
    return (articles.outerjoin(article_sequence,
                               article_sequence.c.article_id == articles.c.id))


def claim_unready(conn: Connection, limit: int) -> list[Any]:
    """Up to ``limit`` unflagged articles with no ready number (``id``, ``title``,
    ``text``, ``content_hash``), oldest first, locked for this transaction; rows another
    worker holds are skipped."""
    query = (select(articles.c.id, articles.c.title, articles.c.text,
                    articles.c.content_hash)
             .select_from(_unready())
             .where(article_sequence.c.article_id.is_(None),
                    articles.c.is_flagged.is_(False))
             .order_by(articles.c.id).limit(limit))
    if _pg(conn):
        query = query.with_for_update(skip_locked=True, of=articles)
    return list(conn.execute(query))


def unready_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(_unready()).where(
        article_sequence.c.article_id.is_(None), articles.c.is_flagged.is_(False))
    ).scalar() or 0)


def assign_sequence(conn: Connection, article_ids: Sequence[int], now: datetime) -> list[int]:
    """Give the articles the next ready numbers, in id order. The numbers are handed out
    under a transaction lock held to the commit, so they become visible in order: a
    reader that saw number n has seen every number below it."""
    if not article_ids:
        return []
    lock_xact(conn, LOCK_SEQUENCE)
    top = int(conn.execute(select(func.coalesce(func.max(article_sequence.c.seq), 0)))
              .scalar() or 0)
    seqs = list(range(top + 1, top + 1 + len(article_ids)))
    conn.execute(insert(article_sequence), [
        {"article_id": aid, "seq": seq, "ready_at": now}
        for aid, seq in zip(sorted(article_ids), seqs, strict=True)])
    return seqs


def max_seq(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(article_sequence.c.seq), 0)))
               .scalar() or 0)


# ---- cluster: ready articles, the shard's epoch and checkpoint -----------------------
def _unclustered_ready(after: int, upto: int | None):  # type: ignore[no-untyped-def]
    cond = [story_members.c.article_id.is_(None), articles.c.is_flagged.is_(False),
            article_sequence.c.seq > after]
    if upto is not None:
        cond.append(article_sequence.c.seq <= upto)
    joined = (articles.join(article_sequence, article_sequence.c.article_id == articles.c.id)
              .outerjoin(story_members, story_members.c.article_id == articles.c.id))
    return joined, and_(*cond)


def ready_unclustered(conn: Connection, after: int, upto: int, limit: int) -> list[Any]:
    """Up to ``limit`` ready articles in no story with a number in (after, upto], in
    publication order (as ``stories.unassigned_articles`` gives them)."""
    joined, cond = _unclustered_ready(after, upto)
    return list(conn.execute(
        select(articles.c.id, articles.c.title, articles.c.text, articles.c.content_hash)
        .select_from(joined).where(cond)
        .order_by(func.coalesce(articles.c.published, articles.c.fetched_at), articles.c.id)
        .limit(limit)))


def first_unclustered_seq(conn: Connection, after: int, upto: int) -> int | None:
    joined, cond = _unclustered_ready(after, upto)
    return conn.execute(select(func.min(article_sequence.c.seq)).select_from(joined)
                        .where(cond)).scalar()


def unclustered_ready_count(conn: Connection, after: int = 0) -> int:
    """The clusterer's lag: ready articles in no story."""
    joined, cond = _unclustered_ready(after, None)
    return int(conn.execute(select(func.count()).select_from(joined).where(cond)).scalar()
               or 0)


def oldest_unclustered_ready(conn: Connection, after: int = 0) -> datetime | None:
    joined, cond = _unclustered_ready(after, None)
    return conn.execute(select(func.min(article_sequence.c.ready_at)).select_from(joined)
                        .where(cond)).scalar()


def shard_state(conn: Connection, shard: str) -> Any | None:
    """``epoch``, ``checkpoint``, ``owner``, ``acquired_at``, ``updated_at``."""
    return conn.execute(select(cluster_shards).where(cluster_shards.c.shard == shard)).first()


def bump_epoch(conn: Connection, shard: str, owner: str, now: datetime) -> int:
    """Raise the shard's epoch for a new holder; returns it."""
    row = conn.execute(select(cluster_shards.c.epoch).where(cluster_shards.c.shard == shard)
                       .with_for_update()).first()
    if row is None:
        conn.execute(insert(cluster_shards).values(shard=shard, epoch=1, checkpoint=0,
                                                   owner=owner, acquired_at=now,
                                                   updated_at=now))
        return 1
    epoch = int(row.epoch) + 1
    conn.execute(update(cluster_shards).where(cluster_shards.c.shard == shard).values(
        epoch=epoch, owner=owner, acquired_at=now, updated_at=now))
    return epoch


def fence(conn: Connection, shard: str, epoch: int) -> bool:
    """Whether ``epoch`` is still the shard's, with its row locked to the end of the
    transaction (a new holder's raise waits for this commit)."""
    current = conn.execute(select(cluster_shards.c.epoch)
                           .where(cluster_shards.c.shard == shard).with_for_update()).scalar()
    return current is not None and int(current) == epoch


def set_checkpoint(conn: Connection, shard: str, checkpoint: int, now: datetime) -> None:
    conn.execute(update(cluster_shards).where(cluster_shards.c.shard == shard)
                 .values(checkpoint=checkpoint, updated_at=now))


def stories_of(conn: Connection, article_ids: Sequence[int]) -> set[int]:
    """The stories these articles are in."""
    return {int(r.story_id) for r in conn.execute(
        select(story_members.c.story_id).where(story_members.c.article_id.in_(article_ids)))}


# ---- write: one story ------------------------------------------------------------------
def story_is_stale(conn: Connection, story_id: int) -> bool:
    """Whether the active story's page is to be (re)written: no summary, one written for
    other members, or earlier stories of its storyline changed since
    (``storage.summaries.stale_condition``)."""
    return conn.execute(select(stories.c.id)
                        .outerjoin(story_summaries, story_summaries.c.story_id == stories.c.id)
                        .where(stories.c.id == story_id, stories.c.status == "active",
                               stories.c.article_count > 0, stories.c.members_hash.is_not(None),
                               stale_condition())).first() is not None


def storyline_of(conn: Connection, story_id: int) -> int | None:
    return conn.execute(select(stories.c.storyline_id)
                        .where(stories.c.id == story_id)).scalar()


def stories_changed_at(conn: Connection) -> datetime | None:
    """The last time clustering changed a story (an indexed max): a write that saw it
    move while it read and wrote may have read a storyline mid-change."""
    return conn.execute(select(func.max(stories.c.updated_at))).scalar()


def stale_later_in_storyline(conn: Connection, story_id: int) -> list[int]:
    """The stories after this one in its storyline whose written pages are now stale
    (they show its headline), in timeline order; the unwritten ones have their own
    messages."""
    me = conn.execute(select(stories.c.storyline_id, stories.c.first_time)
                      .where(stories.c.id == story_id)).first()
    if me is None or me.storyline_id is None or me.first_time is None:
        return []
    return [r.id for r in conn.execute(
        select(stories.c.id)
        .outerjoin(story_summaries, story_summaries.c.story_id == stories.c.id)
        .where(stories.c.storyline_id == me.storyline_id, stories.c.status == "active",
               stories.c.article_count > 0, stories.c.first_time > me.first_time,
               story_summaries.c.story_id.is_not(None), stale_condition())
        .order_by(stories.c.first_time, stories.c.id))]


# ---- the sweep's marks -----------------------------------------------------------------
def marked_since(conn: Connection, stage: str, keys: Iterable[int], since: datetime
                 ) -> set[int]:
    """Those of ``keys`` a message was sent for at or after ``since``."""
    wanted = list(keys)
    found: set[int] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        found |= {int(r.key) for r in conn.execute(
            select(work_marks.c.key).where(work_marks.c.stage == stage,
                                           work_marks.c.key.in_(chunk),
                                           work_marks.c.enqueued_at >= since))}
    return found


def mark(conn: Connection, stage: str, keys: Iterable[int], now: datetime) -> None:
    """Record that a message was sent now for each of ``keys``."""
    wanted = sorted(set(keys))
    if not wanted:
        return
    conn.execute(delete(work_marks).where(work_marks.c.stage == stage,
                                          work_marks.c.key.in_(wanted)))
    conn.execute(insert(work_marks), [{"stage": stage, "key": k, "enqueued_at": now}
                                      for k in wanted])


def prune_marks(conn: Connection, before: datetime) -> None:
    conn.execute(delete(work_marks).where(work_marks.c.enqueued_at < before))
