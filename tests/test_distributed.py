"""The distributed pipeline with real parts: PostgreSQL (the suite's throwaway server),
a real ``redis-server``, ``storyline worker`` processes (Celery, solo pool, one task at a
time) and the loopback news site.

- N articles through poll → extract → embed → cluster → storylines → write on 3 worker
  processes give the stories and pages of the in-process runner on the same input
  (BCubed F1 1.0), byte for byte, and sending every kind of message again changes
  nothing;
- ``kill -9`` of each kind of worker and a broker restart mid-run lose no article and
  store none twice: after restarts and sweeps, the same stories;
- two clusterers: one writes, the other waits; a superseded epoch's writes are refused.

The solo pool keeps each worker one process: ``kill -9`` of it kills the task it runs
(a prefork pool's children would outlive their parent for a moment), and its models
load once. Skipped on SQLite: the distributed workers need PostgreSQL.
"""

from __future__ import annotations

import difflib
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from storyline.distributed import Fenced, ShardClusterer, stages
from storyline.distributed.runtime import Runtime
from storyline.pipeline import Models, Pipeline
from storyline.settings import Settings, load_settings
from storyline.storage import open_database, work
from storyline.storage.schema import (
    article_sequence,
    articles,
    pending_entries,
    stories,
    story_members,
    story_summaries,
    work_marks,
)
from tests.distributed_site import (
    Site,
    Workers,
    bcubed_f1,
    corpus,
    count,
    settled,
    state,
    wait_for,
)
from tests.helpers import shared_present
from tests.httpserver import LocalHTTPServer
from tests.livefeed import add_feed
from tests.redis_server import RedisServer

pytestmark = pytest.mark.slow

# The 1,000 articles need ../shared (NeuS after the bundled ECB+ sample).
N_MAIN = int(os.environ.get("STORYLINE_DIST_ARTICLES", "1000"))
N_KILL = 150


@pytest.fixture
def pg_url(backend: str, db_url: str) -> str:
    if backend != "postgresql":
        pytest.skip("the distributed workers need PostgreSQL: run with --backend postgresql")
    return db_url


def site_settings(tmp_path: Path, url: str, **extra: str) -> Settings:
    return load_settings(env={"STORYLINE_DATA_DIR": str(tmp_path / "data"),
                              "STORYLINE_ALLOW_PRIVATE_FEEDS": "true",
                              "STORYLINE_CONFIG": "", "STORYLINE_DATABASE_URL": url,
                              "STORYLINE_CLUSTER_MAX_WAIT": "600", **extra})


def in_process(tmp_path: Path, pg_server: Any, site: Site, models: Models) -> dict[str, Any]:
    """The in-process runner over the same feeds, in a database of its own."""
    url = pg_server.new_database()
    settings = site_settings(tmp_path, url)
    engine = open_database(settings)
    try:
        for feed in site.feed_urls:
            add_feed(engine, feed)
        fetched, _ = Pipeline(settings, engine, models=models).run_cycle()
        assert fetched.new == len(site.rows)
        return state(engine)
    finally:
        engine.dispose()


def page_diff(want: dict[str, Any], got: dict[str, Any], lines: int = 40) -> str:
    """The first differing page's HTML, line by line (in-process -> distributed)."""
    key = next(k for k in want["pages"] if got["pages"][k] != want["pages"][k])
    a = want["html"][key].replace(">", ">\n").splitlines()
    b = got["html"][key].replace(">", ">\n").splitlines()
    diff = difflib.unified_diff(a, b, "in-process", "distributed", lineterm="", n=1)
    return "\n".join(list(diff)[:lines]) + f"\n(versions {want['pages'][key][2]} and {got['pages'][key][2]})"


def table_counts(engine: Engine) -> dict[str, int]:
    return {t.name: count(engine, t) for t in (articles, article_sequence, stories,
                                                 story_members, story_summaries,
                                                 pending_entries)}


