"""The writes of signed-in story views, committed in batches: one thread per server
process takes what requests queued, runs it all in one transaction and commits once
(group commit), and each request answers after the commit that holds its write, so that
the user's next request, on any server process, sees it.

Why: on SQLite, every commit costs every other connection its page cache (the next read
transaction starts over from the file) and appends the pages it changed to the WAL, so
a commit per first visit made a signed-in first visit several times the CPU of an
anonymous one, most of it outside the visit's own statements. Measured in-process at 50
connections (docs/web.md): the same views with the commits taken away cost 0.6-0.8 ms
instead of 1.2. Writes queued while a batch commits go in the next one; a lone write is
committed at once (no waiting for company).

On a SQLite file, the writers of all server processes take turns through a kernel file
lock beside the database (``<file>.visits-lock``, ``flock``) before they ask SQLite for
its write lock: SQLite's own wait for a busy lock sleeps in growing steps (up to 100 ms
each) and may lose the race every time, so with two server processes writing at once a
batch waited for seconds (bench_web user-all, two processes: p95 0.94-1.17 s, one
process 64 ms); a blocked ``flock`` wakes as soon as the other writer lets go."""

from __future__ import annotations

import asyncio
import os
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine

from storyline.storage.db import sqlite_path

Write = Callable[[Connection], object]

#: Writes per transaction at most (a batch holds SQLite's write lock while it runs).
MAX_BATCH = 64
#: The thread stops after this long without writes (and starts again with the next).
IDLE_SECONDS = 5.0


class VisitWriter:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._queue: queue.SimpleQueue[tuple[Write, Future[None]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.batches = 0  # transactions committed (for tests and benchmarks)
        self.writes = 0
        self.lock_path = _lock_path(engine)

    async def write(self, work: Write) -> None:
        """Run ``work(conn)`` in the writer's next transaction; returns once committed
        (raises what ``work`` raised, the other writes of its batch unharmed)."""
        done: Future[None] = Future()
        self._queue.put((work, done))
        self._start()
        await asyncio.wrap_future(done)

    def close(self) -> None:
        """Stop the thread after the writes queued before (idempotent)."""
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is not None:
                self._queue.put(None)
        if thread is not None:
            thread.join(timeout=10)

    def _start(self) -> None:
        # Always under the lock: the idle thread checks the queue and clears _thread
        # under it, so a write put after that check finds _thread None and starts one
        # (an unlocked read could see the leaving thread and strand the write).
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="storyline-visits",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        fd = -1
        if self.lock_path is not None:
            try:
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError:
                fd = -1  # a read-only folder: SQLite's own wait only
        try:
            self._serve(fd)
        finally:
            if fd >= 0:
                os.close(fd)

    def _serve(self, lock_fd: int) -> None:
        while True:
            try:
                item = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:  # idle: stop (a write queued before this check is seen)
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            if item is None:
                return
            with _turn(lock_fd):
                # Writes queued while this one waited for its turn go in its batch.
                batch = [item]
                while len(batch) < MAX_BATCH:
                    try:
                        more = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:  # closing: finish this batch first
                        self._queue.put(None)
                        break
                    batch.append(more)
                # A request gone meanwhile (its future cancelled) writes nothing.
                batch = [(w, f) for w, f in batch if f.set_running_or_notify_cancel()]
                if batch:
                    self._commit(batch)

    def _commit(self, batch: list[tuple[Write, Future[None]]]) -> None:
        try:
            with self.engine.begin() as conn:
                for work, _ in batch:
                    work(conn)
        except Exception as exc:
            if len(batch) == 1:
                batch[0][1].set_exception(exc)
                return
            for item in batch:  # rolled back: each again alone, so only the bad one fails
                self._commit([item])
            return
        self.batches += 1
        self.writes += len(batch)
        for _, done in batch:
            done.set_result(None)


def _lock_path(engine: Engine) -> Path | None:
    """The writers' turn lock of a SQLite file database (None elsewhere, or off POSIX)."""
    path = sqlite_path(engine.url.render_as_string(hide_password=False))
    if path is None or os.name != "posix" or str(path).startswith("file:"):
        return None
    return path.with_name(path.name + ".visits-lock")


@contextmanager
def _turn(fd: int) -> Iterator[None]:
    """This process's turn to write, among the server processes' writers (no turns
    without a lock file)."""
    if fd < 0:
        yield
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
