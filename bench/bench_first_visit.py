"""Where a signed-in first visit's CPU goes: the app (``create_app``, GC tuned as
``storyline serve`` does) driven in-process through ASGI (no HTTP server, the same for
both kinds of view), over bench_web's 10,000-story corpus (bench/webcorpus.py, a copy
of it in a temporary folder, so the cached corpus is not written to).

Rounds alternate anonymous story pages that miss the page cache and signed-in first
visits (each story opened once by a fresh user), --connections at once; each prints the
process CPU per request, and the median ratio of the rounds closes. With --rollback,
every commit is a rollback (the writes run, nothing reaches the WAL): what the commits
cost. With --writer N, another process commits a one-row write N times a second
meanwhile: what other connections' commits cost a view that writes nothing.

    .venv/bin/python bench/bench_first_visit.py                 # 5 rounds of 900 views
    .venv/bin/python bench/bench_first_visit.py --rollback
    .venv/bin/python bench/bench_first_visit.py --writer 500
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

WRITER = r"""
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
c.execute("PRAGMA journal_mode=WAL"); c.execute("PRAGMA synchronous=NORMAL")
c.execute("CREATE TABLE IF NOT EXISTS bench_scratch (id INTEGER PRIMARY KEY, v TEXT)")
pause = 1 / float(sys.argv[2])
while True:
    c.execute("BEGIN IMMEDIATE"); c.execute("INSERT INTO bench_scratch (v) VALUES ('x')")
    c.execute("COMMIT"); time.sleep(pause)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--rounds", type=int, default=5, help="rounds of each kind (default 5)")
    ap.add_argument("--views", type=int, default=900, help="views per round (default 900)")
    ap.add_argument("--connections", type=int, default=50, help="views at once (default 50)")
    ap.add_argument("--rollback", action="store_true", help="commits become rollbacks")
    ap.add_argument("--writer", type=float, default=0.0, metavar="N",
                    help="another process commits N one-row writes a second meanwhile")
    args = ap.parse_args()
    if 2 * args.rounds * args.views + 400 > 10_000:
        sys.exit("bench_first_visit: rounds x views x 2 must stay under the 9,600 stories "
                 "it can open once each")

    from webcorpus import ensure_corpus

    corpus = ensure_corpus(10_000)
    tmp = Path(tempfile.mkdtemp(prefix="bench-first-visit-"))
    db = tmp / "corpus.db"
    with sqlite3.connect(corpus.path) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    writer = None
    try:
        if args.writer:
            writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db),
                                       str(args.writer)])
        run(args, db, tmp)
    finally:
        if writer is not None:
            writer.terminate()
            writer.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, db: Path, tmp: Path) -> None:
    os.environ.update(STORYLINE_DATABASE_URL=f"sqlite:///{db}", STORYLINE_CONFIG="",
                      STORYLINE_DATA_DIR=str(tmp / "data"))
    from storyline.accounts import users as accounts
    from storyline.settings import load_settings
    from storyline.storage import open_database
    from storyline.web.app import create_app, tune_gc

    settings = load_settings()
    engine = open_database(settings)
    app = create_app(settings, engine)
    tune_gc()
    with sqlite3.connect(db) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM stories WHERE status = 'active'")]
    random.Random(0).shuffle(ids)
    user = accounts.add_user(engine, "bench-first-visit", "bench-password-1")
    cookie, _ = accounts.new_session(engine, user, 1)
    if args.rollback:  # after the account is made
        engine.dialect.do_commit = lambda dbapi_conn: dbapi_conn.rollback()  # type: ignore

    async def view(path: str, session: str | None) -> None:
        headers = [(b"host", b"127.0.0.1")]
        if session:
            headers.append((b"cookie", f"storyline_session={session}".encode()))
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
                 "query_string": b"", "root_path": "", "headers": headers,
                 "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
        status = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await app(scope, receive, send)
        if status != [200]:
            raise SystemExit(f"bench_first_visit: {path} answered {status}")

    async def views(story_ids: list[int], session: str | None) -> float:
        todo = [f"/stories/{i}" for i in story_ids]
        t0 = time.process_time()

        async def one_connection() -> None:
            while todo:
                await view(todo.pop(), session)

        await asyncio.gather(*(one_connection() for _ in range(args.connections)))
        return (time.process_time() - t0) / len(story_ids) * 1e3

    async def rounds() -> None:
        await views(ids[-200:], None)  # warm-up: statements compiled, templates loaded
        await views(ids[-400:-200], cookie)
        anon, signed = [], []
        print(f"{'round':>5}{'anonymous':>11}{'signed in':>11}{'ratio':>8}  (ms CPU per view)")
        for r in range(args.rounds):
            part = ids[2 * r * args.views: 2 * (r + 1) * args.views]
            app.state.reader.cache.invalidate()
            anon.append(await views(part[:args.views], None))
            signed.append(await views(part[args.views:], cookie))
            print(f"{r + 1:>5}{anon[-1]:>11.3f}{signed[-1]:>11.3f}{signed[-1] / anon[-1]:>7.2f}x")
        ratios = [s / a for a, s in zip(anon, signed, strict=True)]
        writer = app.state.reader.visits
        how = ("commits turned into rollbacks" if args.rollback else
               f"another process committing {args.writer:g} times a second"
               if args.writer else "as served")
        print(f"median of {args.rounds}: anonymous {statistics.median(anon):.3f}, signed-in "
              f"first visit {statistics.median(signed):.3f} ms CPU per view, ratio "
              f"{statistics.median(ratios):.2f}x ({how}; {args.connections} at once; "
              f"visit writer: {writer.writes} visits in {writer.batches} commits; load "
              f"average {os.getloadavg()[0]:.1f})")

    try:
        asyncio.run(rounds())
    finally:
        app.state.reader.visits.close()
        app.state.reader.cache.close()
        engine.dispose()


if __name__ == "__main__":
    main()
