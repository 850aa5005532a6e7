"""A clusterer restarted from the database decides as the live one would have.

The distributed clusterer (and ``storyline worker`` after a crash) rebuilds its in-memory
stories from the stored memberships. That rebuilt state must be the live state: the
members' TF-IDF weights as they were when each joined (not recomputed from later
document frequencies), the same kept members, the same consolidation schedule. Two
copies of one database are clustered in the same runs, one clusterer kept warm and one
reloaded from the database before every run; their stories and their states must agree.
"""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select

from storyline.cli.imports import sample_corpus_path
from storyline.cluster.engine import ClusterEngine
from storyline.cluster.service import ClusterService, compute_vectors
from storyline.cluster.vectorize import Vectorizer
from storyline.ingest.files import import_paths
from storyline.pipeline import Models
from storyline.settings import Settings
from storyline.storage import open_database
from storyline.storage import stories as story_store
from storyline.storage import vectors as vector_store
from storyline.storage.schema import story_members

RUN = 150  # articles per clustering run: runs end between consolidation passes (every 200)
T0 = datetime(2026, 3, 2, 6, tzinfo=UTC)


def _corpus(folder: Path) -> Path:
    """The bundled ECB+ sample (462 reports of 40 events, look-alike pairs among them),
    the undated ones given times spread through the stream."""
    with gzip.open(sample_corpus_path(), "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    for i, row in enumerate(rows):
        if not row.get("published"):
            row["published"] = (T0 + timedelta(minutes=37 * i)).isoformat()
    path = folder / "sample.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _limited(quota: int) -> Callable[[Connection, int], list[Any]]:
    left = [quota]

    def select_batch(conn: Connection, limit: int) -> list[Any]:
        rows = story_store.unassigned_articles(conn, min(limit, left[0])) if left[0] else []
        left[0] -= len(rows)
        return rows
    return select_batch


def _partition(engine: Engine) -> dict[int, int]:
    with engine.connect() as conn:
        return {r.article_id: r.story_id for r in conn.execute(
            select(story_members.c.article_id, story_members.c.story_id))}


def _states(index: ClusterEngine) -> dict[int, dict[str, Any]]:
    return {sid: {"members": sorted(map(str, s.members)),
                  "kept": [str(m) for m in s.member_ids],
                  "terms": s.terms, "entities": +s.entities, "weekdays": +s.weekdays,
                  "years": +s.years,
                  "outlets": s.outlets, "time": (s.tmin, s.tmax)}
            for sid, s in index.stories.items() if sid in index._row}


def _same_terms(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(abs(a[t] - b[t]) < 1e-9 for t in a)


def test_a_clusterer_reloaded_before_every_run_keeps_the_live_stories_and_state(
        tmp_path: Path, settings: Settings, models: Models) -> None:
    live_path, reloaded_path = tmp_path / "live.db", tmp_path / "reloaded.db"
    live_db = open_database(settings, f"sqlite:///{live_path}")
    import_paths(live_db, [_corpus(tmp_path)])
    vectorizer = Vectorizer(models.encoder(settings.embed_backend), extractor=models.tagger)
    with live_db.begin() as conn:  # encode once; both copies read the stored vectors
        rows = story_store.unassigned_articles(conn, 10_000)
        stale, fresh = compute_vectors(conn, rows, vectorizer)
        vector_store.replace(conn, stale, fresh)
    n = len(rows)
    assert n == 462
    live_db.dispose()
    shutil.copy(live_path, reloaded_path)
    live_db = open_database(settings, f"sqlite:///{live_path}")
    reloaded_db = open_database(settings, f"sqlite:///{reloaded_path}")
    try:
        live = ClusterService(live_db, settings, vectorizer=vectorizer)
        reloaded = ClusterService(reloaded_db, settings, vectorizer=vectorizer)
        runs = 0
        for _ in range(0, n, RUN):
            live.run(select_batch=_limited(RUN))
            reloaded.reset()  # as a restarted clusterer: everything from the database
            reloaded.run(select_batch=_limited(RUN))
            runs += 1
            assert _partition(reloaded_db) == _partition(live_db), f"after run {runs}"
        assert runs == 4
        got = _partition(live_db)
        assert len(got) == n and len(set(got.values())) >= 40  # 40 events, some split
        assert live.index is not None
        merged = [s for s in live.index.stories.values() if s.size >= 10]
        assert merged, "the sample has stories of 10 and more"
        # The state a fresh start rebuilds is the live state, story by story.
        reloaded.reset()
        reloaded.run()
        assert reloaded.index is not None
        want, have = _states(live.index), _states(reloaded.index)
        assert have.keys() == want.keys()
        for sid, state in want.items():
            other = have[sid]
            assert _same_terms(other.pop("terms"), state.pop("terms")), f"story {sid} terms"
            assert other == state, f"story {sid}"
    finally:
        live_db.dispose()
        reloaded_db.dispose()

