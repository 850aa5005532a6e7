"""The always-on worker: every ``worker_interval`` seconds, fetch the due feeds (pages and
main text included), cluster the new articles into stories, and rewrite the summaries of
the stories that changed.

One cycle at a time per database: a lock held for the whole cycle (an advisory lock on
PostgreSQL, a lock file beside a SQLite database) makes a second worker, in this process
or another, skip its cycle instead of running beside the first. Each stage's failure is
one logged line and the next stage and the next cycle still run. A cycle with nothing
new is cheap: it reads the due feeds and two counts, and loads no model.

The stages are the pipeline's (``storyline.pipeline``): the worker owns the schedule, the
lock and the cycle report; its pipeline keeps the models and the clusterer warm between
cycles. The cluster and write stages take whatever is pending, so a cycle also finishes
what an earlier run (killed, or another command) left undone.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from storyline.pipeline import Pipeline
from storyline.settings import Settings
from storyline.text.wording import plural

__all__ = ["CycleLock", "CycleReport", "Worker"]

logger = logging.getLogger("storyline.worker")

# pg_try_advisory_lock key: "STORYLIN" as a 64-bit integer, one lock per database.
PG_LOCK_KEY = int.from_bytes(b"STORYLIN", "big")


def _one_line(exc: BaseException) -> str:
    message = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {message[0]}" if message else type(exc).__name__


def default_log(line: str) -> None:
    """Log through ``logging`` when the application configured it, else to stderr."""
    if logger.hasHandlers():
        logger.info(line)
    else:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        print(f"{stamp} {line}", file=sys.stderr, flush=True)


@dataclass
class CycleReport:
    """What one cycle did."""

    number: int
    started: datetime
    duration_s: float = 0.0
    skipped: str | None = None  # why the cycle did not run at all
    stopped: bool = False  # a stop request ended it between stages
    feeds: int = 0  # feeds checked
    feeds_failed: int = 0
    new_articles: int = 0
    clustered: int = 0  # articles assigned to stories
    new_stories: int = 0
    stories_merged: int = 0
    stories_touched: int = 0
    summaries_written: int = 0
    errors: list[str] = field(default_factory=list)  # one line per failed stage

    @property
    def ok(self) -> bool:
        return not self.errors

    def line(self) -> str:
        if self.skipped:
            return f"cycle {self.number}: skipped: {self.skipped}"
        feeds = plural(self.feeds, "feed") + " checked"
        merged = f", {self.stories_merged} merged" if self.stories_merged else ""
        if self.feeds_failed:
            feeds += f" ({self.feeds_failed} failed)"
        parts = [
            feeds,
            plural(self.new_articles, "new article"),
            f"{plural(self.stories_touched, 'story', 'stories')} touched "
            f"({self.new_stories} new{merged})",
            plural(self.summaries_written, "summary", "summaries") + " written",
            plural(len(self.errors), "error"),
            f"{self.duration_s:.1f} s",
        ]
        tail = " (stopped early)" if self.stopped else ""
        return f"cycle {self.number}: " + ", ".join(parts) + tail


class CycleLock:
    """One cycle at a time per database, across threads and processes.

    PostgreSQL: a session advisory lock on a connection held for the cycle (released by
    the server if the process dies). SQLite: ``flock`` on ``<database>.worker-lock``
    (released by the kernel if the process dies). Within a process a thread lock
    guards the same thing for in-memory databases.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._thread_lock = threading.Lock()
        self.path: Path | None = None
        if engine.dialect.name == "sqlite":
            database = engine.url.database
            if database and database != ":memory:" and not database.startswith("file:"):
                db_file = Path(database).expanduser().resolve()
                self.path = db_file.with_name(db_file.name + ".worker-lock")

    @contextmanager
    def hold(self) -> Iterator[bool]:
        """Yields True when this caller holds the lock, False when someone else does."""
        if not self._thread_lock.acquire(blocking=False):
            yield False
            return
        try:
            if self.engine.dialect.name == "postgresql":
                with self._pg_lock() as held:
                    yield held
            elif self.path is not None:
                with self._file_lock(self.path) as held:
                    yield held
            else:
                yield True
        finally:
            self._thread_lock.release()

    @contextmanager
    def _pg_lock(self) -> Iterator[bool]:
        from storyline.storage.locks import advisory_unlock, try_advisory_lock

        with self.engine.connect() as conn:
            held = try_advisory_lock(conn, PG_LOCK_KEY)  # a session lock
            try:
                yield held
            finally:
                if held:
                    advisory_unlock(conn, PG_LOCK_KEY)

    @staticmethod
    @contextmanager
    def _file_lock(path: Path) -> Iterator[bool]:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: the thread lock only
            yield True
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


