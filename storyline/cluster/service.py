"""The clustering stage over the database: unassigned articles → stories.

``cluster_pending`` loads the active stories into a :class:`ClusterEngine`, computes
(or reuses) each pending article's vectors, assigns the articles in publication order,
and writes memberships, story aggregates, merges and splits back in one transaction per
batch — so an interrupted run leaves whole batches and re-running continues where it
stopped (idempotent). Storylines and sub-stories are refreshed for the stories touched.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine

from storyline.cluster.engine import (
    ClusterEngine,
    EngineConfig,
    pack_weights,
    stored_weights,
    unpack_weights,
)
from storyline.cluster.model import PairModel
from storyline.cluster.represent import ArticleRep, TermStats, to_days
from storyline.cluster.state import StoryState
from storyline.cluster.vectorize import Vectorizer, Vectors
from storyline.nlp.encoder import Embedder
from storyline.settings import Settings
from storyline.storage import engine_state
from storyline.storage import stories as story_store
from storyline.storage import terms as term_store
from storyline.storage import vectors as vector_store
from storyline.text.dates import known_time

BATCH = 256


@dataclass
class ClusterReport:
    articles: int = 0
    new_stories: int = 0
    joined: int = 0
    duplicates_joined: int = 0
    merged: int = 0
    split: int = 0
    vectors_computed: int = 0
    touched_stories: set[int] = field(default_factory=set)


def engine_config(settings: Settings) -> EngineConfig:
    return EngineConfig(window_days=settings.cluster_window_days)


def _now() -> datetime:
    return datetime.now(UTC)


def _vec(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.float32).copy()


def _days_to_dt(days: float | None) -> datetime | None:
    return None if days is None else datetime.fromtimestamp(days * 86400.0, UTC)


# ---- loading -------------------------------------------------------------------------
def load_term_stats(conn: Connection) -> TermStats:
    stats = TermStats()
    for term, df in term_store.document_frequencies(conn):
        if term.startswith("e:"):
            stats.edf[term[2:]] = df
        else:
            stats.df[term] = df
    value = engine_state.get(conn, "term_n")
    stats.n = int(value) if value else 0
    return stats


def _rep_from_row(row: Any) -> ArticleRep:
    when = known_time(row.published, row.fetched_at, row.source_id is not None)
    return ArticleRep(
        id=row.id, dense=_vec(row.dense), title_dense=_vec(row.title_dense),
        terms=json.loads(row.terms), entities=frozenset(json.loads(row.entities)),
        numbers=frozenset(json.loads(row.numbers)), time=to_days(when), outlet=row.outlet,
        title=row.title, duplicate_of=row.duplicate_of,
    )


def load_story(conn: Connection, engine: ClusterEngine, story_id: int) -> StoryState | None:
    rows = vector_store.story_reps(conn, story_id)
    if not rows:
        return None
    state = StoryState(id=story_id, dim=engine.config.dim)
    for row in rows:
        _add_member(state, row, engine.stats)
    engine.add_story(state)
    return state


def _add_member(state: StoryState, row: Any, stats: TermStats) -> None:
    """Add a stored member with the weights it added when it joined (recomputed from
    today's frequencies only for memberships stored before they were kept)."""
    rep = _rep_from_row(row)
    weights = unpack_weights(rep.terms, row.weights)
    state.add(rep, weights if weights is not None else stored_weights(stats.tfidf(rep.terms)))


_LOAD_CHUNK = 500  # stories per query when the index is rebuilt


def load_active(conn: Connection, engine: ClusterEngine, horizon: datetime | None) -> int:
    """Rebuild the index of the active stories (those within ``horizon``), a few hundred
    stories per query: one query per story made start-up the largest cost at 100k."""
    ids = story_store.active_story_ids(conn, horizon)
    for start in range(0, len(ids), _LOAD_CHUNK):
        state: StoryState | None = None
        for row in vector_store.stories_reps(conn, ids[start:start + _LOAD_CHUNK]):
            if state is None or state.id != row.story_id:
                if state is not None:
                    engine.add_story(state)
                state = StoryState(id=row.story_id, dim=engine.config.dim)
            _add_member(state, row, engine.stats)
        if state is not None:
            engine.add_story(state)
    top = story_store.max_story_id(conn)
    engine.next_story_id = max(engine.next_story_id, (top or 0) + 1)
    return len(ids)


# ---- vectors -------------------------------------------------------------------------
def compute_vectors(conn: Connection, rows: list[Any], vectorizer: Vectorizer
                    ) -> tuple[list[int], list[dict[str, Any]]]:
    """Vectors for the articles that lack them for this model version (read-only):
    returns (stale article ids to replace, rows to insert)."""
    model, sig_version = vectorizer.model_version, vectorizer.signals_version
    ids = [r.id for r in rows]
    have = vector_store.versions(conn, ids)
    todo = [r for r in rows if r.id not in have or have[r.id].content_hash != r.content_hash
            or have[r.id].model != model or have[r.id].signals_version != sig_version]
    if not todo:
        return [], []
    vectors: list[Vectors] = vectorizer.vectorize([(r.title, r.text) for r in todo])
    return [r.id for r in todo if r.id in have], [
        {"article_id": r.id, "content_hash": r.content_hash, "model": model,
         "dense": v.dense.astype(np.float32).tobytes(),
         "title_dense": v.title_dense.astype(np.float32).tobytes(),
         "signals_version": sig_version, "entities": json.dumps(v.entities),
         "numbers": json.dumps(v.numbers), "terms": json.dumps(v.terms)}
        for r, v in zip(todo, vectors, strict=True)
    ]


# ---- saving --------------------------------------------------------------------------
def _members_hash(members: list[int | str]) -> str:
    joined = ",".join(str(m) for m in sorted(members, key=str))
    return hashlib.sha256(joined.encode()).hexdigest()


def save_story(conn: Connection, state: StoryState, now: datetime) -> None:
    story_store.save_story(
        conn, state.id, now, first_time=_days_to_dt(state.tmin),
        last_time=_days_to_dt(state.tmax), article_count=state.size,
        outlet_count=len(state.outlets), title=state.central_title(),
        members_hash=_members_hash(state.members),
    )


def save_term_stats(conn: Connection, stats: TermStats) -> None:
    dirty, stats.dirty = stats.dirty, set()
    if not dirty:
        return
    term_store.save_document_frequencies(conn, {
        t: stats.edf[t[2:]] if t.startswith("e:") else stats.df[t] for t in sorted(dirty)})
    engine_state.put(conn, "term_n", str(stats.n))


# ---- the stage -----------------------------------------------------------------------
def pending_count(conn: Connection) -> int:
    """Articles waiting to be clustered."""
    return story_store.unassigned_count(conn)


class ClusterService:
    """Keeps a warm clustering index across calls (the worker) or runs once (the CLI).

    ``index`` is the in-memory :class:`ClusterEngine` (built from the database on first
    use); ``db`` is the database engine.
    """

    def __init__(self, db: Engine, settings: Settings, *, vectorizer: Vectorizer | None = None,
                 model: PairModel | None = None) -> None:
        self.db = db
        self.settings = settings
        self.model = model or PairModel.load()
        self.vectorizer = vectorizer or Vectorizer()
        self.index: ClusterEngine | None = None

    def reset(self) -> None:
        """Drop the in-memory index: the next run reloads it from the database (after
        stories changed elsewhere, or a failed run whose memory is ahead of the commit)."""
        self.index = None

    def _index(self, conn: Connection) -> ClusterEngine:
        if self.index is None:
            engine = ClusterEngine(self.model, engine_config(self.settings),
                                   stats=load_term_stats(conn))
            last = story_store.latest_story_time(conn)
            horizon = None
            if last is not None:
                horizon = _days_to_dt(to_days(last) - 2 * engine.config.window_days)  # type: ignore[operator]
                engine.clock = to_days(last)
            load_active(conn, engine, horizon)
            self.index = engine
        return self.index

    def run(self, progress: Callable[[int, int], None] | None = None, *,
            select_batch: Callable[[Connection, int], list[Any]] | None = None,
            in_batch: Callable[[Connection, list[int]], None] | None = None,
            owed: set[int] | None = None) -> ClusterReport:
        """Assign the pending articles. ``select_batch(conn, limit)`` picks the next
        batch (default: articles in no story, in publication order); ``in_batch(conn,
        article_ids)`` runs last in each write transaction (the distributed clusterer's
        fencing check and checkpoint: raising there rolls the batch back); ``owed``:
        stories an interrupted run assigned to but never consolidated."""
        select_batch = select_batch or story_store.unassigned_articles
        report = ClusterReport()
        with self.db.connect() as conn:
            total = pending_count(conn)
            engine = self._index(conn)
            if owed:
                for owed_id in owed:
                    if owed_id not in engine.stories:
                        load_story(conn, engine, owed_id)
                engine.owe_consolidation(owed)
        done = 0
        while True:
            # The slow part (encoding) runs outside the write transaction, so other
            # writers are not kept waiting; the batch is then written atomically.
            with self.db.connect() as conn:
                rows = select_batch(conn, BATCH)
                if not rows:
                    break
                stale, fresh = compute_vectors(conn, rows, self.vectorizer)
            with self.db.begin() as conn:
                vector_store.replace(conn, stale, fresh)
                report.vectors_computed += len(fresh)
                # Another run may have assigned some meanwhile: keep the still-pending.
                taken = story_store.assigned_among(conn, [x.id for x in rows])
                rows = [r for r in rows if r.id not in taken]
                reps = {r.id: _rep_from_row(r) for r in vector_store.article_reps(
                    conn, [x.id for x in rows])}
                assigned: list[tuple[int, float | None]] = []
                weights: dict[int, bytes] = {}
                for row in rows:
                    rep = reps[row.id]
                    if rep.duplicate_of is not None and rep.duplicate_of not in \
                            engine.article_story:
                        sid = story_store.story_of(conn, int(rep.duplicate_of))
                        if sid is not None and sid not in engine.stories:
                            load_story(conn, engine, sid)
                    result = engine.assign(rep)
                    report.articles += 1
                    if result.created:
                        report.new_stories += 1
                    elif result.reason == "duplicate":
                        report.duplicates_joined += 1
                    else:
                        report.joined += 1
                    assigned.append((row.id, result.score))
                    weights[row.id] = pack_weights(result.weights)
                self._flush(conn, report, assigned, weights)
                if in_batch is not None:
                    in_batch(conn, [r.id for r in rows])
            done += len(rows)
            if progress is not None:
                progress(done, total)
        with self.db.begin() as conn:
            consolidation = engine.consolidate()
            report.merged += len(consolidation.merged)
            report.split += len(consolidation.split)
            self._flush(conn, report, [])
            if in_batch is not None:
                in_batch(conn, [])
        return report

    def _flush(self, conn: Connection, report: ClusterReport,
               assigned: list[tuple[int, float | None]],
               weights: dict[int, bytes] | None = None) -> None:
        """Write every story the engine touched since the last flush, then the new
        memberships, then move members that merges and splits relocated."""
        engine = self.index
        assert engine is not None
        now = _now()
        touched, engine.touched = engine.touched, set()
        # Live stories first: a story merged away points at one that may be new.
        for sid in sorted(touched):
            state = engine.stories.get(sid)
            if state is not None:
                save_story(conn, state, now)
        for sid in sorted(touched):
            if sid not in engine.stories:  # merged away
                story_store.mark_merged(conn, sid, engine.resolve(sid), now)
        story_store.add_members(conn, [
            (aid, engine.resolve(engine.article_story[aid]), score) for aid, score in assigned
        ], now, weights)
        for sid in sorted(touched):
            state = engine.stories.get(sid)
            if state is None:
                continue
            story_store.move_members(conn, sid, [m for m in state.members if isinstance(m, int)])
            report.touched_stories.add(sid)
        engine_state.add_pending_links(conn, {sid for sid in touched if sid in engine.stories})
        save_term_stats(conn, engine.stats)
        engine.forget_expired()


def run_clustering(db: Engine, settings: Settings, *,
                   progress: Callable[[int, int], None] | None = None,
                   service: ClusterService | None = None) -> ClusterReport:
    """Cluster every unassigned article, then refresh storylines and sub-stories of the
    stories that changed (and of those an interrupted run changed without refreshing)."""
    service = service or ClusterService(db, settings, vectorizer=Vectorizer(
        Embedder(backend=settings.embed_backend)))
    report = service.run(progress)
    with db.begin() as conn:
        refresh_story_links(conn, settings, report.touched_stories)
    return report


def refresh_story_links(conn: Connection, settings: Settings, touched: set[int]) -> set[int]:
    """Refresh the storylines and sub-stories of ``touched`` and of the stories recorded
    as pending, and clear the record, in the caller's transaction; returns the active
    stories refreshed."""
    from storyline.cluster.storylines import update_storylines
    from storyline.cluster.substories import update_substories

    touched = touched | engine_state.pending_links(conn)
    if not touched:
        return set()
    live = story_store.active_article_counts(conn, sorted(touched))
    update_storylines(conn, set(live), settings.storyline_window_days)
    for sid in live:
        update_substories(conn, sid)
    engine_state.clear_pending_links(conn)
    return set(live)


def links_pending(conn: Connection) -> bool:
    """Whether stories still wait for their storyline and sub-stories (a run was
    interrupted between storing its assignments and refreshing them)."""
    return bool(engine_state.pending_links(conn))
