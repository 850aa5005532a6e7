"""One clusterer per shard: a PostgreSQL session advisory lock names the holder, and an
epoch raised by every new holder fences the old one.

A holder checks its epoch in each of its write transactions (``storage.work.fence``
locks the shard row, so a new holder's raise waits for the commit); a clusterer that
stalled while another took the shard over (its session lost, the lock released) finds a
newer epoch and its transaction is rolled back (:class:`Fenced`). The checkpoint — every
article with a ready number up to it is clustered — advances in those same transactions.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from storyline.cluster.service import ClusterReport, ClusterService, refresh_story_links
from storyline.settings import Settings
from storyline.storage import engine_state, work
from storyline.storage.marks import story_mark

__all__ = ["CONSOLIDATION_OWED", "DEFAULT_SHARD", "Fenced", "ShardClusterer",
           "consolidation_owed", "owed_stories"]

DEFAULT_SHARD = "default"
# Set in the transaction of a batch of assignments, cleared in the one of the run's
# consolidation (merges, splits): a clusterer killed in between owes the consolidation,
# and the next one runs it although no article is pending.
CONSOLIDATION_OWED = "consolidation_owed"


def owed_stories(conn: Connection) -> set[int]:
    """The stories a run assigned articles to and did not consolidate."""
    value = engine_state.get(conn, CONSOLIDATION_OWED) or ""
    return {int(x) for x in value.split(",") if x}


def consolidation_owed(conn: Connection) -> bool:
    return bool(owed_stories(conn))


class Fenced(RuntimeError):
    """This clusterer's epoch was superseded: its writes are refused."""


def _now() -> datetime:
    return datetime.now(UTC)


class ShardClusterer:
    """The clusterer of one shard over a :class:`ClusterService` whose in-memory index is
    a cache of committed state (reloaded when anyone else changed the stories)."""

    def __init__(self, engine: Engine, settings: Settings,
                 service: ClusterService | Callable[[], ClusterService], *,
                 shard: str = DEFAULT_SHARD, owner: str | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self._service = service
        self.shard = shard
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.epoch: int | None = None
        self._lock_conn: Connection | None = None
        self._mark: tuple[Any, ...] | None = None

    @property
    def service(self) -> ClusterService:
        if not isinstance(self._service, ClusterService):
            self._service = self._service()
        return self._service

    # ---- the lock and the epoch --------------------------------------------------------
    @property
    def held(self) -> bool:
        return self._lock_conn is not None

    def acquire(self, wait_s: float = 0.0) -> bool:
        """Take the shard's lock (waiting up to ``wait_s``) and raise its epoch."""
        if self._lock_conn is not None:
            return True
        deadline = time.monotonic() + wait_s
        conn = self.engine.connect()
        try:
            while not work.try_lock(conn, work.LOCK_SHARD, 0):
                if time.monotonic() >= deadline:
                    conn.close()
                    return False
                time.sleep(0.2)
            with self.engine.begin() as tx:
                self.epoch = work.bump_epoch(tx, self.shard, self.owner, _now())
        except BaseException:
            conn.close()
            raise
        self._lock_conn = conn
        return True

    def release(self) -> None:
        conn, self._lock_conn = self._lock_conn, None
        if conn is None:
            return
        try:
            work.unlock(conn, work.LOCK_SHARD, 0)
        except Exception:  # the session is gone, and the lock with it
            conn.invalidate()
        finally:
            conn.close()

    def check(self, conn: Connection) -> None:
        """In a write transaction: refuse it unless this holder's epoch is current."""
        if self.epoch is None or not work.fence(conn, self.shard, self.epoch):
            raise Fenced(f"clusterer {self.owner}: epoch {self.epoch} of shard "
                         f"{self.shard} was superseded; its writes are refused")

    # ---- the work ----------------------------------------------------------------------
    def run(self) -> ClusterReport:
        """Cluster the ready articles after the checkpoint (up to the newest ready number
        now), in publication order, each batch fenced and checkpointed."""
        if self.epoch is None:
            raise Fenced("clusterer has not acquired its shard")
        service = self.service
        with self.engine.connect() as conn:
            state = work.shard_state(conn, self.shard)
            after = int(state.checkpoint) if state is not None else 0
            upto = work.max_seq(conn)
            mark = story_mark(conn)
            owed = owed_stories(conn)
        if mark != self._mark or owed:
            service.reset()  # stories changed elsewhere: reload them

        def select_batch(conn: Connection, limit: int) -> list[Any]:
            return work.ready_unclustered(conn, after, upto, limit)

        def in_batch(conn: Connection, article_ids: list[int]) -> None:
            self.check(conn)
            if article_ids:
                owed = owed_stories(conn) | work.stories_of(conn, article_ids)
                engine_state.put(conn, CONSOLIDATION_OWED, ",".join(map(str, sorted(owed))))
            elif consolidation_owed(conn):
                engine_state.put(conn, CONSOLIDATION_OWED, "")
            first = work.first_unclustered_seq(conn, after, upto)
            work.set_checkpoint(conn, self.shard, upto if first is None else first - 1,
                                _now())

        try:
            report = service.run(select_batch=select_batch, in_batch=in_batch, owed=owed)
        except BaseException:
            service.reset()  # its memory may be ahead of what was committed
            self._mark = None
            raise
        with self.engine.connect() as conn:
            self._mark = story_mark(conn)
        return report

    def refresh_links(self) -> set[int]:
        """Refresh the storylines and sub-stories of the stories clustering recorded as
        pending, fenced like the clusterer's own writes; returns the stories refreshed."""
        with self.engine.begin() as conn:
            self.check(conn)
            return refresh_story_links(conn, self.settings, set())
