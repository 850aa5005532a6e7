"""End-to-end throughput of the distributed pipeline beside the in-process runner.

    .venv/bin/python bench/bench_distributed.py [--articles 400] [--workers 1 2 4]
                                                [--repeat 1]

One throwaway PostgreSQL, one ``redis-server`` and the loopback news site of the tests
(tests/distributed_site.py: ten outlets' feeds over the bundled ECB+ sample, 60-word
pages). For each configuration a fresh database gets the same feeds:

- in-process: ``Pipeline.run_cycle`` (fetch every feed and page, extract, store, embed,
  cluster, storylines, write), models loaded and warmed first;
- k distributed workers (``storyline worker --queues <all> --pool solo``, the first with
  the beat): started on an empty database and their models loaded first, then the
  feeds are added and the clock runs until every article is stored, clustered and
  written.

Prints articles/s (median over ``--repeat`` runs) and the ratio to the in-process run,
then the broker's overhead: the round trip of a message through Redis (publish, receive,
acknowledge, one at a time) times the messages one article costs in the runs (LPUSH
calls counted by Redis), in ms per article. The workers share
this machine's cores: on a 2-core machine 4 workers contend, they do not scale.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storyline.pipeline import Models, Pipeline  # noqa: E402
from storyline.settings import load_settings  # noqa: E402
from storyline.storage import open_database  # noqa: E402
from tests.distributed_site import Site, Workers, corpus, settled, wait_for  # noqa: E402
from tests.httpserver import LocalHTTPServer  # noqa: E402
from tests.livefeed import add_feed  # noqa: E402
from tests.pg import PostgresServer  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402

ALL_QUEUES = "poll,extract,embed,cluster,storylines,write"
NOOP_MESSAGES = 200


def redis_command(port: int, command: str) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(command.encode() + b"\r\n")
        time.sleep(0.05)
        return s.recv(1 << 20).decode(errors="replace")


def lpush_calls(port: int) -> int:
    for line in redis_command(port, "INFO commandstats").splitlines():
        if line.startswith("cmdstat_lpush:"):
            return int(line.split("calls=", 1)[1].split(",", 1)[0])
    return 0


def settings_for(tmp: Path, url: str, broker: str = ""):  # type: ignore[no-untyped-def]
    return load_settings(env={"STORYLINE_DATA_DIR": str(tmp / "data"),
                              "STORYLINE_ALLOW_PRIVATE_FEEDS": "true", "STORYLINE_CONFIG": "",
                              "STORYLINE_DATABASE_URL": url, "STORYLINE_BROKER_URL": broker,
                              "STORYLINE_CLUSTER_MAX_WAIT": "600"})


def run_in_process(tmp: Path, pg: PostgresServer, site: Site, models: Models
                   ) -> tuple[float, dict[str, tuple[float, float]], int]:
    """Seconds for ``Pipeline.run_cycle``'s work, timed stage by stage: (total, {stage:
    (wall s, CPU s of this process)}, stories written)."""
    url = pg.new_database()
    settings = settings_for(tmp, url)
    engine = open_database(settings)
    for feed in site.feed_urls:
        add_feed(engine, feed)
    pipeline = Pipeline(settings, engine, models=models)
    stages: dict[str, tuple[float, float]] = {}

    def timed(name: str, work):  # type: ignore[no-untyped-def]
        w0, c0 = time.perf_counter(), time.process_time()
        out = work()
        stages[name] = (time.perf_counter() - w0, time.process_time() - c0)
        return out

    # run_cycle's steps, one by one: fetch (poll, extract, store), cluster (embed,
    # cluster, storylines), then the rest of finish_pending (the page writes).
    fetched = timed("poll + extract + store", pipeline.fetch)
    timed("embed + cluster + storylines", pipeline.cluster)
    done = timed("write", pipeline.finish_pending)
    assert fetched.new == len(site.rows), fetched.new
    engine.dispose()
    written = done.write.written if done.write is not None else 0
    return sum(w for w, _ in stages.values()), stages, written


def run_distributed(tmp: Path, pg: PostgresServer, redis: RedisServer, site: Site,
                    k: int) -> tuple[float, int]:
    """Seconds from adding the feeds to every article written, and the messages sent."""
    url = pg.new_database()
    engine = open_database(settings_for(tmp, url))
    redis.flush()
    workers = Workers(tmp / f"w{k}", url, redis.url, env={"STORYLINE_SWEEP_INTERVAL": "1"})
    (tmp / f"w{k}").mkdir(exist_ok=True)
    try:
        for i in range(k):
            workers.start(f"w{i}", "--queues", ALL_QUEUES, *(["--beat"] if i == 0 else []))
        warm_up(engine, workers, k)
        pushed = lpush_calls(redis.port)
        t0 = time.perf_counter()
        for feed in site.feed_urls:
            add_feed(engine, feed)
        wait_for("settled", lambda: settled(engine, len(site.rows)), 1800,
                 check=workers.alive, poll_s=0.2)
        return time.perf_counter() - t0, lpush_calls(redis.port) - pushed
    finally:
        workers.stop_all()
        engine.dispose()


def warm_up(engine, workers: Workers, k: int) -> None:  # type: ignore[no-untyped-def]
    """Wait until the k workers beat and have loaded their models (a solo worker loads
    them before its first message: "models loaded in …" in its log), as the in-process
    run warms its models first: the clock then times the pipeline, not model loads."""
    from storyline.storage import heartbeats

    def ready() -> bool:
        if not all(re.search(r"models (not )?loaded", workers.log(f"w{i}"))
                   for i in range(k)):
            return False
        with engine.connect() as conn:
            return len(heartbeats.workers(conn)) >= k
    wait_for("the workers' heartbeats and models", ready, 600, check=workers.alive)


def broker_round_trip_ms(redis: RedisServer) -> float:
    """ms per message through Redis: publish a task message (Celery's own format, via
    kombu), receive it and acknowledge it, one at a time, as a worker with prefetch 1
    does."""
    from kombu import Connection

    body = {"task": "storyline.extract", "args": [12345]}
    with Connection(redis.url) as conn:
        queue = conn.SimpleQueue("bench-roundtrip")
        queue.put(body)
        queue.get(timeout=5).ack()  # warm
        t0 = time.perf_counter()
        for _ in range(NOOP_MESSAGES):
            queue.put(body)
            queue.get(timeout=5).ack()
        took = time.perf_counter() - t0
        queue.close()
    return took / NOOP_MESSAGES * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=400)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--broker-only", action="store_true",
                    help="Only the broker round trip, ms per message.")
    args = ap.parse_args()
    # SIGTERM (a timeout, a killed session) unwinds like Ctrl-C: the finally blocks stop
    # the workers, Redis and PostgreSQL instead of leaving them running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="bench-distributed-"))
    pg, redis, http = PostgresServer(), RedisServer(), LocalHTTPServer().start()
    pg.start()
    redis.start()
    try:
        if args.broker_only:
            print(f"broker: {broker_round_trip_ms(redis):.2f} ms per message")
            return
        site = Site(http, corpus(args.articles, shared=False), feeds=10)
        models = Models()
        models.encoder(settings_for(tmp, "").embed_backend).encode(["warm up"])
        models.tagger.extract([("Warm up", "Talks resumed in Geneva on Monday.")])
        models.phrases.tag(["Talks resumed in Geneva on Monday."])  # as the workers do
        n = len(site.rows)
        print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        runs_in = [run_in_process(tmp, pg, site, models) for _ in range(args.repeat)]
        base = statistics.median(r[0] for r in runs_in)
        print(f"{n} articles, {args.repeat} run(s) each, median; machine: "
              f"{os.cpu_count()} cores")
        print("in-process, stage by stage (median wall / CPU of the process):")
        stories = statistics.median(r[2] for r in runs_in)
        for name in runs_in[0][1]:
            wall = statistics.median(r[1][name][0] for r in runs_in)
            cpu = statistics.median(r[1][name][1] for r in runs_in)
            per, unit = (stories, "story") if name == "write" else (n, "article")
            print(f"  {name:<30} {wall:>7.1f} s wall {cpu:>7.1f} s CPU  "
                  f"{cpu / max(per, 1) * 1000:>7.1f} ms CPU per {unit}"
                  + (f" ({stories:.0f} stories)" if name == "write" else ""))
        print(f"{'runner':<24} {'seconds':>8} {'articles/s':>11} {'vs in-process':>14}")
        print(f"{'in-process':<24} {base:>8.1f} {n / base:>11.2f} {1.0:>14.2f}")
        sent_per_article = []
        for k in args.workers:
            runs = [run_distributed(tmp, pg, redis, site, k) for _ in range(args.repeat)]
            took = statistics.median(r[0] for r in runs)
            sent_per_article.append(statistics.median(r[1] for r in runs) / n)
            label = f"{k} worker process" + ("es" if k > 1 else "")
            print(f"{label:<24} {took:>8.1f} {n / took:>11.2f} {base / took:>14.2f}")
        per_message = broker_round_trip_ms(redis)
        per_article = statistics.median(sent_per_article)
        print(f"broker: {per_message:.2f} ms per message (publish, receive, acknowledge), {per_article:.1f} messages per article -> "
              f"{per_message * per_article:.1f} ms per article")
        print(f"bench wall time {time.perf_counter() - started:.0f} s; load average at end: "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        http.stop()
        redis.close()
        pg.stop()


if __name__ == "__main__":
    main()
