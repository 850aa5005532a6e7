"""What one worker process keeps between tasks: the database engine, the pipeline (its
models load once), a long-lived HTTP fetcher on its own event loop, the clusterer, and
the heartbeat. Built lazily in the process that runs tasks (after a prefork fork)."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Engine

from storyline.fetch import Fetcher
from storyline.ingest.crawl import fetch_config
from storyline.pipeline import Pipeline
from storyline.settings import Settings
from storyline.storage import heartbeats
from storyline.storage.db import open_database

if TYPE_CHECKING:
    from storyline.cluster.vectorize import Vectorizer
    from storyline.distributed.fencing import ShardClusterer

__all__ = ["FetchLoop", "Runtime", "runtime"]

_T = TypeVar("_T")
HEARTBEAT_EVERY_S = 10.0


class FetchLoop:
    """One event loop in a daemon thread with one :class:`Fetcher` (its connection pool,
    per-host caps and robots.txt cache shared by every task of the process)."""

    def __init__(self, settings: Settings) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="storyline-fetch-loop")
        self._thread.start()
        self._fetcher = self._submit(self._open(settings)).result()

    @staticmethod
    async def _open(settings: Settings) -> Fetcher:
        fetcher = Fetcher(fetch_config(settings))
        await fetcher.__aenter__()
        return fetcher

    def _submit(self, coro: Awaitable[_T]) -> Future[_T]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)  # type: ignore[arg-type]

    def run(self, work: Callable[[Fetcher], Awaitable[_T]]) -> _T:
        """Run ``work(fetcher)`` on the loop and wait for its result."""
        return self._submit(work(self._fetcher)).result()


class Runtime:
    """The parts of one worker process."""

    def __init__(self, settings: Settings, *, name: str | None = None,
                 queues: str = "") -> None:
        self.settings = settings
        self.name = name or f"storyline@{socket.gethostname()}:{os.getpid()}"
        self.queues = queues
        self.started_at = datetime.now(UTC)
        self._lock = threading.RLock()
        self._engine: Engine | None = None
        self._pipeline: Pipeline | None = None
        self._loop: FetchLoop | None = None
        self._clusterer: ShardClusterer | None = None
        self._vectorizer: Vectorizer | None = None
        self._tasks = 0
        self._last_beat = 0.0

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = open_database(self.settings)
            return self._engine

    @property
    def pipeline(self) -> Pipeline:
        engine = self.engine
        with self._lock:
            if self._pipeline is None:
                self._pipeline = Pipeline(self.settings, engine)
            return self._pipeline

    def warm(self, queues: list[str]) -> float:
        """Load the models the tasks of ``queues`` use (the encoder and entity tagger for
        embed and cluster, the pair model for cluster, the writer's phrase tagger for
        write) before the first message, so no task pays for a model load; returns the
        seconds it took."""
        t0 = time.monotonic()
        pipeline = self.pipeline
        wanted = set(queues)
        sample = ("Talks resume in Geneva", "Delegations met in Geneva on Monday.")
        if wanted & {"embed", "cluster", "write"}:
            pipeline.encoder.encode([sample[1]])
        if wanted & {"embed", "cluster"}:
            pipeline.models.tagger.extract([sample])
        if "cluster" in wanted:
            pipeline.clusterer  # noqa: B018 - builds the service, loads the pair model
        if "write" in wanted:
            pipeline.writer  # noqa: B018 - a misconfigured writer fails here, in one line
            pipeline.models.phrases.tag([sample[1]])
        return time.monotonic() - t0

    @property
    def loop(self) -> FetchLoop:
        with self._lock:
            if self._loop is None:
                self._loop = FetchLoop(self.settings)
            return self._loop

    @property
    def vectorizer(self) -> Vectorizer:
        """The clustering's vectorizer (the pipeline's encoder and entity tagger)."""
        pipeline = self.pipeline
        with self._lock:
            if self._vectorizer is None:
                from storyline.cluster.vectorize import Vectorizer

                self._vectorizer = Vectorizer(pipeline.encoder,
                                              extractor=pipeline.models.tagger)
            return self._vectorizer

    @property
    def clusterer(self) -> ShardClusterer:
        pipeline = self.pipeline
        with self._lock:
            if self._clusterer is None:
                from storyline.distributed.fencing import ShardClusterer

                self._clusterer = ShardClusterer(self.engine, self.settings,
                                                 lambda: pipeline.clusterer, owner=self.name)
            return self._clusterer

    def beat(self, tasks: int = 0, *, force: bool = False) -> None:
        """Record the heartbeat (at most every few seconds unless ``force``)."""
        self._tasks += tasks
        now = time.monotonic()
        if not force and now - self._last_beat < HEARTBEAT_EVERY_S:
            return
        done, self._tasks = self._tasks, 0
        self._last_beat = now
        with self.engine.begin() as conn:
            heartbeats.beat(conn, self.name, host=socket.gethostname(), pid=os.getpid(),
                            queues=self.queues, started_at=self.started_at,
                            now=datetime.now(UTC), tasks=done)


_RUNTIMES: dict[int, Runtime] = {}
_CONFIG: dict[str, object] = {}


def configure(settings: Settings, *, name: str, queues: str) -> None:
    """What the worker processes of this command build their runtime from."""
    _CONFIG.update(settings=settings, name=name, queues=queues, pid=os.getpid())


def runtime(settings: Settings) -> Runtime:
    """This process's runtime (one per process: a prefork pool process builds its own,
    named after the worker with its pid)."""
    pid = os.getpid()
    found = _RUNTIMES.get(pid)
    if found is None:
        configured = _CONFIG.get("settings")
        base = configured if isinstance(configured, Settings) else settings
        name = str(_CONFIG.get("name") or f"storyline@{socket.gethostname()}")
        if pid != _CONFIG.get("pid"):
            name = f"{name}/{pid}"
        _RUNTIMES.clear()  # a forked child drops its parent's (its engine is not its own)
        found = _RUNTIMES[pid] = Runtime(base, name=name, queues=str(_CONFIG.get("queues", "")))
    return found
