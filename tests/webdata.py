"""A small, real database for the web reader tests: the four Geneva seed articles, two
earlier articles on the Abu Dhabi round of the same talks (one storyline, two stories),
part of the bundled ECB+ sample, and one article with a hostile title; clustered and
written by the real pipeline.

Built once per test run and shared by every xdist worker (a file lock in the run's
temporary root): ``web_db(tmp_path_factory)`` returns the SQLite URL.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import selectors
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from filelock import FileLock
from sqlalchemy import Engine, select

from storyline.settings import Settings, load_settings
from tests.helpers import ABU_DHABI, SEED_FILES, SEEDS, require_shared

SAMPLE_TOPICS = ("3", "9", "12")  # about 50 dated articles of three look-alike event pairs
SEED_TIME = datetime(2026, 2, 18, 8, 0, tzinfo=UTC)
HOSTILE_TITLE = "<script>alert('pwned')</script> Storm <b>batters</b> coast & town"
HOSTILE_BODY = (
    "A powerful storm battered the northern coast on Monday, flooding low-lying streets "
    "and cutting power to 12,000 homes, the regional utility said.\n"
    "Emergency crews evacuated 300 residents from the harbour district overnight, and the "
    "mayor said schools would stay closed until Wednesday.\n"
    "Forecasters expect the winds to ease by Tuesday evening as the system moves inland."
)


def web_settings(data_dir: Path) -> Settings:
    return load_settings(env={
        "STORYLINE_DATA_DIR": str(data_dir),
        "STORYLINE_ALLOW_PRIVATE_FEEDS": "true",
        "STORYLINE_CONFIG": "",
    })


def _sample_subset(folder: Path) -> Path:
    from storyline.cli.imports import sample_corpus_path

    with gzip.open(sample_corpus_path(), "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    keep = [r for r in rows if r.get("published")  # undated ones would all get "now"
            and r["story"].split(":")[1].split("_")[0] in SAMPLE_TOPICS]
    path = folder / "sample-part.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in keep), encoding="utf-8")
    return path


def build(db_path: Path, work: Path) -> None:
    """Import, cluster and write the test corpus into a new SQLite file."""
    from storyline.cluster.service import run_clustering
    from storyline.ingest.files import ImportOptions, import_paths
    from storyline.storage import open_database
    from storyline.storage.schema import stories
    from storyline.write.service import write_stories

    work.mkdir(parents=True, exist_ok=True)
    settings = web_settings(work / "data")
    engine = open_database(settings, f"sqlite:///{db_path}")
    try:
        for i, (title, body) in enumerate(ABU_DHABI):
            f = work / f"abu{i}.txt"
            f.write_text(f"{title}\n\n{body}\n", encoding="utf-8")
            import_paths(engine, [f], ImportOptions(
                outlet=f"Wire {i}", published=datetime(2026, 2, 4 + i, 10, tzinfo=UTC)))
        import_paths(engine, [SEEDS / name for name in SEED_FILES],
                     ImportOptions(published=SEED_TIME))
        hostile = work / "hostile.txt"
        hostile.write_text(f"{HOSTILE_TITLE}\n\n{HOSTILE_BODY}\n", encoding="utf-8")
        import_paths(engine, [hostile], ImportOptions(
            outlet="<i>Evil</i> Gazette", url="https://evil.example/storm",
            published=datetime(2026, 1, 12, 7, tzinfo=UTC)))
        import_paths(engine, [_sample_subset(work)])
        run_clustering(engine, settings)
        with engine.connect() as conn:
            recent = conn.execute(select(stories.c.id).where(
                stories.c.status == "active",
                stories.c.last_time >= datetime(2026, 1, 1, tzinfo=UTC))).scalars().all()
        # Only the stories of the seeds, the Abu Dhabi round and the storm get summaries:
        # the sample's stories stay unwritten, so pages must render stories without one
        # (and writing is the slowest part of the build).
        write_stories(engine, story_ids=sorted(recent))
    finally:
        engine.dispose()


def web_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The shared test database's URL, built on first use in this test run (skips the
    test when ../shared, which holds the seed articles, is absent)."""
    require_shared()
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's root, shared by all its xdist workers
    db_path = root / "webdata" / "web.db"
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(db_path) + ".lock"):
        done = db_path.with_suffix(".done")
        if not done.exists():
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db_path}{suffix}").unlink(missing_ok=True)
            build(db_path, db_path.parent / "work")
            done.write_text("ok")
    return f"sqlite:///{db_path}"


def seed_story_id(engine: Engine) -> int:
    """The story of the four Geneva seed articles."""
    from storyline.storage.schema import articles, story_members

    with engine.connect() as conn:
        ids = {r.story_id for r in conn.execute(
            select(story_members.c.story_id)
            .join(articles, articles.c.id == story_members.c.article_id)
            .where(articles.c.published == SEED_TIME))}
    assert len(ids) == 1, f"the seed articles should share one story, got {ids}"
    return ids.pop()


def story_with_title(engine: Engine, needle: str) -> int:
    from storyline.storage.schema import articles, story_members

    with engine.connect() as conn:
        return int(conn.execute(
            select(story_members.c.story_id)
            .join(articles, articles.c.id == story_members.c.article_id)
            .where(articles.c.title.contains(needle))).scalar_one())


def start_server(db_url: str, data_dir: Path, *args: str
                 ) -> tuple[subprocess.Popen[str], str]:
    """`storyline serve --no-worker` on a free loopback port: (process, base URL)."""
    env = {**os.environ, "STORYLINE_CONFIG": "", "STORYLINE_DATA_DIR": str(data_dir),
           "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "storyline", "--db", db_url, "serve", "--host", "127.0.0.1",
         "--port", "0", "--no-worker", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 60
    output = ""
    while time.monotonic() < deadline:
        if not sel.select(timeout=1):
            if proc.poll() is not None:
                break
            continue
        line = proc.stdout.readline()
        if not line:
            break
        output += line
        m = re.search(r"serving at (http://127\.0\.0\.1:\d+/)", line)
        if m:
            return proc, m.group(1)
    proc.kill()
    raise AssertionError(f"storyline serve did not start: {output}")
