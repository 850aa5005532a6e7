"""A `storyline fetch` killed with SIGKILL at fetching, at clustering and at writing leaves
no process behind, and the next plain `storyline fetch` finishes the work: the same
articles, the same stories and the same pages as one uninterrupted run.

The stage is observed in the database (articles stored, the feed's fetch recorded,
summaries written), never by a hook in the product. The last two pages answer slowly
while the first run fetches, so it is killed with its extraction pool running (more than
``POOL_AFTER`` pages, two extraction processes).
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from storyline.cli.imports import sample_corpus_path
from storyline.ingest.crawl import POOL_AFTER
from storyline.settings import load_settings
from storyline.storage import open_database
from storyline.storage.schema import articles, fetch_log, story_members, story_summaries
from tests.distributed_site import count, state
from tests.feedgen import Item, base_time, rfc822, rss
from tests.helpers import REPO
from tests.httpserver import LocalHTTPServer
from tests.livefeed import page

TOPICS = ("ecbplus:13_ecb", "ecbplus:1_ecb", "ecbplus:12_ecb", "ecbplus:18_ecb")
PER_TOPIC = 5  # four events, five reports each
WORDS = 120  # of each report: enough for a page, quick to cluster and write
SLOW = 2  # the last pages: slow while the first run fetches
N = len(TOPICS) * PER_TOPIC
assert N - SLOW > POOL_AFTER  # the first run extracts in its process pool


def corpus() -> list[dict[str, Any]]:
    with gzip.open(sample_corpus_path(), "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    by_topic = [[r for r in rows if r["story"] == topic and len(r["text"].split()) > 80
                 ][:PER_TOPIC] for topic in TOPICS]
    picked = [r for group in zip(*by_topic, strict=True) for r in group]  # a wire's mix
    for r in picked:
        text = " ".join(r["text"].split()[:WORDS])
        r["text"] = text[: text.rfind(".") + 1] or text
    return picked


class Site:
    """The fixture feed and its article pages on the loopback server."""

    def __init__(self, server: LocalHTTPServer) -> None:
        self.server = server
        t0 = base_time() - timedelta(days=1)
        self.items: list[Item] = []
        self.pages: dict[str, bytes] = {}
        for i, row in enumerate(corpus()):
            path = f"/a/{i:02d}.html"
            self.pages[path] = page(row["title"], row["text"])
            self.items.append(Item(link=server.url(path), title=row["title"], guid=row["id"],
                                   published=rfc822(t0 + timedelta(minutes=7 * i))))
        server.add("/wire.rss", body=rss(self.items, title="Loopback Wire"),
                   headers={"Content-Type": "application/rss+xml"})
        self.slow(0.0)

    def slow(self, delay: float) -> None:
        for k, (path, body) in enumerate(self.pages.items()):
            self.server.add(path, body=body, delay=delay if k >= N - SLOW else 0.0,
                            headers={"Content-Type": "text/html; charset=utf-8"})


class Storyline:
    """`storyline` as a subprocess (its own session, so its process group is its own)."""

    def __init__(self, tmp_path: Path, name: str) -> None:
        self.db_url = f"sqlite:///{tmp_path / name}.db"
        self.env = {**os.environ, "STORYLINE_DATA_DIR": str(tmp_path / "data"),
                    "STORYLINE_ALLOW_PRIVATE_FEEDS": "true", "STORYLINE_FETCH_TIMEOUT": "60",
                    "STORYLINE_CONFIG": "", "STORYLINE_CLUSTER_AFTER_FETCH": "true",
                    "STORYLINE_EXTRACT_WORKERS": "2", "HF_HUB_OFFLINE": "1",
                    "NO_PROXY": "127.0.0.1", "PYTHONUNBUFFERED": "1"}
        for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                    "STORYLINE_DATABASE_URL"):
            self.env.pop(var, None)
        settings = load_settings(env={"STORYLINE_CONFIG": "",
                                      "STORYLINE_DATA_DIR": str(tmp_path / "data")})
        self.engine: Engine = open_database(settings, self.db_url)

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "storyline", "--db", self.db_url, *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                cwd=REPO, env=self.env, start_new_session=True)

    def __call__(self, *args: str) -> str:
        proc = self.start(*args)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"exit {proc.returncode}: {out}\n{err}"
        assert "Traceback" not in err, err
        return out

    def count(self, table: Any) -> int:
        return count(self.engine, table)

    def feed_fetched(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(fetch_log.c.id).where(
                fetch_log.c.kind == "feed", fetch_log.c.ok.is_(True))).first() is not None

    def kill_when(self, proc: subprocess.Popen[str], what: str, ready: Callable[[], bool],
                  timeout: float = 60) -> set[int]:
        """SIGKILL the run once ``ready()``; returns the pids of its process group then."""
        deadline = time.monotonic() + timeout
        while not ready():
            if proc.poll() is not None:
                raise AssertionError(f"the run ended before {what}: {proc.communicate()}")
            if time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.01)
        group = group_members(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        # wait(), not communicate(): a leftover child would hold the pipes open.
        assert proc.wait(timeout=30) == -signal.SIGKILL
        return group

    def state(self) -> dict[str, Any]:
        """Articles, the story partition and the stored pages, keyed by article URL."""
        found = state(self.engine)
        assert found["stale_pages"] == 0, "a stale page"
        return found


def group_members(pgid: int) -> set[int]:
    """Live (non-zombie) processes of process group ``pgid``, from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def assert_no_leftovers(pgid: int) -> None:
    deadline = time.monotonic() + 10
    while group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not group_members(pgid), f"left running: {group_members(pgid)}"


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killed_runs_heal_on_the_next_fetch(tmp_path: Path,
                                            http_server: LocalHTTPServer) -> None:
    site = Site(http_server)

    # One uninterrupted run: what the healed runs must end with.
    ref = Storyline(tmp_path, "reference")
    ref("feeds", "add", http_server.url("/wire.rss"))
    out = ref("fetch")
    assert f"{N} new articles" in out and "Clustered" in out and "Wrote" in out
    want = ref.state()
    assert len(want["articles"]) == N and sum(map(len, want["partition"])) == N
    assert 2 <= want["stories"] == len(want["pages"])

    crashed = Storyline(tmp_path, "crashed")
    crashed("feeds", "add", http_server.url("/wire.rss"))

    # 1. Killed while fetching: all but the slow pages stored, the pool running.
    site.slow(60.0)
    run = crashed.start("fetch")
    group = crashed.kill_when(run, "the fast pages",
                              lambda: crashed.count(articles) == N - SLOW
                              and len(group_members(run.pid)) >= 3)
    assert len(group) >= 3, "the run and its extraction processes"
    assert_no_leftovers(run.pid)
    assert crashed.count(story_members) == 0 and not crashed.feed_fetched()
    site.slow(0.0)

    # 2. The next run fetches the rest; killed while clustering (the feed is done).
    run = crashed.start("fetch")
    crashed.kill_when(run, "the end of fetching",
                      lambda: crashed.feed_fetched() and crashed.count(articles) == N)
    assert_no_leftovers(run.pid)
    assert crashed.count(story_summaries) == 0

    # 3. Nothing is due now, yet the next run clusters everything; killed while writing.
    run = crashed.start("fetch")
    crashed.kill_when(run, "the first pages written",
                      lambda: 0 < crashed.count(story_summaries) < want["stories"])
    assert_no_leftovers(run.pid)
    assert crashed.count(story_members) == N

    # 4. One plain fetch: the rest of the pages.
    out = crashed("fetch")
    assert out.startswith("No feeds due.") and "Wrote" in out and "Clustered" not in out
    got = crashed.state()
    assert got["articles"] == want["articles"]
    assert got["partition"] == want["partition"]
    assert got["pages"] == want["pages"]
    assert crashed.count(story_summaries) == want["stories"]
