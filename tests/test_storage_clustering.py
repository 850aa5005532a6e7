"""The clustering stage's queries on a real database: article vectors, term statistics,
engine state, story membership and aggregates, storylines and sub-stories. Each function
runs inside the caller's transaction."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine

from storyline.models import ArticleIn
from storyline.settings import Settings
from storyline.storage import articles as article_store
from storyline.storage import engine_state
from storyline.storage import stories as story_store
from storyline.storage import storylines as storyline_store
from storyline.storage import substories as substory_store
from storyline.storage import terms as term_store
from storyline.storage import vectors as vector_store

DAY0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
DIM = 384


def _article(conn: Connection, n: int, published: datetime | None, *,
             flagged: bool = False) -> int:
    art = ArticleIn(title=f"Report {n}", text=f"Body of report {n}.", outlet=f"Outlet {n % 2}",
                    url=f"https://news.example/{n}", published=published)
    return article_store.insert_article(
        conn, art, identity=f"id-{n}", content_hash=f"hash-{n}", fetched_at=DAY0,
        minhash=None, buckets=[], duplicate_of=None, duplicate_kind=None, similarity=None,
        flagged=flagged)


def _unit(seed: int) -> np.ndarray:
    vec = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
    return vec / np.linalg.norm(vec)


def _vector_row(article_id: int, seed: int, model: str = "m1") -> dict[str, Any]:
    return {"article_id": article_id, "content_hash": f"hash-{seed}", "model": model,
            "dense": _unit(seed).tobytes(), "title_dense": _unit(seed + 100).tobytes(),
            "signals_version": "s1", "entities": json.dumps(["Geneva", f"E{seed}"]),
            "numbers": json.dumps([str(seed)]), "terms": json.dumps({"talks": seed})}


def _story(conn: Connection, story_id: int, now: datetime, *, count: int,
           last: datetime | None, title: str = "Talks") -> None:
    story_store.save_story(conn, story_id, now, first_time=DAY0 if last else None,
                           last_time=last, article_count=count, outlet_count=1, title=title,
                           members_hash=f"members-{story_id}-{count}")


def test_term_frequencies_and_engine_state_are_upserted(engine: Engine) -> None:
    with engine.begin() as conn:
        term_store.save_document_frequencies(conn, {"talks": 3, "e:Geneva": 2, "x" * 65: 1})
        engine_state.put(conn, "term_n", "5")
    with engine.begin() as conn:
        term_store.save_document_frequencies(conn, {"umerov": 1, "talks": 4})
        engine_state.put(conn, "term_n", "6")
    with engine.connect() as conn:
        # Updated in place, new terms added, a term wider than the column skipped.
        assert sorted(term_store.document_frequencies(conn)) == [
            ("e:Geneva", 2), ("talks", 4), ("umerov", 1)]
        assert engine_state.get(conn, "term_n") == "6"
        assert engine_state.get(conn, "never-set") is None


def test_vectors_are_replaced_and_read_back_per_article_and_story(engine: Engine) -> None:
    now = DAY0 + timedelta(days=10)
    with engine.begin() as conn:
        # Ids in one order, publication times in another; the undated one falls back to
        # its fetch time (DAY0), the earliest.
        a = _article(conn, 1, DAY0 + timedelta(days=3))
        b = _article(conn, 2, DAY0 + timedelta(days=1))
        c = _article(conn, 3, None)
        vector_store.replace(conn, [], [_vector_row(a, 1), _vector_row(b, 2), _vector_row(c, 3)])
        _story(conn, 7, now, count=3, last=DAY0 + timedelta(days=3))
        story_store.add_members(conn, [(a, 7, 0.5), (b, 7, 0.75), (c, 7, None)], now)
    with engine.begin() as conn:
        vector_store.replace(conn, [a], [_vector_row(a, 11, model="m2")])
    with engine.connect() as conn:
        have = vector_store.versions(conn, [a, b, c, 9999])
        assert sorted(have) == [a, b, c]
        assert (have[a].model, have[a].content_hash) == ("m2", "hash-11")
        assert (have[b].model, have[b].signals_version) == ("m1", "s1")

        reps = {r.id: r for r in vector_store.article_reps(conn, [a, b])}
        assert sorted(reps) == [a, b]
        assert np.array_equal(np.frombuffer(reps[a].dense, dtype=np.float32), _unit(11))
        assert np.array_equal(np.frombuffer(reps[b].title_dense, dtype=np.float32), _unit(102))
        assert json.loads(reps[b].entities) == ["Geneva", "E2"]
        assert (reps[a].title, reps[a].outlet, reps[a].duplicate_of) == ("Report 1", "Outlet 1",
                                                                         None)

        assert [r.id for r in vector_store.story_reps(conn, 7)] == [c, b, a]  # time order
        assert vector_store.story_reps(conn, 8) == []
        signals = vector_store.story_signals(conn, 7)
        assert sorted(json.loads(s.entities)[1] for s in signals) == ["E11", "E2", "E3"]
        titled = vector_store.story_titled_vectors(conn, 7)
        # Publication order, the undated last: never id or fetch order, which differ
        # between runs that fetch in another order.
        assert [(r.id, r.title) for r in titled] == [(b, "Report 2"), (a, "Report 1"),
                                                     (c, "Report 3")]


def test_membership_and_story_aggregates(engine: Engine) -> None:
    t1, t2 = DAY0 + timedelta(days=10), DAY0 + timedelta(days=11)
    with engine.begin() as conn:
        a0 = _article(conn, 0, DAY0 + timedelta(days=2))
        a1 = _article(conn, 1, DAY0 + timedelta(days=1))
        a2 = _article(conn, 2, DAY0 + timedelta(days=3))
        _article(conn, 3, DAY0, flagged=True)  # flagged: never clustered
        assert story_store.unassigned_count(conn) == 3
        assert [r.id for r in story_store.unassigned_articles(conn, 2)] == [a1, a0]
        assert story_store.max_story_id(conn) is None
        assert story_store.latest_story_time(conn) is None

        _story(conn, 1, t1, count=1, last=DAY0 + timedelta(days=2))
        _story(conn, 2, t1, count=1, last=DAY0 + timedelta(days=1))
        story_store.add_members(conn, [(a0, 1, 0.9), (a1, 2, None)], t1)
        story_store.add_members(conn, [], t1)  # nothing to add: no statement
    with engine.begin() as conn:
        assert story_store.assigned_among(conn, [a0, a1, a2]) == {a0, a1}
        assert (story_store.story_of(conn, a1), story_store.story_of(conn, a2)) == (2, None)
        assert story_store.unassigned_count(conn) == 1
        assert [r.id for r in story_store.unassigned_articles(conn, 10)] == [a2]

        # Story 2 merges into 1: its member moves, it keeps a record of where it went.
        _story(conn, 1, t2, count=2, last=DAY0 + timedelta(days=2), title="Merged talks")
        story_store.move_members(conn, 1, [a0, a1])
        story_store.mark_merged(conn, 2, 1, t2)
        story_store.mark_merged(conn, 99, 1, t2)  # never stored: nothing is created
    with engine.connect() as conn:
        one = story_store.get_story(conn, 1)
        assert one is not None
        assert (one["title"], one["article_count"], one["status"]) == ("Merged talks", 2,
                                                                       "active")
        assert (one["created_at"], one["updated_at"]) == (t1, t2)
        assert one["members_hash"] == "members-1-2"
        assert [x["id"] for x in one["articles"]] == [a1, a0]
        two = story_store.get_story(conn, 2)
        assert two is not None
        assert (two["status"], two["merged_into"], two["article_count"],
                two["members_hash"], two["articles"]) == ("merged", 1, 0, None, [])
        assert story_store.get_story(conn, 99) is None
        assert story_store.active_story_header(conn, 2) is None  # merged: not active
        head = story_store.active_story_header(conn, 1)
        assert (head.id, head.title, head.article_count) == (1, "Merged talks", 2)
        assert story_store.active_article_counts(conn, [1, 2, 5]) == {1: 2}

    with engine.begin() as conn:
        _story(conn, 3, t2, count=1, last=None)  # undated: can take articles any time
        _story(conn, 4, t2, count=1, last=DAY0 - timedelta(days=30))
    with engine.connect() as conn:
        assert story_store.active_story_ids(conn) == [1, 3, 4]
        assert story_store.active_story_ids(conn, DAY0) == [1, 3]
        assert story_store.max_story_id(conn) == 4
        assert story_store.latest_story_time(conn) == DAY0 + timedelta(days=2)


def test_storylines_link_stories_and_keep_aggregates(engine: Engine) -> None:
    now = DAY0 + timedelta(days=10)
    centroid = _unit(5).tobytes()
    with engine.begin() as conn:
        _story(conn, 1, now, count=3, last=DAY0 + timedelta(days=4))
        _story(conn, 2, now, count=2, last=DAY0 + timedelta(days=5))
        line = storyline_store.create(conn, now)
        assert storyline_store.candidates(conn, None) == [(line, None, "{}")]
        storyline_store.attach_story(conn, 1, line)
        storyline_store.save_aggregates(
            conn, line, now, story_count=1, title="Peace talks", first_time=DAY0,
            last_time=DAY0 + timedelta(days=4), centroid=centroid,
            entities=json.dumps({"Geneva": 1.0}))
        other = storyline_store.create(conn, now)
    with engine.connect() as conn:
        assert other == line + 1
        assert story_store.storyline_id_of(conn, 1) == line
        assert story_store.storyline_id_of(conn, 2) is None
        assert storyline_store.active_story_ids(conn, line) == [1]
        assert storyline_store.active_story_ids(conn, other) == []
        # Only storylines whose last story is recent enough are candidates.
        recent = storyline_store.candidates(conn, DAY0 + timedelta(days=3))
        assert [(r.id, r.centroid, json.loads(r.entities)) for r in recent] == [
            (line, centroid, {"Geneva": 1.0})]
        assert storyline_store.candidates(conn, DAY0 + timedelta(days=5)) == []
        shown = story_store.get_storyline(conn, line)
        assert shown is not None
        assert (shown["title"], shown["story_count"], shown["last_time"]) == (
            "Peace talks", 1, DAY0 + timedelta(days=4))
        assert [s["id"] for s in shown["stories"]] == [1]


def test_substories_are_created_and_cleared(engine: Engine) -> None:
    now = DAY0 + timedelta(days=10)
    with engine.begin() as conn:
        ids = [_article(conn, n, DAY0 + timedelta(hours=n)) for n in range(5)]
        _story(conn, 1, now, count=5, last=DAY0 + timedelta(hours=4))
        story_store.add_members(conn, [(a, 1, None) for a in ids], now)
        first = substory_store.create(conn, 1, "Angle A", ids[:2])
        second = substory_store.create(conn, 1, "Angle B", ids[2:])
    with engine.connect() as conn:
        story = story_store.get_story(conn, 1)
        assert story is not None
        assert story["substories"] == [
            {"id": second, "label": "Angle B", "article_count": 3, "article_ids": ids[2:]},
            {"id": first, "label": "Angle A", "article_count": 2, "article_ids": ids[:2]},
        ]
    with engine.begin() as conn:
        substory_store.clear(conn, 1)
    with engine.connect() as conn:
        story = story_store.get_story(conn, 1)
        assert story is not None
        assert story["substories"] == []
        assert [(a["id"], a["substory_id"]) for a in story["articles"]] == [
            (a, None) for a in ids]  # the members stay in the story


def test_service_reset_drops_its_index(engine: Engine, settings: Settings) -> None:
    from storyline.cluster.service import ClusterService

    now = DAY0 + timedelta(days=10)
    with engine.begin() as conn:
        a, b = _article(conn, 1, DAY0), _article(conn, 2, DAY0 + timedelta(hours=1))
        vector_store.replace(conn, [], [_vector_row(a, 1), _vector_row(b, 2)])
        _story(conn, 4, now, count=2, last=DAY0 + timedelta(hours=1))
        story_store.add_members(conn, [(a, 4, None), (b, 4, None)], now)
        term_store.save_document_frequencies(conn, {"talks": 2, "e:Geneva": 2})
        engine_state.put(conn, "term_n", "2")
    service = ClusterService(engine, settings)
    assert service.index is None
    report = service.run()  # nothing pending: only loads the stored stories
    first = service.index
    assert first is not None and report.articles == 0
    assert sorted(first.stories) == [4] and first.stories[4].members == [a, b]
    assert first.next_story_id == 5
    assert (first.stats.n, first.stats.df["talks"], first.stats.edf["Geneva"]) == (2, 2, 2)
    service.run()
    assert service.index is first  # kept warm between runs
    service.reset()
    assert service.index is None
    service.run()
    assert service.index is not None and service.index is not first
    assert sorted(service.index.stories) == [4]