def test_three_workers_give_the_in_process_stories_and_pages(
        tmp_path: Path, pg_url: str, pg_server: Any, redis_server: RedisServer,
        http_server: LocalHTTPServer, models: Models) -> None:
    n = N_MAIN if shared_present() else min(N_MAIN, 462)
    site = Site(http_server, corpus(n, shared=shared_present()), feeds=10)
    want = in_process(tmp_path, pg_server, site, models)
    assert len(want["articles"]) == n and want["memberships"] == n
    assert want["stories"] >= 20 and want["stale_pages"] == 0

    redis_server.flush()
    settings = site_settings(tmp_path, pg_url)
    engine = open_database(settings)
    for feed in site.feed_urls:
        add_feed(engine, feed)
    workers = Workers(tmp_path, pg_url, redis_server.url)
    try:
        workers.start("ingest", "--queues", "poll,extract", "--beat")
        workers.start("embed", "--queues", "embed")
        workers.start("stories", "--queues", "cluster,storylines,write")
        took = wait_for("every article stored, clustered and written",
                        lambda: settled(engine, n), 900, check=workers.alive, poll_s=0.5)
        got = state(engine)
        assert got["articles"] == want["articles"]
        assert bcubed_f1(got["partition"], want["partition"]) == 1.0
        assert got["partition"] == want["partition"]
        assert set(got["pages"]) == set(want["pages"]), "a page for each story"
        assert {k: v[0] for k, v in got["pages"].items()} == \
            {k: v[0] for k, v in want["pages"].items()}, "the same headline for each story"
        differ = sorted(len(k) for k in want["pages"] if got["pages"][k] != want["pages"][k])
        print(f"\n{n} articles on 3 worker processes in {took:.0f} s: "
              f"{got['stories']} stories, BCubed F1 1.0 against the in-process run; "
              f"{len(want['pages']) - len(differ)} of {len(want['pages'])} pages "
              f"byte-identical (differing: stories of {differ} articles)")
        assert not differ, "the same page for each story:\n" + page_diff(want, got)
        # Every kind of message again: nothing changes.
        before = table_counts(engine)
        from storyline.distributed.app import TASK_OF, make_app

        app = make_app(settings.replace(broker_url=redis_server.url), register=False)
        with engine.connect() as conn:
            marks = [(r.stage, int(r.key)) for r in conn.execute(
                select(work_marks.c.stage, work_marks.c.key))]
            story_ids = [r.id for r in conn.execute(select(stories.c.id))]
        assert {s for s, _ in marks} >= {"poll", "extract", "write"}
        # A sample of every kind (all of them are ~1,300 messages, minutes of no-ops on
        # two cores): each stage's first keys, every stage-wide task, some story writes.
        sample: dict[str, int] = {}
        for stage, key in marks:
            if sample.get(stage, 0) < 40:
                sample[stage] = sample.get(stage, 0) + 1
                app.send_task(TASK_OF[stage], args=[key], queue=stage)
        for stage in ("embed", "cluster", "storylines"):
            app.send_task(TASK_OF[stage], queue=stage)
        for sid in story_ids[:40]:
            app.send_task(TASK_OF["write"], args=[sid], queue="write")
        from storyline.distributed.tasks import queue_depth

        wait_for("the duplicates consumed", lambda: all(
            queue_depth(app, q) == 0 for q in TASK_OF), 300, check=workers.alive)
        time.sleep(3)  # the last ones run
        assert table_counts(engine) == before
        assert state(engine) == got
    finally:
        workers.stop_all()
        engine.dispose()


