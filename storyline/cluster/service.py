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
from sqlalchemy import Connection, Engine, and_, delete, func, insert, select, update

from storyline.cluster.engine import ClusterEngine, EngineConfig
from storyline.cluster.model import PairModel
from storyline.cluster.represent import ArticleRep, TermStats, to_days
from storyline.cluster.state import StoryState
from storyline.cluster.vectorize import Vectorizer, Vectors
from storyline.nlp.encoder import Embedder
from storyline.settings import Settings
from storyline.storage.schema import (
    article_vectors,
    articles,
    engine_state,
    stories,
    story_members,
    term_stats,
)
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
    for term, df in conn.execute(select(term_stats.c.term, term_stats.c.df)):
        if term.startswith("e:"):
            stats.edf[term[2:]] = df
        else:
            stats.df[term] = df
    row = conn.execute(select(engine_state.c.value).where(engine_state.c.key == "term_n"))
    value = row.scalar()
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


def _rep_query():  # type: ignore[no-untyped-def]
    return select(
        articles.c.id, articles.c.title, articles.c.outlet, articles.c.published,
        articles.c.fetched_at, articles.c.source_id, articles.c.duplicate_of,
        article_vectors.c.dense,
        article_vectors.c.title_dense, article_vectors.c.terms, article_vectors.c.entities,
        article_vectors.c.numbers,
    ).join(article_vectors, article_vectors.c.article_id == articles.c.id)


def load_story(conn: Connection, engine: ClusterEngine, story_id: int) -> StoryState | None:
    rows = conn.execute(
        _rep_query().join(story_members, story_members.c.article_id == articles.c.id)
        .where(story_members.c.story_id == story_id)
        .order_by(func.coalesce(articles.c.published, articles.c.fetched_at), articles.c.id)
    ).all()
    if not rows:
        return None
    state = StoryState(id=story_id, dim=engine.config.dim)
    for row in rows:
        rep = _rep_from_row(row)
        state.add(rep, engine.stats.tfidf(rep.terms))
    engine.add_story(state)
    return state


def load_active(conn: Connection, engine: ClusterEngine, horizon: datetime | None) -> int:
    query = select(stories.c.id).where(stories.c.status == "active")
    if horizon is not None:  # a story of undated articles only can take articles any time
        query = query.where((stories.c.last_time >= horizon) | stories.c.last_time.is_(None))
    ids = [r.id for r in conn.execute(query.order_by(stories.c.id))]
    for sid in ids:
        load_story(conn, engine, sid)
    top = conn.execute(select(func.max(stories.c.id))).scalar()
    engine.next_story_id = max(engine.next_story_id, (top or 0) + 1)
    return len(ids)


# ---- vectors -------------------------------------------------------------------------
def compute_vectors(conn: Connection, rows: list[Any], vectorizer: Vectorizer
                    ) -> tuple[list[int], list[dict[str, Any]]]:
    """Vectors for the articles that lack them for this model version (read-only):
    returns (stale article ids to replace, rows to insert)."""
    model, sig_version = vectorizer.model_version, vectorizer.signals_version
    ids = [r.id for r in rows]
    have = {
        r.article_id: r for r in conn.execute(
            select(article_vectors.c.article_id, article_vectors.c.content_hash,
                   article_vectors.c.model, article_vectors.c.signals_version)
            .where(article_vectors.c.article_id.in_(ids)))
    }
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


def store_vectors(conn: Connection, stale: list[int], fresh: list[dict[str, Any]]) -> None:
    if stale:
        conn.execute(delete(article_vectors).where(article_vectors.c.article_id.in_(stale)))
    if fresh:
        conn.execute(insert(article_vectors), fresh)


# ---- saving --------------------------------------------------------------------------
def _members_hash(members: list[int | str]) -> str:
    joined = ",".join(str(m) for m in sorted(members, key=str))
    return hashlib.sha256(joined.encode()).hexdigest()


