"""The composition root: one encoder per run (the configured backend, shared by clustering
and writing), and every run finishing the work an earlier one left."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from storyline.nlp.encoder import Embedder
from storyline.pipeline import Models, Pipeline
from storyline.settings import Settings
from storyline.worker import Worker
from tests.helpers import ABU_DHABI, SEED_FILES, SEEDS, Cli, lines, require_shared
from tests.httpserver import LocalHTTPServer
from tests.livefeed import A_SEEDS, B_SEEDS, LiveFeed, add_feed


@pytest.fixture
def run(db_url: str, tmp_path: Path, models: Models) -> Cli:
    """The CLI with fetch and import finishing the pending work (the default setting)."""
    return Cli(db_url, tmp_path, models, env={"STORYLINE_CLUSTER_AFTER_FETCH": "true"})


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[int, str]]]:
    """(encoder id, backend) for every encoder model actually loaded (the real loads)."""
    seen: list[tuple[int, str]] = []
    torch_load, onnx_open = Embedder._load_torch, Embedder._open_onnx_session

    def load_torch(self: Embedder) -> Any:
        seen.append((id(self), "torch"))
        return torch_load(self)

    def open_onnx(self: Embedder) -> None:
        seen.append((id(self), "onnx"))
        onnx_open(self)

    monkeypatch.setattr(Embedder, "_load_torch", load_torch)
    monkeypatch.setattr(Embedder, "_open_onnx_session", open_onnx)
    yield seen


def import_seeds(run: Cli, tmp_path: Path) -> None:
    """The two Abu Dhabi reports and the four Geneva seeds, left in no story."""
    require_shared()
    for i, (title, body) in enumerate(ABU_DHABI):
        f = tmp_path / f"abu{i}.txt"
        f.write_text(f"{title}\n\n{body}\n", encoding="utf-8")
        run("import", "--no-cluster", str(f), "--outlet", f"Wire {i}",
            "--published", f"2026-02-0{4 + i}T10:00Z")
    for name in SEED_FILES:
        run("import", "--no-cluster", str(SEEDS / name), "--published", "2026-02-18T08:00Z")


def test_write_uses_the_configured_backend(run: Cli, tmp_path: Path,  # type: ignore[no-untyped-def]
                                           loads) -> None:
    # Models of its own: the session's may hold a torch encoder another test loaded.
    run = Cli(run.db_url, tmp_path, Models(), env={"STORYLINE_CLUSTER_AFTER_FETCH": "true"})
    import_seeds(run, tmp_path)
    assert "Clustered 6 articles" in run("cluster").output
    before = len(loads)
    out = run("write", env={"STORYLINE_EMBED_BACKEND": "torch"}).output
    assert out.startswith("Wrote 2 stories: "), out
    pipeline = run.app.pipeline
    # The writer encoded with the one torch encoder of the run, and nothing else loaded.
    assert [kind for _id, kind in loads[before:]] == ["torch"]
    assert loads[before][0] == id(pipeline.encoder)
    assert pipeline.encoder.backend == "torch" and pipeline.encoder.requested_backend == "torch"
    assert pipeline.writer.embedder is pipeline.encoder
    assert pipeline.writer.verifier.embedder is pipeline.encoder
    assert pipeline.models is run.models  # the injected models, kept
    rows = lines(run("stories", "list", "--json").output)
    assert sorted(r["article_count"] for r in rows) == [2, 4]
    assert all(r["headline"] for r in rows)


def test_fetch_loads_the_encoder_once(run: Cli, http_server: LocalHTTPServer,  # type: ignore[no-untyped-def]
                                      loads) -> None:
    require_shared()
    feed = LiveFeed(http_server, "/wire.rss", "Loopback Wire")
    feed.publish(A_SEEDS + B_SEEDS, minutes=0)
    run("feeds", "add", http_server.url("/wire.rss"))
    out = run("fetch", models=Models()).output  # fresh models: this run loads its own
    assert "Fetched 1/1 feeds (0 unchanged): 4 new articles" in out
    assert "Clustered 4 articles: 1 new story, 3 joined existing stories" in out
    assert "Wrote 1 story: " in out
    # Clustering and writing shared one encoder: one model load in the whole run.
    assert len({encoder for encoder, _kind in loads}) == 1, loads
    assert len(loads) <= 2  # (a first-ever onnx build also loads torch once, to export)
    assert run.app.pipeline.encoder.requested_backend == run.app.settings.embed_backend


def test_every_run_finishes_pending_work(run: Cli, tmp_path: Path) -> None:
    import_seeds(run, tmp_path)  # as if a run was killed before clustering
    out = run("fetch").output  # no feed at all: nothing due, the pending work still runs
    assert out.splitlines()[0].startswith("No feeds due.")
    assert "Clustered 6 articles: 2 new stories, 4 joined existing stories" in out
    assert "Wrote 2 stories: " in out
    assert run("fetch", "--all").output.splitlines() == [
        "No feeds due. (`storyline fetch --all` fetches every feed now; `storyline feeds "
        "list` shows when each is next due.)"]

    # Killed between clustering and writing: stories without a current page.
    extra = tmp_path / "extra.txt"
    extra.write_text("Geneva talks to resume next week, Witkoff says\n\nUS envoy Steve Witkoff "
                     "said on Thursday that Ukraine and Russia would resume peace talks in "
                     "Geneva next week after what he called meaningful progress.\n",
                     encoding="utf-8")
    run("import", "--no-cluster", str(extra), "--published", "2026-02-19T09:00Z")
    run("cluster")
    stale = run("fetch", "--all").output
    assert "Clustered" not in stale
    assert "Wrote 1 story: " in stale
    story = max(lines(run("stories", "list", "--json").output), key=lambda r: r["article_count"])
    assert story["article_count"] == 5
    summary = lines(run("stories", "summary", str(story["id"]), "--json").output)[0]
    assert summary["article_count"] == 5

    # `import` finishes its own work too; --no-cluster leaves it for the next run.
    more = tmp_path / "more.txt"
    more.write_text("Abu Dhabi talks: delegations agree to meet again\n\nUkrainian and Russian "
                    "negotiators agreed in Abu Dhabi on Thursday to meet again, US envoy Steve "
                    "Witkoff said after the round closed.\n", encoding="utf-8")
    run("import", "--no-cluster", str(more), "--published", "2026-02-05T18:00Z")
    assert "Clustered" not in run("fetch", "--no-cluster").output
    out = run("import", str(more), "--published", "2026-02-05T18:00Z").output
    assert "Imported 1 file: 0 new articles" in out and "1 already stored" in out
    # Two pages: the story it joined, and the later story of its storyline, whose
    # timeline shows the earlier one's headline.
    assert "Clustered 1 article: " in out and "Wrote 2 stories: " in out
    assert run("fetch").output.count("\n") == 1  # nothing left


def test_fetch_of_a_missing_feed_is_an_error(run: Cli) -> None:
    res = run("fetch", "--feed", "999999", ok=False)
    assert res.exit_code == 1
    assert res.output == "Error: no such feed: 999999 (see `storyline feeds list`)\n"
    run("feeds", "add", "http://127.0.0.1:9/a.xml")
    res = run("fetch", "--feed", "1", "--feed", "7", "--feed", "8", ok=False)
    assert res.exit_code == 1 and "no such feed: 7, 8 (" in res.output


def test_a_worker_cycle_heals_what_a_killed_run_left(  # type: ignore[no-untyped-def]
        run: Cli, tmp_path: Path, engine: Engine, settings: Settings, models: Models) -> None:
    import_seeds(run, tmp_path)
    worker = Worker(settings, engine, log=lambda line: None,
                    pipeline=Pipeline(settings, engine, models=models))
    report = worker.run_cycle()
    assert report.ok, report.errors
    assert (report.feeds, report.clustered, report.new_stories) == (0, 6, 2)
    assert report.summaries_written == 2
    assert worker.pipeline.pending_articles() == 0 and worker.pipeline.stale_stories() == []
    again = worker.run_cycle()
    assert (again.clustered, again.summaries_written) == (0, 0)


def test_a_run_killed_before_storylines_are_linked_is_healed(  # type: ignore[no-untyped-def]
        run: Cli, tmp_path: Path, engine: Engine, settings: Settings, models: Models) -> None:
    """A kill after clustering committed its batches but before the storyline refresh
    leaves no article pending; the next run still links the stories."""
    from sqlalchemy import select

    from storyline.storage import engine_state
    from storyline.storage.schema import stories

    import_seeds(run, tmp_path)
    pipeline = Pipeline(settings, engine, models=models)
    report = pipeline.clusterer.run()  # the batches, without the refresh that follows
    assert report.articles == 6 and len(report.touched_stories) == 2
    with engine.connect() as conn:
        assert engine_state.pending_links(conn) == report.touched_stories
        assert [r.storyline_id for r in conn.execute(select(stories.c.storyline_id))] \
            == [None, None]
    assert pipeline.pending_articles() == 0 and pipeline.cluster_pending()

    done = Pipeline(settings, engine, models=models).finish_pending()
    assert done.cluster is not None and done.cluster.articles == 0
    with engine.connect() as conn:
        assert engine_state.pending_links(conn) == set()
        linked = [r.storyline_id for r in conn.execute(select(stories.c.storyline_id))]
    assert None not in linked and len(set(linked)) == 1  # Abu Dhabi and Geneva: one line
    assert not Pipeline(settings, engine, models=models).cluster_pending()


def test_a_worker_on_a_live_feed_shares_its_models(  # type: ignore[no-untyped-def]
        engine: Engine, settings: Settings, models: Models,
        http_server: LocalHTTPServer) -> None:
    require_shared()
    feed = LiveFeed(http_server, "/wire.rss", "Loopback Wire")
    add_feed(engine, http_server.url("/wire.rss"))
    feed.publish(A_SEEDS, minutes=0)
    pipeline = Pipeline(settings.replace(feed_min_interval=0, feed_default_interval=0),
                        engine, models=models)
    fetched, done = pipeline.run_cycle()
    assert fetched.new == 2
    assert done.cluster is not None and done.cluster.articles == 2
    assert done.write is not None and done.write.written == 1
    assert pipeline.clusterer.vectorizer.embedder is pipeline.encoder
    assert pipeline.clusterer.vectorizer.extractor is models.tagger
    assert pipeline.encoder is models.encoder(settings.embed_backend)


def test_a_file_per_command_group() -> None:
    from storyline.cli import main

    homes = {name: cmd.callback.__module__.rsplit(".", 1)[1]
             for name, cmd in main.commands.items() if cmd.callback is not None}
    assert homes == {"articles": "articles", "cluster": "cluster", "write": "cluster",
                     "config": "config", "db": "db", "eval": "evaluate", "feeds": "feeds",
                     "fetch": "fetch", "import": "imports", "search": "search",
                     "serve": "serve", "stories": "stories", "storylines": "stories",
                     "worker": "worker", "status": "status", "users": "users"}