def test_kill_9_of_every_worker_and_a_broker_restart_lose_nothing(
        tmp_path: Path, pg_url: str, pg_server: Any, redis_server: RedisServer,
        http_server: LocalHTTPServer, models: Models) -> None:
    site = Site(http_server, corpus(N_KILL, shared=False), feeds=5)
    want = in_process(tmp_path, pg_server, site, models)

    redis_server.flush()
    engine = open_database(site_settings(tmp_path, pg_url))
    for feed in site.feed_urls:
        add_feed(engine, feed)
    workers = Workers(tmp_path, pg_url, redis_server.url)
    ingest = ("--queues", "poll,extract", "--beat")
    try:
        workers.start("ingest", *ingest)
        workers.start("embed", "--queues", "embed")
        workers.start("stories", "--queues", "cluster,storylines,write")
        # 1. The ingest worker (and the beat) mid-extraction.
        wait_for("a third stored", lambda: count(engine, articles) >= N_KILL // 3, 180,
                 check=workers.alive, poll_s=0.05)
        workers.kill("ingest")
        assert count(engine, pending_entries) > 0, "killed with entries to extract"
        # 2. The broker, with messages queued: they are lost (no persistence).
        redis_server.restart()
        workers.start("ingest", *ingest)
        # 3. The embed worker mid-batch.
        wait_for("some ready", lambda: count(engine, article_sequence) >= N_KILL // 2, 180,
                 check=workers.alive, poll_s=0.05)
        workers.kill("embed")
        workers.start("embed", "--queues", "embed")
        # 4. The stories worker once clustering began, and again while writing.
        wait_for("clustering", lambda: count(engine, story_members) > 0, 240,
                 check=workers.alive, poll_s=0.02)
        workers.kill("stories")
        workers.start("stories", "--queues", "cluster,storylines,write")
        wait_for("writing", lambda: count(engine, story_summaries) > 0, 240,
                 check=workers.alive, poll_s=0.02)
        workers.kill("stories")
        workers.start("stories", "--queues", "cluster,storylines,write")

        wait_for("every article stored, clustered and written",
                 lambda: settled(engine, N_KILL), 300, check=workers.alive, poll_s=0.5)
        got = state(engine)
        with engine.connect() as conn:
            urls = [r.url for r in conn.execute(select(articles.c.url))]
        assert len(urls) == len(set(urls)) == N_KILL, "none lost, none stored twice"
        assert got["articles"] == want["articles"]
        assert got["memberships"] == N_KILL
        assert bcubed_f1(got["partition"], want["partition"]) == 1.0
        assert got["stale_pages"] == 0 and len(got["pages"]) == got["stories"]
        with engine.connect() as conn:
            epoch = work.shard_state(conn, "default").epoch
        assert epoch >= 2, "the restarted clusterer took the shard over"
    finally:
        workers.stop_all()
        engine.dispose()


def _ready_articles(tmp_path: Path, url: str, server: LocalHTTPServer,
                    models: Models) -> tuple[Settings, Engine, int]:
    site = Site(server, corpus(40, shared=False), feeds=2)
    settings = site_settings(tmp_path, url)
    engine = open_database(settings)
    rt = Runtime(settings)
    rt._pipeline = Pipeline(settings, rt.engine, models=models)  # noqa: SLF001 - shared models
    for feed in site.feed_urls:
        for _stage, entry_id in stages.poll(rt, add_feed(engine, feed)).wake:
            assert entry_id is not None
            stages.extract(rt, entry_id)
    while stages.embed(rt).items:
        pass
    return settings, engine, len(site.rows)


def lose_session(engine: Engine, holder: ShardClusterer) -> None:
    """The holder's database session is lost (terminated), and its lock with it."""
    assert holder._lock_conn is not None  # noqa: SLF001
    pid = holder._lock_conn.execute(text("SELECT pg_backend_pid()")).scalar()  # noqa: SLF001
    with engine.connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        admin.commit()


def test_one_clusterer_writes_the_other_waits_and_a_superseded_epoch_is_refused(
        tmp_path: Path, pg_url: str, http_server: LocalHTTPServer, models: Models) -> None:
    settings, engine, n = _ready_articles(tmp_path, pg_url, http_server, models)
    pipeline = Pipeline(settings, engine, models=models)

    def clusterer(owner: str) -> ShardClusterer:
        from storyline.cluster.service import ClusterService
        from storyline.cluster.vectorize import Vectorizer

        return ShardClusterer(engine, settings, ClusterService(
            engine, settings, vectorizer=Vectorizer(pipeline.encoder,
                                                    extractor=models.tagger)), owner=owner)

    # A stalled clusterer: it holds epoch 1, its session is lost, B takes the shard.
    stalled, b = clusterer("A"), clusterer("B")
    assert stalled.acquire() and stalled.epoch == 1
    assert not b.acquire(wait_s=0.5), "B waits while A holds the shard"
    lose_session(engine, stalled)
    assert b.acquire(wait_s=10) and b.epoch == 2
    with pytest.raises(Fenced, match="epoch 1 .* superseded"):
        stalled.run()
    assert count(engine, story_members) == 0 and count(engine, stories) == 0, \
        "the superseded clusterer's batch was rolled back"
    with engine.connect() as conn:
        assert work.shard_state(conn, "default").checkpoint == 0
    stalled.release()

    # Two clusterers at once: B writes, C waits for the lock, then finds nothing to do.
    c = clusterer("C")
    result: dict[str, Any] = {}

    def second() -> None:
        t0 = time.monotonic()
        result["held"] = c.acquire(wait_s=60)
        result["waited"] = time.monotonic() - t0
        result["report"] = c.run()
        c.release()

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.5)
    report = b.run()
    time.sleep(0.3)
    b.release()
    thread.join(timeout=60)
    assert report.articles == n and count(engine, story_members) == n
    assert result["held"] and result["waited"] >= 0.7, "C waited for B"
    assert result["report"].articles == 0 and c.epoch == 3
    with engine.connect() as conn:
        shard = work.shard_state(conn, "default")
        assert shard.checkpoint == work.max_seq(conn) == n and shard.owner == "C"
    engine.dispose()