def save_story(conn: Connection, state: StoryState, now: datetime) -> None:
    values = dict(
        updated_at=now, first_time=_days_to_dt(state.tmin), last_time=_days_to_dt(state.tmax),
        article_count=state.size, outlet_count=len(state.outlets),
        title=state.central_title(), status="active", merged_into=None,
        members_hash=_members_hash(state.members),
    )
    exists = conn.execute(select(stories.c.id).where(stories.c.id == state.id)).first()
    if exists:
        conn.execute(update(stories).where(stories.c.id == state.id).values(**values))
    else:
        conn.execute(insert(stories).values(id=state.id, created_at=now, **values))


def save_term_stats(conn: Connection, stats: TermStats) -> None:
    dirty, stats.dirty = stats.dirty, set()
    if not dirty:
        return
    existing: set[str] = set()
    dirty_list = sorted(dirty)
    for i in range(0, len(dirty_list), 500):
        chunk = dirty_list[i : i + 500]
        existing.update(r.term for r in conn.execute(
            select(term_stats.c.term).where(term_stats.c.term.in_(chunk))))

    def df(term: str) -> int:
        return stats.edf[term[2:]] if term.startswith("e:") else stats.df[term]

    new = [{"term": t, "df": df(t)} for t in dirty_list if t not in existing and len(t) <= 64]
    if new:
        conn.execute(insert(term_stats), new)
    for t in dirty_list:
        if t in existing:
            conn.execute(update(term_stats).where(term_stats.c.term == t).values(df=df(t)))
    n = str(stats.n)
    if conn.execute(select(engine_state.c.key).where(engine_state.c.key == "term_n")).first():
        conn.execute(update(engine_state).where(engine_state.c.key == "term_n").values(value=n))
    else:
        conn.execute(insert(engine_state).values(key="term_n", value=n))


# ---- the stage -----------------------------------------------------------------------
def pending_count(conn: Connection) -> int:
    query = select(func.count()).select_from(articles).outerjoin(
        story_members, story_members.c.article_id == articles.c.id
    ).where(story_members.c.article_id.is_(None), articles.c.is_flagged.is_(False))
    return int(conn.execute(query).scalar() or 0)


def _pending_rows(conn: Connection, limit: int) -> list[Any]:
    query = (
        select(articles.c.id, articles.c.title, articles.c.text, articles.c.content_hash)
        .outerjoin(story_members, story_members.c.article_id == articles.c.id)
        .where(story_members.c.article_id.is_(None), articles.c.is_flagged.is_(False))
        .order_by(func.coalesce(articles.c.published, articles.c.fetched_at), articles.c.id)
        .limit(limit)
    )
    return list(conn.execute(query).all())


