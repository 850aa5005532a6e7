"""The always-on worker against a loopback feed server: new items reach the story (and
its page) within the next cycle, without a restart; failures are one line each."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from storyline.settings import Settings
from storyline.storage.schema import stories
from storyline.worker import CycleReport, Worker
from storyline.write.service import load_summary
from tests.feedgen import Item, rss
from tests.helpers import REPO
from tests.httpserver import LocalHTTPServer
from tests.livefeed import A_SEEDS, B_SEEDS, LiveFeed, add_feed


def quick(settings: Settings, **extra: Any) -> Settings:
    """A cycle every second, and every feed due at every cycle (a feed interval equal to
    the cycle's let a cycle that started a hair early skip the feed)."""
    return settings.replace(feed_min_interval=0, feed_default_interval=0, worker_interval=1,
                            **extra)


class Lines:
    """A thread-safe log sink."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        with self._lock:
            self.lines.append(line)

    def snapshot(self) -> list[str]:
        with self._lock:
            return list(self.lines)


def wait_for(what: str, check: Callable[[], Any], timeout: float, log: Lines) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; worker log:\n"
                         + "\n".join(log.snapshot()))


@pytest.fixture
def running() -> Iterator[Callable[[Worker], threading.Event]]:
    """Starts workers in threads; stops them (and checks they stop) at the end."""
    started: list[tuple[threading.Thread, threading.Event]] = []

    def start(worker: Worker) -> threading.Event:
        stop = threading.Event()
        thread = threading.Thread(target=worker.run_forever, args=(stop,), daemon=True)
        thread.start()
        started.append((thread, stop))
        return stop

    yield start
    for thread, stop in started:
        stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive()


def story_state(engine: Engine) -> tuple[int, int, dict[str, Any]] | None:
    """(story id, article count, summary) of the biggest live story with a summary."""
    with engine.connect() as conn:
        rows = conn.execute(select(stories.c.id, stories.c.article_count)
                            .where(stories.c.status == "active")
                            .order_by(stories.c.article_count.desc(), stories.c.id)).all()
        for row in rows:
            summary = load_summary(conn, row.id)
            if summary is not None:
                return row.id, row.article_count, summary
    return None


def web_app(settings: Settings, engine: Engine) -> Any:
    from storyline.web.app import create_app

    return create_app(settings, engine)


def api_story(app: Any, story_id: int) -> tuple[int, str]:
    import httpx

    async def get() -> tuple[int, str]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            r = await client.get(f"/api/stories/{story_id}")
            return r.status_code, r.text

    return asyncio.run(get())


@pytest.mark.slow
@pytest.mark.needs_shared
def test_new_items_reach_the_story_within_the_next_cycle(  # type: ignore[no-untyped-def]
        engine, settings: Settings, http_server: LocalHTTPServer, running) -> None:
    settings = quick(settings)
    feed = LiveFeed(http_server, "/wire.rss", "Loopback Wire")
    add_feed(engine, http_server.url("/wire.rss"))
    a_urls = feed.publish(A_SEEDS, minutes=0)
    log = Lines()
    worker = Worker(settings, engine, log=log)
    running(worker)

    def story_with(urls: list[str], count: int) -> tuple[int, int, dict[str, Any]] | None:
        state = story_state(engine)
        if state is None or state[1] != count:
            return None
        sources = {s["url"] for s in state[2]["sources"]}
        return state if set(urls) <= sources and state[2]["article_count"] == count else None

    sid, _, summary = wait_for("story A with its summary", lambda: story_with(a_urls, 2),
                               120, log)
    assert {s["title"] for s in summary["sources"]} == {t for _, t in A_SEEDS}
    assert summary["sections"] and all(s["sentences"] for s in summary["sections"])
    app = web_app(settings, engine)
    status, body = api_story(app, sid)
    assert status == 200 and json.loads(body)["article_count"] == 2
    assert A_SEEDS[0][1] in body and B_SEEDS[0][1] not in body

    # B: two more reports of the same event, published while the worker runs.
    cycles_before = sum(line.startswith("cycle ") for line in log.snapshot())
    b_urls = feed.publish(B_SEEDS, minutes=30)
    sid_b, count, summary = wait_for("story with B", lambda: story_with(a_urls + b_urls, 4),
                                     60, log)
    assert sid_b == sid, "B joined the existing story"
    assert count == 4 and summary["article_count"] == 4
    assert {s["title"] for s in summary["sources"]} == {t for _, t in A_SEEDS + B_SEEDS}
    b_sources = {s["index"] for s in summary["sources"] if s["url"] in b_urls}
    assert len(b_sources) == 2
    cited = {c for sec in summary["sections"] for s in sec["sentences"] for c in s["citations"]}
    assert cited & b_sources, "the rewritten summary cites the new reports"
    # Within the next cycle: the first cycle to finish after publishing (or the one after
    # it, when a cycle was already past its fetch stage) took B in, all three stages.
    after = [line for line in log.snapshot() if line.startswith("cycle ")][cycles_before:]
    took_b = [i for i, line in enumerate(after) if "2 new articles" in line]
    assert took_b and took_b[0] <= 1, after
    assert "1 story touched (0 new)" in after[took_b[0]], after
    assert "1 summary written" in after[took_b[0]], after
    assert not [line for line in log.snapshot() if "failed" in line]

    # The same app, not restarted, shows B (its page cache lives at most a second).
    def shows_b() -> bool:
        status, body = api_story(app, sid)
        assert status == 200
        data = json.loads(body)
        return (data["article_count"] == 4
                and {s["url"] for s in data["sources"]} >= set(b_urls))

    wait_for("the API to show B", shows_b, 5, log)

    # Quiet cycles afterwards: nothing fetched, clustered or written again.
    n = len(log.snapshot())
    wait_for("two more cycles", lambda: len(log.snapshot()) >= n + 2, 10, log)
    quiet = [line for line in log.snapshot()[n:] if line.startswith("cycle ")]
    assert all("0 new articles, 0 stories touched (0 new), 0 summaries written, 0 errors"
               in line for line in quiet), quiet


def test_broken_feed_is_one_line_and_the_cycle_goes_on(  # type: ignore[no-untyped-def]
        engine, settings: Settings, http_server: LocalHTTPServer) -> None:
    settings = quick(settings, fetch_pages=False)
    http_server.add("/broken.rss", status=500, body=b"oops")
    good = http_server.url("/good.rss")
    http_server.add("/good.rss", body=rss([Item(link=None, title="Harbour reopens",
                                                guid="g1", content="<p>The harbour "
                                                "reopened on Monday after repairs.</p>")]),
                    headers={"Content-Type": "application/rss+xml"})
    broken_id = add_feed(engine, http_server.url("/broken.rss"))
    add_feed(engine, good)
    log = Lines()

    class NoStories(Worker):
        """The fetch stage is what is under test; clustering is covered elsewhere."""

        def cluster(self, report: CycleReport) -> None:
            raise RuntimeError("cluster engine unavailable\nsecond line of detail")

    worker = NoStories(settings, engine, log=log)
    report = worker.run_cycle()
    lines = log.snapshot()
    broken = [line for line in lines if "/broken.rss" in line]
    assert len(broken) == 1, lines
    assert broken[0].startswith(f"cycle 1: feed {broken_id} {http_server.url('/broken.rss')}: "
                                "HTTP 500"), broken
    assert report.feeds == 2 and report.feeds_failed == 1 and report.new_articles == 1
    # A failing stage is one line too, and the stages after it still run.
    assert report.errors == ["cluster failed: RuntimeError: cluster engine unavailable"]
    assert "cycle 1: cluster failed: RuntimeError: cluster engine unavailable" in lines
    assert len(lines) == 2
    assert "2 feeds checked (1 failed), 1 new article," in report.line()
    assert "1 error," in report.line()

    # The next cycle runs: the broken feed is in backoff or fails again, one line at most.
    report = worker.run_cycle()
    assert report.number == 2 and report.new_articles == 0
    assert len([line for line in log.snapshot()[2:] if "/broken.rss" in line]) <= 1


def test_a_failing_cycle_does_not_end_the_loop_and_stop_is_prompt(  # type: ignore[no-untyped-def]
        engine, settings: Settings) -> None:
    log = Lines()
    calls = []

    class Flaky(Worker):
        def run_cycle(self, stop: threading.Event | None = None) -> CycleReport:
            calls.append(time.monotonic())
            if len(calls) == 1:
                raise OSError("database unreachable")
            return super().run_cycle(stop)

    worker = Flaky(quick(settings), engine, log=log)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop,), daemon=True)
    thread.start()
    wait_for("three cycles", lambda: len(calls) >= 3, 10, log)
    lines = log.snapshot()
    assert lines[0] == "worker: cycle failed: OSError: database unreachable"
    assert lines[1].startswith("cycle 1: 0 feeds checked, 0 new articles")
    assert 0.8 <= calls[2] - calls[1] <= 2.5  # one cycle a second
    # Idle between cycles: a stop request ends the loop at once.
    time.sleep(0.3)
    t0 = time.monotonic()
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive() and time.monotonic() - t0 < 1.5

    # With a long interval too.
    worker = Worker(settings.replace(worker_interval=3600), engine, log=log)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop,), daemon=True)
    thread.start()
    wait_for("a cycle", lambda: worker.cycles >= 1, 10, log)
    time.sleep(0.3)
    t0 = time.monotonic()
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive() and time.monotonic() - t0 < 1.5
    assert worker.cycles == 1


def test_one_cycle_at_a_time_per_database(engine, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    log = Lines()
    first = Worker(settings, engine, log=log)
    second = Worker(settings, engine, log=log)  # as a second process would
    with first.lock.hold() as held:
        assert held
        report = second.run_cycle()
        assert report.skipped and "another worker" in report.line()
        assert report.feeds == 0 and not report.errors
        assert first.run_cycle().skipped  # the same worker from another thread
    assert not second.run_cycle().skipped  # released
    assert not log.snapshot()


def test_two_workers_on_one_sqlite_file_in_two_processes(tmp_path: Path,
                                                         settings: Settings) -> None:
    from storyline.storage import open_database

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    eng = open_database(settings, url)
    worker = Worker(settings, eng)
    code = ("import sys, time\n"
            "from storyline.settings import load_settings\n"
            "from storyline.storage import open_database\n"
            "from storyline.worker import Worker\n"
            "s = load_settings(env={'STORYLINE_CONFIG': '', 'STORYLINE_DATA_DIR': sys.argv[2]})\n"
            "w = Worker(s, open_database(s, sys.argv[1]))\n"
            "with w.lock.hold() as held:\n"
            "    print('held' if held else 'busy', flush=True)\n"
            "    time.sleep(float(sys.argv[3]))\n")
    proc = subprocess.Popen([sys.executable, "-c", code, url, str(tmp_path), "3"],
                            stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        assert worker.run_cycle().skipped  # the other process holds the lock
    finally:
        proc.wait(timeout=30)
    assert not worker.run_cycle().skipped  # released when that process let go
    eng.dispose()


def test_worker_once_and_ctrl_c(cli, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    res = cli("worker", "--once")
    assert res.exit_code == 0
    assert res.output.startswith("cycle 1: 0 feeds checked, 0 new articles, 0 stories "
                                 "touched (0 new), 0 summaries written, 0 errors, ")
    assert cli("worker", "--interval", "0", ok=False).exit_code == 2
    bad = cli("worker", "--once", ok=False, env={"STORYLINE_WRITER": "llm"})
    assert bad.exit_code == 1 and "writer=llm needs" in bad.output

    env = {**os.environ, **cli.env, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "storyline", "--db", db_url, "worker",
                             "--interval", "1"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=REPO, env=env)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("cycle 1: 0 feeds checked"), first
        proc.send_signal(signal.SIGINT)
        t0 = time.monotonic()
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert time.monotonic() - t0 < 3
    assert "Worker started" in err and err.rstrip().endswith("Worker stopped.")
    assert "Traceback" not in err
