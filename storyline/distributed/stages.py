"""The stage functions of the distributed pipeline, free of Celery: each reads what is
pending from the database, claims it, does it in one transaction, and returns what it
did and the stages to wake next. Duplicated or late messages find nothing to do.

    poll (one feed) → extract (one entry) → embed (a batch) → cluster → storylines
    → write (one story)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from storyline.cluster.service import compute_vectors
from storyline.distributed.app import QUEUES, SINGLETONS
from storyline.distributed.fencing import Fenced, ShardBusy, consolidation_owed
from storyline.distributed.runtime import Runtime
from storyline.ingest.crawl import Poller, entry_from_dict, fetch_article
from storyline.ingest.store import ingest
from storyline.storage import engine_state, heartbeats, work
from storyline.storage import sources as source_store
from storyline.storage import summaries as summary_store
from storyline.storage import vectors as vector_store

__all__ = ["Done", "cluster", "embed", "extract", "poll", "storylines", "sweep", "write"]

logger = logging.getLogger("storyline.distributed")

SWEEP_LIMIT = 10_000  # items of one stage the sweep sends at most at once
CLUSTER_LOCK_WAIT_S = 10.0  # a second clusterer waits this long, then its message ends
KEEP_MARKS = timedelta(days=1)


@dataclass
class Done:
    """What a task did: items done, a word on it, and the messages to send next."""

    items: int = 0
    note: str = ""
    wake: list[tuple[str, int | None]] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(UTC)


def poll(rt: Runtime, source_id: int) -> Done:
    """Check one feed if it is due: conditional GET, parse, and record its new entries
    as waiting for extraction (in the transaction that records the check)."""
    engine = rt.engine
    with engine.connect() as lock:
        if not work.try_lock(lock, work.LOCK_POLL, source_id):
            return Done(note="another worker polls it")
        try:
            with engine.connect() as conn:
                src = source_store.get(conn, source_id)
            if src is None or src.status == "disabled":
                return Done(note="no such enabled feed")
            if src.next_check is not None and src.next_check > _now():
                return Done(note="not due")
            poller = Poller(engine, rt.settings)
            outcome = rt.loop.run(lambda fetcher: poller.poll(fetcher, src))
        finally:
            work.unlock(lock, work.LOCK_POLL, source_id)
    if not outcome.ok:
        return Done(note=f"failed: {outcome.error}")
    note = "not modified" if outcome.not_modified else f"{outcome.entries} entries"
    return Done(items=len(poller.entry_ids), note=note,
                wake=[("extract", eid) for eid in poller.entry_ids])


def extract(rt: Runtime, entry_id: int) -> Done:
    """Fetch one waiting entry's page, extract its text, store the article (dedup) and
    drop the entry, in one transaction that holds the entry's row from the start."""
    engine, settings = rt.engine, rt.settings
    try:
        with engine.begin() as conn:
            row = work.claim_entry(conn, entry_id)
            if row is None:
                return Done(note="done or taken")
            with engine.connect() as read:
                src = source_store.get(read, row.source_id)
            if src is None:
                work.delete_entry(conn, entry_id)
                return Done(note="its feed was removed")
            entry = entry_from_dict(work.entry_of(row))
            art, outcome = rt.loop.run(lambda fetcher: fetch_article(
                engine, settings, fetcher, src, row.feed_title, entry))
            if art is None:
                # As in-process: not stored, and the feed's next poll offers it again.
                work.delete_entry(conn, entry_id)
                return Done(note="not stored: " + "; ".join(outcome.not_stored))
            work.lock_xact(conn, work.LOCK_INGEST)  # dedup sees every earlier store
            result = ingest(conn, art, near_threshold=settings.near_duplicate_threshold,
                            window_days=settings.near_duplicate_window_days)
            work.delete_entry(conn, entry_id)
    except IntegrityError:  # stored meanwhile by another path (same identity)
        with engine.begin() as conn:
            work.delete_entry(conn, entry_id)
        return Done(note="stored elsewhere")
    return Done(items=int(result.stored), note=result.status,
                wake=[("embed", None)] if result.stored else [])


def embed(rt: Runtime) -> Done:
    """Vectors and entities for a batch of stored articles, and their ready numbers, in
    the transaction that holds the articles' rows."""
    batch = rt.settings.embed_batch
    with rt.engine.begin() as conn:
        rows = work.claim_unready(conn, batch)
        if not rows:
            return Done(note="nothing pending")
        stale, fresh = compute_vectors(conn, rows, rt.vectorizer)
        vector_store.replace(conn, stale, fresh)
        work.assign_sequence(conn, [r.id for r in rows], _now())
    wake: list[tuple[str, int | None]] = [("cluster", None)]
    if len(rows) == batch:
        wake.append(("embed", None))  # more may be waiting
    return Done(items=len(rows), note=f"{len(fresh)} encoded", wake=wake)


def upstream_pending(rt: Runtime) -> int:
    """Work before clustering: due feeds, entries to extract, articles to embed."""
    with rt.engine.connect() as conn:
        now = _now()
        return (work.due_feed_count(conn, now) + work.pending_entry_count(conn)
                + work.unready_count(conn))


