"""What ``storyline status`` and ``/api/status`` show: per queue the pending work in the
database and the messages in the broker, per stage the throughput of the last minutes,
the workers' heartbeats, and the clusterer's epoch, checkpoint and lag."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from storyline.distributed.app import QUEUES
from storyline.distributed.fencing import DEFAULT_SHARD
from storyline.settings import Settings, mask_url_password
from storyline.storage import engine_state, heartbeats, work
from storyline.storage import summaries as summary_store

__all__ = ["THROUGHPUT_MINUTES", "broker_depth", "collect_status", "status_lines"]

THROUGHPUT_MINUTES = 5
ALIVE_S = 60  # a worker not heard of for longer is shown as silent


def broker_depth(settings: Settings) -> Callable[[str], int | None] | None:
    """The broker's queue depth by queue name, or None when no broker is configured or
    it does not answer (its counts are then shown as unreachable)."""
    if not settings.broker_url:
        return None
    from storyline.distributed.app import make_app
    from storyline.distributed.connect import broker_error
    from storyline.distributed.tasks import queue_depth

    if broker_error(settings) is not None:
        return None
    celery = make_app(settings, register=False)
    return lambda queue: queue_depth(celery, queue)


def pending_by_queue(conn: Any, now: datetime) -> dict[str, int]:
    return {
        "poll": work.due_feed_count(conn, now),
        "extract": work.pending_entry_count(conn),
        "embed": work.unready_count(conn),
        "cluster": work.unclustered_ready_count(conn),
        "storylines": len(engine_state.pending_links(conn)),
        "write": len(summary_store.stale_story_ids(conn)),
    }


def collect_status(settings: Settings, engine: Engine, *,
                   queue_depth: Callable[[str], int | None] | None = None) -> dict[str, Any]:
    """The status as one JSON-ready dict; ``queue_depth`` asks the broker (None: no
    broker configured or reachable; the queues' broker counts are then null)."""
    now = datetime.now(UTC)
    since = now - timedelta(minutes=THROUGHPUT_MINUTES)
    with engine.connect() as conn:
        pending = pending_by_queue(conn, now)
        runs = heartbeats.throughput(conn, since)
        shard = work.shard_state(conn, DEFAULT_SHARD)
        top = work.max_seq(conn)
        seen = heartbeats.workers(conn)
    depths = {q: queue_depth(q) if queue_depth is not None else None for q in QUEUES}
    reachable = queue_depth is not None and any(d is not None for d in depths.values())
    queues = {}
    for q in QUEUES:
        done = runs.get(q, {"runs": 0, "items": 0, "elapsed_ms": 0})
        queues[q] = {"pending": pending[q], "broker": depths[q],
                     "done": done["items"], "tasks": done["runs"],
                     "per_minute": round(done["items"] / THROUGHPUT_MINUTES, 1)}
    workers = [{"name": w["name"], "host": w["host"], "pid": w["pid"],
                "queues": w["queues"], "tasks": w["tasks"],
                "started_at": w["started_at"], "seen_at": w["seen_at"],
                "seen_s_ago": round((now - w["seen_at"]).total_seconds(), 1),
                "alive": (now - w["seen_at"]).total_seconds() <= ALIVE_S} for w in seen]
    return {
        "at": now,
        "broker": {"url": mask_url_password(settings.broker_url) or None,
                   "reachable": reachable},
        "queues": queues,
        "throughput_minutes": THROUGHPUT_MINUTES,
        "workers": workers,
        "clusterer": {
            "shard": DEFAULT_SHARD,
            "epoch": int(shard.epoch) if shard is not None else 0,
            "owner": shard.owner if shard is not None else None,
            "checkpoint": int(shard.checkpoint) if shard is not None else 0,
            "ready": top,
            "lag": pending["cluster"],
        },
    }


def status_lines(status: dict[str, Any]) -> list[str]:
    """The status as the lines ``storyline status`` prints."""
    broker = status["broker"]
    lines = [f"broker: {broker['url'] or 'none configured'}"
             + ("" if broker["reachable"] or not broker["url"] else " (unreachable)")]
    lines.append(f"{'queue':<11} {'pending':>8} {'broker':>7} "
                 f"{'done/' + str(status['throughput_minutes']) + 'min':>10} {'per min':>8}")
    for name, q in status["queues"].items():
        broker_n = "-" if q["broker"] is None else str(q["broker"])
        lines.append(f"{name:<11} {q['pending']:>8} {broker_n:>7} {q['done']:>10} "
                     f"{q['per_minute']:>8}")
    c = status["clusterer"]
    lines.append(f"clusterer: epoch {c['epoch']} ({c['owner'] or 'never held'}), "
                 f"checkpoint {c['checkpoint']} of {c['ready']} ready, lag {c['lag']}")
    if not status["workers"]:
        lines.append("workers: none has reported")
    for w in status["workers"]:
        state = "alive" if w["alive"] else "silent"
        lines.append(f"worker {w['name']} [{w['queues']}]: {state}, seen "
                     f"{w['seen_s_ago']:.0f} s ago, {w['tasks']} tasks")
    return lines
