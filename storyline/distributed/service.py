"""``storyline worker --queues … / --beat``: a Celery worker process over the stage
queues it is told, or the beat, after PostgreSQL and Redis answer."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from storyline.distributed.app import make_app
from storyline.distributed.connect import wait_for_services
from storyline.distributed.runtime import HEARTBEAT_EVERY_S, Runtime, configure, runtime
from storyline.settings import Settings

__all__ = ["DistributedWorker"]

logger = logging.getLogger("storyline.distributed")


def _log_to_stderr() -> None:
    if not any(getattr(h, "_storyline", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s",
                                               "%Y-%m-%d %H:%M:%S"))
        handler._storyline = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


class DistributedWorker:
    """One worker process (and its pool) over ``queues``, optionally with the beat."""

    def __init__(self, settings: Settings, *, queues: list[str], concurrency: int,
                 pool: str, beat: bool, name: str | None = None,
                 log: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self.queues = queues
        self.concurrency = concurrency
        self.pool = pool
        self.beat = beat
        host = socket.gethostname()
        label = "+".join(queues) if queues else "beat"
        self.name = name or f"storyline-{label}-{os.getpid()}@{host}"
        self.log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self._stop = threading.Event()

    def _heartbeat(self) -> None:
        rt = Runtime(self.settings, name=self.name,
                     queues=",".join(self.queues) or "beat")
        while not self._stop.is_set():
            try:
                rt.beat(force=True)
            except Exception as exc:  # the database is away: the next beat tries again
                logger.debug("heartbeat failed: %s", exc)
            self._stop.wait(HEARTBEAT_EVERY_S)

    def run(self) -> int:
        """Wait for the services, then run until stopped; returns the exit status."""
        _log_to_stderr()
        previous = {sig: signal.signal(sig, lambda *_: self._stop.set())
                    for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            if not wait_for_services(self.settings, self.log, stop=self._stop):
                return 0
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)
        configure(self.settings, name=self.name, queues=",".join(self.queues) or "beat")
        app = make_app(self.settings)
        threading.Thread(target=self._heartbeat, daemon=True,
                         name="storyline-heartbeat").start()
        schedule = self.settings.data_path / "celerybeat-schedule"
        schedule.parent.mkdir(parents=True, exist_ok=True)
        what = (f"queues {','.join(self.queues)}, {self.pool} pool x{self.concurrency}"
                if self.queues else "beat only")
        self.log(f"{self.name}: {what}{', with the beat' if self.beat and self.queues else ''}"
                 f"; sweep every {self.settings.sweep_interval} s"
                 f"; started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
        try:
            if not self.queues:
                from celery.apps.beat import Beat

                Beat(app=app, schedule=str(schedule), loglevel="WARNING", quiet=True,
                     max_interval=min(5, self.settings.sweep_interval)).run()
                return 0
            if self.pool in ("solo", "threads"):  # the tasks run in this process
                try:
                    took = runtime(self.settings).warm(self.queues)
                    self.log(f"{self.name}: models loaded in {took:.1f} s")
                except Exception as exc:  # the task that needs it reports it again
                    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                    self.log(f"{self.name}: models not loaded ({first}); "
                             "loading on first use")
            worker = app.Worker(
                hostname=self.name, queues=self.queues, concurrency=self.concurrency,
                pool_cls=self.pool, loglevel="WARNING", quiet=True, beat=self.beat,
                schedule_filename=str(schedule), without_mingle=True, without_gossip=True,
                without_heartbeat=True, optimization="fair")
            worker.start()
            return int(worker.exitcode or 0)
        finally:
            self._stop.set()