class ClusterService:
    """Keeps a warm engine across calls (the worker) or runs once (the CLI)."""

    def __init__(self, db: Engine, settings: Settings, *, vectorizer: Vectorizer | None = None,
                 model: PairModel | None = None) -> None:
        self.db = db
        self.settings = settings
        self.model = model or PairModel.load()
        self.vectorizer = vectorizer or Vectorizer()
        self.engine: ClusterEngine | None = None

    def _engine(self, conn: Connection) -> ClusterEngine:
        if self.engine is None:
            engine = ClusterEngine(self.model, engine_config(self.settings),
                                   stats=load_term_stats(conn))
            last = conn.execute(select(func.max(stories.c.last_time))).scalar()
            horizon = None
            if last is not None:
                horizon = _days_to_dt(to_days(last) - 2 * engine.config.window_days)  # type: ignore[operator]
                engine.clock = to_days(last)
            load_active(conn, engine, horizon)
            self.engine = engine
        return self.engine

    def run(self, progress: Callable[[int, int], None] | None = None) -> ClusterReport:
        report = ClusterReport()
        with self.db.connect() as conn:
            total = pending_count(conn)
            engine = self._engine(conn)
        done = 0
        while True:
            # The slow part (encoding) runs outside the write transaction, so other
            # writers are not kept waiting; the batch is then written atomically.
            with self.db.connect() as conn:
                rows = _pending_rows(conn, BATCH)
                if not rows:
                    break
                stale, fresh = compute_vectors(conn, rows, self.vectorizer)
            with self.db.begin() as conn:
                store_vectors(conn, stale, fresh)
                report.vectors_computed += len(fresh)
                # Another run may have assigned some meanwhile: keep the still-pending.
                taken = {r.article_id for r in conn.execute(
                    select(story_members.c.article_id).where(
                        story_members.c.article_id.in_([x.id for x in rows])))}
                rows = [r for r in rows if r.id not in taken]
                reps = {r.id: _rep_from_row(r) for r in conn.execute(
                    _rep_query().where(articles.c.id.in_([x.id for x in rows])))}
                assigned: list[tuple[int, float | None]] = []
                for row in rows:
                    rep = reps[row.id]
                    if rep.duplicate_of is not None and rep.duplicate_of not in \
                            engine.article_story:
                        sid = conn.execute(select(story_members.c.story_id).where(
                            story_members.c.article_id == rep.duplicate_of)).scalar()
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
                self._flush(conn, report, assigned)
            done += len(rows)
            if progress is not None:
                progress(done, total)
        with self.db.begin() as conn:
            consolidation = engine.consolidate()
            report.merged += len(consolidation.merged)
            report.split += len(consolidation.split)
            self._flush(conn, report, [])
        return report

    def _flush(self, conn: Connection, report: ClusterReport,
               assigned: list[tuple[int, float | None]]) -> None:
        """Write every story the engine touched since the last flush, then the new
        memberships, then move members that merges and splits relocated."""
        engine = self.engine
        assert engine is not None
        now = _now()
        touched, engine.touched = engine.touched, set()
        for sid in sorted(touched):
            state = engine.stories.get(sid)
            if state is None:  # merged away
                into = engine.resolve(sid)
                if conn.execute(select(stories.c.id).where(stories.c.id == sid)).first():
                    conn.execute(update(stories).where(stories.c.id == sid).values(
                        status="merged", merged_into=into, updated_at=now, article_count=0,
                        members_hash=None))
                continue
            save_story(conn, state, now)
        if assigned:
            conn.execute(insert(story_members), [
                {"article_id": aid, "story_id": engine.resolve(engine.article_story[aid]),
                 "score": score, "assigned_at": now} for aid, score in assigned
            ])
        for sid in sorted(touched):
            state = engine.stories.get(sid)
            if state is None:
                continue
            conn.execute(update(story_members).where(and_(
                story_members.c.article_id.in_([m for m in state.members if isinstance(m, int)]),
                story_members.c.story_id != sid)).values(story_id=sid))
            report.touched_stories.add(sid)
        save_term_stats(conn, engine.stats)
        engine.forget_expired()


def run_clustering(db: Engine, settings: Settings, *,
                   progress: Callable[[int, int], None] | None = None,
                   service: ClusterService | None = None) -> ClusterReport:
    """Cluster every unassigned article, then refresh storylines and sub-stories of the
    stories that changed."""
    from storyline.cluster.storylines import update_storylines
    from storyline.cluster.substories import update_substories

    service = service or ClusterService(db, settings, vectorizer=Vectorizer(
        Embedder(backend=settings.embed_backend)))
    report = service.run(progress)
    if report.touched_stories:
        with db.begin() as conn:
            live = {r.id: r.article_count for r in conn.execute(
                select(stories.c.id, stories.c.article_count).where(
                    stories.c.id.in_(sorted(report.touched_stories)),
                    stories.c.status == "active"))}
            update_storylines(conn, set(live), settings.storyline_window_days)
            for sid in live:
                update_substories(conn, sid)
    return report
