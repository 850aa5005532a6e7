"""The loopback news site of the distributed tests and benchmark: a few outlets' feeds
over one corpus of labelled reports, each report an article page, and the helpers that
start ``storyline`` worker processes over it and read back what they made."""

from __future__ import annotations

import gzip
import hashlib
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

from sqlalchemy import Engine, func, select

from storyline.cli.imports import sample_corpus_path
from storyline.storage.schema import (
    articles,
    pending_entries,
    stories,
    story_members,
    story_summaries,
)
from tests.feedgen import Item, base_time, rfc822, rss
from tests.helpers import EVAL, REPO
from tests.httpserver import LocalHTTPServer
from tests.livefeed import page

WORDS = 60  # of each report: a small page, quick to extract, embed and write


def sample_rows() -> list[dict[str, Any]]:
    """The bundled ECB+ sample (462 reports of 40 events)."""
    with gzip.open(sample_corpus_path(), "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def neus_rows(n: int) -> list[dict[str, Any]]:
    """The first ``n`` reports of NeuS (../shared), whole stories first."""
    out: list[dict[str, Any]] = []
    with (EVAL / "neus-dev.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if len(row["text"].split()) >= 12:
                out.append(row)
            if len(out) >= n:
                break
    return out


def corpus(n: int, *, shared: bool) -> list[dict[str, Any]]:
    """``n`` reports: the ECB+ sample, then NeuS when ``shared`` (as a wire mixes them:
    interleaved by event)."""
    rows = sample_rows()
    if shared and n > len(rows):
        rows += neus_rows(n - len(rows))
    rows = rows[:n]
    by_story: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_story.setdefault(row["story"], []).append(row)
    mixed: list[dict[str, Any]] = []
    groups = list(by_story.values())
    while groups:
        for group in list(groups):
            mixed.append(group.pop(0))
            if not group:
                groups.remove(group)
    for row in mixed:
        words = row["text"].split()
        text = " ".join(words[:WORDS])
        row["text"] = text[: text.rfind(".") + 1] or text if len(words) > WORDS else text
    return mixed


class Site:
    """``feeds`` outlets' RSS feeds over the corpus on the loopback server."""

    def __init__(self, server: LocalHTTPServer, rows: list[dict[str, Any]], *,
                 feeds: int = 10, prefix: str = "") -> None:
        self.server = server
        self.rows = rows
        t0 = base_time() - timedelta(days=2)
        items: list[list[Item]] = [[] for _ in range(feeds)]
        for i, row in enumerate(rows):
            path = f"/{prefix}a/{i:05d}.html"
            server.add(path, body=page(row["title"], row["text"]),
                       headers={"Content-Type": "text/html; charset=utf-8"})
            items[i % feeds].append(Item(link=server.url(path), title=row["title"],
                                         guid=row["id"],
                                         published=rfc822(t0 + timedelta(minutes=2 * i))))
        self.feed_urls = []
        for k, group in enumerate(items):
            path = f"/{prefix}feed{k}.rss"
            server.add(path, body=rss(group, title=f"Outlet {k}"),
                       headers={"Content-Type": "application/rss+xml"})
            self.feed_urls.append(server.url(path))

    def truth(self) -> dict[str, str]:
        return {self.server.url(f"/a/{i:05d}.html"): row["story"]
                for i, row in enumerate(self.rows)}


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)


def state(engine: Engine) -> dict[str, Any]:
    """Articles, the story partition and the stored pages (headline, a hash of the
    HTML, its version), keyed by article URL (ids differ between runs: pages are fetched
    in any order); ``stale_pages`` counts the summaries not written for their story's
    members (left out of ``pages``). Shared with tests/test_crash_heal.py."""
    with engine.connect() as conn:
        url_of = {r.id: r.url for r in conn.execute(select(articles.c.id, articles.c.url))}
        arts = {r.url: (r.title, r.text, r.published, r.outlet) for r in conn.execute(
            select(articles.c.url, articles.c.title, articles.c.text, articles.c.published,
                   articles.c.outlet))}
        members: dict[int, set[str]] = {}
        for r in conn.execute(select(story_members.c.story_id, story_members.c.article_id)):
            members.setdefault(r.story_id, set()).add(url_of[r.article_id])
        live = {r.id: r.members_hash for r in conn.execute(
            select(stories.c.id, stories.c.members_hash).where(stories.c.status == "active"))}
        pages = {}
        html_of: dict[frozenset[str], str] = {}
        stale = 0
        for r in conn.execute(select(story_summaries)):
            if r.story_id not in live or r.members_hash != live[r.story_id]:
                stale += 1
                continue
            html = r.page_html or ""
            for aid, url in sorted(url_of.items(), key=lambda kv: -kv[0]):
                html = html.replace(f"/articles/{aid}", f"/articles/<{url}>")
            pages[frozenset(members[r.story_id])] = (
                r.headline, hashlib.sha256(html.encode()).hexdigest(), r.page_version)
            html_of[frozenset(members[r.story_id])] = html
    partition = sorted(sorted(m) for sid, m in members.items() if sid in live)
    return {"articles": arts, "partition": partition, "pages": pages, "html": html_of,
            "stories": len(live), "stale_pages": stale,
            "memberships": sum(len(m) for m in members.values())}


def bcubed_f1(a: list[list[str]], b: list[list[str]]) -> float:
    """BCubed F1 of partition ``a`` against ``b`` (over the items of ``b``)."""
    ca = {x: frozenset(c) for c in a for x in c}
    cb = {x: frozenset(c) for c in b for x in c}
    items = list(cb)
    if not items:
        return 1.0
    p = sum(len(ca.get(x, frozenset()) & cb[x]) / max(1, len(ca.get(x, {x})))
            for x in items) / len(items)
    r = sum(len(ca.get(x, frozenset()) & cb[x]) / len(cb[x]) for x in items) / len(items)
    return 2 * p * r / (p + r) if p + r else 0.0


class Workers:
    """``storyline worker`` processes over one database and broker."""

    def __init__(self, tmp_path: Path, db_url: str, broker_url: str,
                 env: dict[str, str] | None = None) -> None:
        self.tmp = tmp_path
        self.db_url = db_url
        self.env = {**os.environ, "STORYLINE_DATA_DIR": str(tmp_path / "data"),
                    "STORYLINE_ALLOW_PRIVATE_FEEDS": "true", "STORYLINE_FETCH_TIMEOUT": "20",
                    "STORYLINE_CONFIG": "", "STORYLINE_BROKER_URL": broker_url,
                    "STORYLINE_SWEEP_INTERVAL": "2", "STORYLINE_SWEEP_REQUEUE_AFTER": "20",
                    "STORYLINE_CLUSTER_MAX_WAIT": "600", "HF_HUB_OFFLINE": "1",
                    "NO_PROXY": "127.0.0.1", "PYTHONUNBUFFERED": "1",
                    "OMP_NUM_THREADS": "1", **(env or {})}
        for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                    "STORYLINE_DATABASE_URL"):
            self.env.pop(var, None)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, Path] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = self.tmp / f"{name}.log"
        self.logs[name] = log
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "storyline", "--db", self.db_url, "worker",
                 "--name", f"{name}@test", "--pool", "solo", "--concurrency", "1", *args],
                stdout=out, stderr=subprocess.STDOUT, cwd=REPO, env=self.env,
                start_new_session=True)
        self.procs[name] = proc
        return proc

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        self.procs.clear()

    def log(self, name: str) -> str:
        return self.logs[name].read_text(errors="replace") if name in self.logs else ""

    def alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise AssertionError(f"worker {name} exited {proc.returncode}:\n"
                                     f"{self.log(name)[-3000:]}")


def wait_for(what: str, ready: Callable[[], bool], timeout: float,
             check: Callable[[], None] | None = None, poll_s: float = 0.2) -> float:
    """Poll until ``ready()``; returns the seconds it took."""
    t0 = time.monotonic()
    while not ready():
        if check is not None:
            check()
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(poll_s)
    return time.monotonic() - t0


def settled(engine: Engine, n: int) -> bool:
    """Every article stored, clustered and written, nothing waiting."""
    from storyline.storage import engine_state, summaries, work

    with engine.connect() as conn:
        if (work.pending_entry_count(conn) or work.unready_count(conn)
                or engine_state.pending_links(conn)
                or engine_state.get(conn, "consolidation_owed")):
            return False
        stored = int(conn.execute(select(func.count()).select_from(articles)).scalar() or 0)
        if stored < n or work.unclustered_ready_count(conn):
            return False
        return not summaries.stale_story_ids(conn) and not conn.execute(
            select(pending_entries.c.id).limit(1)).first()
