"""Worker heartbeats and per-stage task runs, for ``storyline status``. The caller owns
the transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from storyline.storage.schema import stage_runs, worker_heartbeats

__all__ = ["beat", "forget", "prune_runs", "record_run", "throughput", "workers"]


def beat(conn: Connection, name: str, *, host: str, pid: int, queues: str,
         started_at: datetime, now: datetime, tasks: int = 0) -> None:
    """Record that the worker ``name`` is alive now (and ran ``tasks`` more tasks)."""
    done = conn.execute(update(worker_heartbeats).where(worker_heartbeats.c.name == name)
                        .values(seen_at=now, host=host, pid=pid, queues=queues,
                                started_at=started_at,
                                tasks=worker_heartbeats.c.tasks + tasks)).rowcount
    if not done:
        conn.execute(insert(worker_heartbeats).values(
            name=name, host=host, pid=pid, queues=queues, started_at=started_at,
            seen_at=now, tasks=tasks))


def forget(conn: Connection, name: str) -> None:
    conn.execute(delete(worker_heartbeats).where(worker_heartbeats.c.name == name))


def workers(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(
        select(worker_heartbeats).order_by(worker_heartbeats.c.name))]


def record_run(conn: Connection, stage: str, *, at: datetime, items: int, elapsed_ms: int,
               worker: str) -> None:
    conn.execute(insert(stage_runs).values(stage=stage, at=at, items=items,
                                           elapsed_ms=elapsed_ms, worker=worker))


def throughput(conn: Connection, since: datetime) -> dict[str, dict[str, int]]:
    """Per stage since ``since``: task batches run, items done, milliseconds spent."""
    return {r.stage: {"runs": int(r.runs), "items": int(r.n_items or 0),
                      "elapsed_ms": int(r.ms or 0)}
            for r in conn.execute(
                select(stage_runs.c.stage, func.count().label("runs"),
                       func.sum(stage_runs.c["items"]).label("n_items"),
                       func.sum(stage_runs.c.elapsed_ms).label("ms"))
                .where(stage_runs.c.at >= since).group_by(stage_runs.c.stage))}


def prune_runs(conn: Connection, before: datetime) -> None:
    conn.execute(delete(stage_runs).where(stage_runs.c.at < before))
