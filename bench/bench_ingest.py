"""End-to-end ingestion throughput: feeds → pages → extraction → dedup → SQLite.

A loopback HTTP server serves N feed items linking to real pages (the 181 pages of the
extraction benchmark, each served under several URLs with a unique sentence added so
every copy is a distinct article). The real crawler fetches, extracts, deduplicates and
stores them in a fresh temporary SQLite database. Prints articles/s (median of runs) and,
as the baseline measured in the same run, extraction alone on the same pages.

    .venv/bin/python bench/bench_ingest.py [--articles 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from storyline.extract.page import extract_html  # noqa: E402
from storyline.ingest.crawl import crawl  # noqa: E402
from storyline.settings import load_settings  # noqa: E402
from storyline.storage import open_database  # noqa: E402
from storyline.storage import sources as source_store  # noqa: E402
from tests.feedgen import Item, rss  # noqa: E402
from tests.helpers import BENCH  # noqa: E402
from tests.httpserver import LocalHTTPServer  # noqa: E402


def load_pages() -> list[bytes]:
    truth = json.loads((BENCH / "ground-truth.json").read_text())
    return [gzip.decompress((BENCH / "html" / f"{k}.html.gz").read_bytes()) for k in sorted(truth)]


def variant(html: bytes, i: int) -> bytes:
    marker = f"<p>Bench copy {i}: this sentence makes copy number {i} a distinct article.</p>"
    lower = html.lower()
    at = lower.rfind(b"</article>")
    if at < 0:
        at = lower.rfind(b"</body>")
    return html[:at] + marker.encode() + html[at:] if at > 0 else html + marker.encode()


def run_once(feeds: list[str], n: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(env={
            "STORYLINE_DATA_DIR": tmp, "STORYLINE_ALLOW_PRIVATE_FEEDS": "true",
            "STORYLINE_CONFIG": "", "STORYLINE_FETCH_PER_HOST": "16",
            "STORYLINE_FETCH_CONCURRENCY": "32", "STORYLINE_RESPECT_ROBOTS": "true",
        })
        engine = open_database(settings, f"{tmp}/bench.db")
        from datetime import UTC, datetime

        with engine.begin() as conn:
            for url in feeds:
                source_store.add(conn, url, datetime.now(UTC))
        start = time.perf_counter()
        report = crawl(engine, settings)
        seconds = time.perf_counter() - start
        engine.dispose()
        stored = len(report.article_ids)
        assert stored == n, f"stored {stored} of {n}"
        return seconds, stored


def serve(args: argparse.Namespace, port_queue: multiprocessing.Queue) -> None:
    """The loopback server, in its own process so it does not compete for our GIL."""
    pages = load_pages()
    server = LocalHTTPServer().start()
    server.add("/robots.txt", "User-agent: *\nAllow: /\n", headers={"Content-Type": "text/plain"})
    for i in range(args.articles):
        server.add(f"/a/{i}.html", variant(pages[i % len(pages)], i),
                   headers={"Content-Type": "text/html; charset=utf-8"})
    per_feed = -(-args.articles // args.feeds)
    for f in range(args.feeds):
        items = [Item(link=server.url(f"/a/{i}.html"), title=f"Article {i}", guid=str(i))
                 for i in range(f * per_feed, min(args.articles, (f + 1) * per_feed))]
        server.add(f"/feed/{f}.rss", rss(items, title=f"Bench feed {f}"),
                   headers={"Content-Type": "application/rss+xml"})
    port_queue.put(server.port)
    while True:
        time.sleep(3600)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--feeds", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    queue: multiprocessing.Queue = multiprocessing.Queue()
    proc = multiprocessing.Process(target=serve, args=(args, queue), daemon=True)
    proc.start()
    port = queue.get(timeout=120)
    feeds = [f"http://127.0.0.1:{port}/feed/{f}.rss" for f in range(args.feeds)]

    # Baseline in the same run: extraction alone over the same pages, one thread.
    pages = load_pages()
    sample = [variant(pages[i % len(pages)], i) for i in range(min(args.articles, 300))]
    t0 = time.perf_counter()
    for body in sample:
        extract_html(body)
    extract_rate = len(sample) / (time.perf_counter() - t0)

    rates = []
    for r in range(args.runs):
        seconds, stored = run_once(feeds, args.articles)
        rates.append(stored / seconds)
        print(f"run {r + 1}: {stored} articles in {seconds:.1f} s = {stored / seconds:.1f}/s")
    proc.terminate()
    med = statistics.median(rates)
    print(f"end-to-end ingestion: median {med:.1f} articles/s over {args.runs} runs "
          f"({args.articles} articles, {args.feeds} feeds, loopback, SQLite, "
          f"{os.cpu_count()} cores)")
    print(f"baseline, extraction alone (same pages, one thread): {extract_rate:.1f} pages/s; "
          f"end-to-end / extraction-alone = {med / extract_rate:.2f}")


if __name__ == "__main__":
    main()
