"""One clusterer per shard: a PostgreSQL session advisory lock names the holder, and an
epoch raised by every new holder fences the old one.

A holder checks its epoch in each of its write transactions (``storage.work.fence``
locks the shard row, so a new holder's raise waits for the commit); a clusterer that
stalled while another took the shard over (its session lost, the lock released) finds a
newer epoch and its transaction is rolled back (:class:`Fenced`). The checkpoint — every
article with a ready number up to it is clustered — advances in those same transactions.

The clusterer is the one entry of both runners (``storyline.pipeline.ShardClusterer``):
the in-process runner on PostgreSQL takes the same lock and epoch, so it and the
distributed clusterers are fenced against each other.
"""

from storyline.pipeline import (
    CONSOLIDATION_OWED,
    DEFAULT_SHARD,
    Fenced,
    ShardBusy,
    ShardClusterer,
    consolidation_owed,
    owed_stories,
)

__all__ = ["CONSOLIDATION_OWED", "DEFAULT_SHARD", "Fenced", "ShardBusy", "ShardClusterer",
           "consolidation_owed", "owed_stories"]