def test_the_in_process_clusterer_and_a_distributed_one_are_fenced_against_each_other(
        tmp_path: Path, pg_url: str, http_server: LocalHTTPServer, models: Models,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``storyline worker``/``storyline cluster`` on PostgreSQL cluster through the same
    shard entry as the distributed workers: they wait while a distributed clusterer holds
    the shard, and once superseded their writes are refused."""
    import storyline.pipeline as pipeline_module
    from storyline.pipeline import ShardBusy

    settings, engine, n = _ready_articles(tmp_path, pg_url, http_server, models)
    in_process = Pipeline(settings, engine, models=models)
    rt = Runtime(settings, name="dist@test")
    rt._pipeline = Pipeline(settings, rt.engine, models=models)  # noqa: SLF001 - shared models
    distributed = rt.clusterer

    # A distributed clusterer holds the shard: in-process clustering waits, then refuses.
    assert distributed.acquire() and distributed.epoch == 1
    monkeypatch.setattr(pipeline_module, "SHARD_WAIT_S", 0.6)
    t0 = time.monotonic()
    with pytest.raises(ShardBusy, match=r"dist@test, epoch 1\) holds shard default"):
        in_process.cluster()
    assert time.monotonic() - t0 >= 0.6, "it waited for the shard"
    assert count(engine, story_members) == 0
    # Waiting longer, it clusters once the distributed one is done (and finds its work).
    monkeypatch.setattr(pipeline_module, "SHARD_WAIT_S", 60)
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.update(report=in_process.cluster()))
    thread.start()
    time.sleep(0.5)
    report = distributed.run()
    distributed.release()
    thread.join(timeout=60)
    assert report.articles == n and result["report"].articles == 0
    with engine.connect() as conn:
        shard = work.shard_state(conn, "default")
        assert shard.epoch == 2 and shard.checkpoint == n, "in-process took it next"
    members = count(engine, story_members)
    assert members == n

    # The in-process clusterer superseded (its session lost, a distributed one took the
    # shard): its writes are refused, nothing it clustered is stored.
    seen = {r["id"] for r in corpus(40, shared=False)}
    site = Site(http_server, [r for r in corpus(462, shared=False) if r["id"] not in seen][:20],
                feeds=1, prefix="more/")
    feed = add_feed(engine, site.feed_urls[0])
    for _stage, entry_id in stages.poll(rt, feed).wake:
        assert entry_id is not None
        stages.extract(rt, entry_id)
    shard_entry = in_process.shard
    assert shard_entry.acquire() and shard_entry.epoch == 3
    lose_session(engine, shard_entry)
    assert distributed.acquire(wait_s=10) and distributed.epoch == 4
    with pytest.raises(pipeline_module.Fenced, match="epoch 3 .* superseded"):
        shard_entry.run(every_pending=True)
    shard_entry.release()
    assert count(engine, story_members) == members, "the superseded batch was rolled back"
    # The distributed clusterer (embedding first) takes the new articles.
    while stages.embed(rt).items:
        pass
    assert distributed.run().articles == len(site.rows)
    distributed.release()
    assert count(engine, story_members) == members + len(site.rows)
    rt.engine.dispose()
    engine.dispose()


def test_services_unreachable_is_one_line_and_retried(tmp_path: Path, pg_url: str) -> None:
    from storyline.distributed.connect import wait_for_services

    settings = site_settings(tmp_path, pg_url,
                             STORYLINE_BROKER_URL="redis://:hunter2@127.0.0.1:1/0")
    lines: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(target=lambda: wait_for_services(
        settings, lambda line: (lines.append(line), len(lines) >= 2 and stop.set()),
        stop=stop))
    thread.start()
    thread.join(timeout=30)
    assert len(lines) == 2 and all("\n" not in line for line in lines)
    assert lines[0].startswith("Redis does not answer at redis://:****@127.0.0.1:1/0")
    assert lines[0].endswith("retrying in 1 s") and lines[1].endswith("retrying in 2 s")
    assert "hunter2" not in " ".join(lines)