class Worker:
    """Runs the pipeline on a schedule; safe to run beside the web server (a thread)."""

    def __init__(self, settings: Settings, engine: Engine, *,
                 log: Callable[[str], None] | None = None,
                 on_cycle: Callable[[CycleReport], None] | None = None,
                 pipeline: Pipeline | None = None) -> None:
        self.settings = settings
        self.engine = engine
        self.pipeline = pipeline or Pipeline(settings, engine)
        self.log = log or default_log
        self.on_cycle = on_cycle or (lambda report: self.log(report.line()))
        self.lock = CycleLock(engine)
        self.cycles = 0
        self._stop = threading.Event()

    # ---- the loop ----------------------------------------------------------------------
    def run_forever(self, stop: threading.Event) -> None:
        """A cycle every ``worker_interval`` seconds (start to start; at once when a cycle
        overran) until ``stop`` is set. A stop request takes effect between stages."""
        self._stop = stop
        interval = max(1, int(self.settings.worker_interval))
        while not stop.is_set():
            started = time.monotonic()
            try:
                self.on_cycle(self.run_cycle(stop))
            except Exception as exc:  # the loop outlives any one cycle
                logger.debug("worker cycle failed", exc_info=True)
                self.log(f"worker: cycle failed: {_one_line(exc)}")
            if stop.wait(max(0.0, interval - (time.monotonic() - started))):
                break

    def run_cycle(self, stop: threading.Event | None = None) -> CycleReport:
        """fetch due feeds → extract → cluster new articles → write stale stories."""
        stop = stop or self._stop
        self.cycles += 1
        report = CycleReport(number=self.cycles, started=datetime.now(UTC))
        t0 = time.monotonic()
        with self.lock.hold() as held:
            if not held:
                report.skipped = "another worker is running a cycle on this database"
            else:
                stages: list[tuple[str, Callable[[CycleReport], None]]] = [
                    ("fetch", self.fetch), ("cluster", self.cluster), ("write", self.write)]
                for name, stage in stages:
                    if stop.is_set():
                        report.stopped = True
                        break
                    try:
                        stage(report)
                    except Exception as exc:  # one stage's failure is one line
                        logger.debug("worker stage %s failed", name, exc_info=True)
                        line = f"{name} failed: {_one_line(exc)}"
                        report.errors.append(line)
                        self.log(f"cycle {report.number}: {line}")
        report.duration_s = time.monotonic() - t0
        return report

    # ---- stages ------------------------------------------------------------------------
    def fetch(self, report: CycleReport) -> None:
        result = self.pipeline.fetch()
        report.feeds = len(result.feeds)
        report.new_articles = result.new
        for outcome in result.feeds:
            if not outcome.ok:
                report.feeds_failed += 1
                self.log(f"cycle {report.number}: feed {outcome.source_id} {outcome.url}: "
                         f"{outcome.error}")

    def cluster(self, report: CycleReport) -> None:
        """Every article in no story, fetched by this cycle or left by an earlier run."""
        if not self.pipeline.cluster_pending():
            return
        result = self.pipeline.cluster()
        report.clustered = result.articles
        report.new_stories = result.new_stories
        report.stories_merged = result.merged
        report.stories_touched = len(result.touched_stories)

    def write(self, report: CycleReport) -> None:
        """Every stale story, whoever left it stale."""
        todo = self.pipeline.stale_stories()
        if not todo:
            return
        report.summaries_written = self.pipeline.write(story_ids=todo).written
