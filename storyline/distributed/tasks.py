"""The Celery tasks: one per stage, each a thin wrapper over ``stages``: build this
process's runtime, run the stage, log one line, record the run and the heartbeat, and
send the messages that wake the next stages (marked, so the sweep knows they exist).

A database error (PostgreSQL restarting, a failover) retries the task with exponential
backoff; a broker error while waking the next stage is one logged line (the sweep sends
it later). Nothing is lost either way: the database says what is pending.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError, OperationalError

from storyline.distributed import stages
from storyline.distributed.app import QUEUES, SINGLETONS, SWEEP_TASK, TASK_OF
from storyline.distributed.runtime import Runtime, runtime
from storyline.settings import Settings
from storyline.storage import heartbeats, work

if TYPE_CHECKING:
    from celery import Celery

__all__ = ["queue_depth", "register_tasks", "send"]

logger = logging.getLogger("storyline.distributed")

RETRY = {"autoretry_for": (OperationalError, DBAPIError), "retry_backoff": 1,
         "retry_backoff_max": 60, "retry_jitter": True, "max_retries": None}


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def send(app: Celery, rt: Runtime, wake: list[tuple[str, int | None]]) -> int:
    """Send one message per (stage, key), mark the keyed ones; returns how many went.
    A broker that does not answer costs one line: the sweep sends them later."""
    sent: dict[str, list[int]] = {}
    singles: set[str] = set()
    try:
        with app.producer_or_acquire() as producer:
            for stage, key in wake:
                if stage in SINGLETONS:
                    if stage in singles:
                        continue  # one wake-up is enough
                    singles.add(stage)
                    app.send_task(TASK_OF[stage], queue=stage, producer=producer)
                else:
                    app.send_task(TASK_OF[stage], args=[key], queue=stage, producer=producer)
                    sent.setdefault(stage, []).append(int(key or 0))
    except Exception as exc:  # kombu's OperationalError and friends
        logger.warning("broker: %s; the sweep sends the rest later", _one_line(exc))
    if sent:
        now = datetime.now(UTC)
        with rt.engine.begin() as conn:
            for stage, keys in sent.items():
                work.mark(conn, stage, keys, now)
    return sum(len(v) for v in sent.values()) + len(singles)


def queue_depth(app: Celery, queue: str) -> int | None:
    """Messages waiting in ``queue`` on the broker; None when it does not answer.

    Redis keeps a queue as a list, and an emptied list is no key at all: kombu's passive
    declare then says NOT_FOUND, which here means 0 (it read as "no answer" before, so
    a drained queue never showed as empty)."""
    from kombu.exceptions import ChannelError

    try:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1)
            try:
                return int(conn.default_channel.queue_declare(queue=queue, passive=True)
                           .message_count)
            except ChannelError as exc:
                if "NOT_FOUND" in str(exc):
                    return 0
                raise
    except Exception:
        return None


def register_tasks(app: Celery, settings: Settings) -> None:
    """Register the stage tasks and the sweep on ``app``."""

    def run(stage: str, fn: Callable[..., stages.Done], *args: Any) -> None:
        rt = runtime(settings)
        started = time.monotonic()
        subject = f"{stage} {args[0]}" if args and not callable(args[0]) else stage
        try:
            done = fn(rt, *args)
        except (OperationalError, DBAPIError) as exc:
            logger.warning("%s: database: %s; retrying with backoff", subject,
                           _one_line(getattr(exc, "orig", None) or exc))
            raise
        except Exception as exc:
            logger.error("%s failed: %s", subject, _one_line(exc), exc_info=True)
            raise
        elapsed_ms = int((time.monotonic() - started) * 1000)
        sent = send(app, rt, done.wake)
        line = (f"{subject}: {done.items} done in {elapsed_ms} ms"
                + (f" ({done.note})" if done.note else "")
                + (f", {sent} sent on" if sent else ""))
        if done.items or stage in ("sweep", "cluster", "storylines"):
            logger.info(line)
            with rt.engine.begin() as conn:
                heartbeats.record_run(conn, stage, at=datetime.now(UTC), items=done.items,
                                      elapsed_ms=elapsed_ms, worker=rt.name)
        else:
            logger.debug(line)
        rt.beat(1)

    @app.task(name=TASK_OF["poll"], **RETRY)
    def poll(source_id: int) -> None:
        run("poll", stages.poll, int(source_id))

    @app.task(name=TASK_OF["extract"], **RETRY)
    def extract(entry_id: int) -> None:
        run("extract", stages.extract, int(entry_id))

    @app.task(name=TASK_OF["embed"], **RETRY)
    def embed() -> None:
        run("embed", stages.embed)

    @app.task(name=TASK_OF["cluster"], **RETRY)
    def cluster() -> None:
        run("cluster", stages.cluster)

    @app.task(name=TASK_OF["storylines"], **RETRY)
    def storylines() -> None:
        run("storylines", stages.storylines)

    @app.task(name=TASK_OF["write"], **RETRY)
    def write(story_id: int) -> None:
        run("write", stages.write, int(story_id))

    @app.task(name=SWEEP_TASK, **RETRY)
    def sweep() -> None:
        run("sweep", stages.sweep, lambda queue: queue_depth(app, queue))

    assert set(QUEUES) <= {name.split(".", 1)[1] for name in app.tasks if
                           name.startswith("storyline.")}