def cluster(rt: Runtime) -> Done:
    """Cluster the ready articles after the checkpoint, once the earlier stages have
    drained (or the oldest ready article waited ``cluster_max_wait``): one pass in
    publication order, like the in-process runner's."""
    with rt.engine.connect() as conn:
        lag = work.unclustered_ready_count(conn)
        oldest = work.oldest_unclustered_ready(conn)
        owed = consolidation_owed(conn)
    if not lag and not owed:
        return Done(note="nothing pending")
    waited = (_now() - oldest).total_seconds() if oldest is not None else 0.0
    upstream = upstream_pending(rt)
    if lag and upstream and waited < rt.settings.cluster_max_wait:
        return Done(note=f"{lag} ready, waiting for {upstream} upstream")
    clusterer = rt.clusterer
    try:
        report = clusterer.while_held(clusterer.run, CLUSTER_LOCK_WAIT_S)
    except (ShardBusy, Fenced) as exc:
        return Done(note=str(exc))
    return Done(items=report.articles or int(owed),
                note=f"epoch {clusterer.epoch}: {report.new_stories} new stories, "
                     f"{report.merged} merged, {report.split} split, "
                     f"{len(report.touched_stories)} touched",
                wake=[("storylines", None)])


def storylines(rt: Runtime) -> Done:
    """Refresh the storylines and sub-stories of the stories clustering changed (under
    the shard's lock, fenced), then wake the writer for every stale story."""
    with rt.engine.connect() as conn:
        pending = engine_state.pending_links(conn)
    refreshed: set[int] = set()
    if pending:
        clusterer = rt.clusterer
        try:
            refreshed = clusterer.while_held(clusterer.refresh_links, CLUSTER_LOCK_WAIT_S)
        except (ShardBusy, Fenced) as exc:
            return Done(note=str(exc))
    with rt.engine.connect() as conn:
        stale = summary_store.stale_story_ids(conn)
    return Done(items=len(refreshed), note=f"{len(stale)} stories to write",
                wake=[("write", sid) for sid in stale])


REWRITES = 3  # of one write message while clustering keeps changing the stories
WRITE_LOCK_WAIT_S = 2.0  # for another write in its storyline; then the message is re-sent


def _write_lock(lock: Connection, space: int, key: int) -> bool:
    deadline = time.monotonic() + WRITE_LOCK_WAIT_S
    while not work.try_lock(lock, space, key):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def write(rt: Runtime, story_id: int) -> Done:
    """Rewrite one story's summary and page if it is stale (many new articles in one
    story give one rewrite: later messages find it current), one writer per storyline
    at a time; then wake the writes of the later stories of its storyline, which show
    its headline. A page written while clustering committed is written again (it may
    have read the storyline mid-change), unless a refresh is pending: then the refresh's
    own writes make it stale."""
    from storyline.write.service import write_stories

    engine = rt.engine
    with engine.connect() as conn:
        line = work.storyline_of(conn, story_id)
    space, key = ((work.LOCK_WRITE, story_id) if line is None
                  else (work.LOCK_WRITE_LINE, line))
    written, moved = 0, False
    with engine.connect() as lock:
        if not _write_lock(lock, space, key):
            return Done(note="its storyline is being written: later",
                        wake=[("write", story_id)])
        try:
            for _ in range(REWRITES):
                with engine.connect() as conn:
                    # A refresh can change any story's storyline (and so its page): write
                    # after it, as in-process; the storylines task wakes the writes.
                    if engine_state.pending_links(conn) or consolidation_owed(conn):
                        return Done(items=written, note="storyline refresh pending")
                    if not moved and not work.story_is_stale(conn, story_id):
                        break
                    changed = work.stories_changed_at(conn)
                written += write_stories(engine, writer=rt.pipeline.writer,
                                         story_ids=[story_id]).written
                with engine.connect() as conn:
                    moved = work.stories_changed_at(conn) != changed
                if not moved:
                    break
        finally:
            work.unlock(lock, space, key)
    if not written:
        return Done(note="current")
    with engine.connect() as conn:
        later = work.stale_later_in_storyline(conn, story_id)
    return Done(items=written, note="written" + (f", {len(later)} later in its storyline"
                                                 if later else ""),
                wake=[("write", sid) for sid in later])


def sweep(rt: Runtime, queue_depth: Callable[[str], int | None]) -> Done:
    """Send again what is pending and no message covers: every pending item of a stage
    whose queue is empty (a restarted broker, a lost message); when fewer messages are
    queued than items pending, the items whose last message is older than
    ``sweep_requeue_after``; due feeds are polled. A long backlog is not sent twice."""
    now = _now()
    before = now - timedelta(seconds=rt.settings.sweep_requeue_after)
    with rt.engine.connect() as conn:
        keyed: dict[str, list[int]] = {
            "poll": work.due_feed_ids(conn, now, SWEEP_LIMIT),
            "extract": work.pending_entry_ids(conn, SWEEP_LIMIT),
        }
        links = engine_state.pending_links(conn)
        keyed["write"] = ([] if links or consolidation_owed(conn)
                          else summary_store.stale_story_ids(conn)[:SWEEP_LIMIT])
        counts: Mapping[str, int] = {
            "embed": work.unready_count(conn),
            "cluster": work.unclustered_ready_count(conn) + int(consolidation_owed(conn)),
            "storylines": len(links),
        }
        wake: list[tuple[str, int | None]] = []
        for stage in QUEUES:
            depth = queue_depth(stage)
            if stage in SINGLETONS:
                if counts[stage] and not depth:
                    wake.append((stage, None))
                continue
            keys = keyed[stage]
            if depth and depth >= len(keys):
                continue  # as many messages queued as items pending: none is uncovered
            if depth:  # some may be uncovered: re-send the long-unanswered
                keys = [k for k in keys if k not in work.marked_since(conn, stage, keys,
                                                                      before)]
            wake.extend((stage, k) for k in keys)
    with rt.engine.begin() as conn:
        work.prune_marks(conn, now - KEEP_MARKS)
        heartbeats.prune_runs(conn, now - KEEP_MARKS)
    return Done(items=len(wake), note=", ".join(
        f"{stage} {sum(1 for s, _ in wake if s == stage)}" for stage in QUEUES
        if any(s == stage for s, _ in wake)) or "nothing to send", wake=wake)
