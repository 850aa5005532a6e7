"""Storylines: stories of one ongoing situation, linked across weeks and months.

A story joins the storyline whose centroid it resembles and whose salient entities it
shares (e.g. Miami talks → Moscow meeting → Abu Dhabi round → Geneva round); otherwise it
starts one. Storylines are only linked forward in time within ``storyline_window_days``
of their last story, so the cost per story is bounded by the recent storylines.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import Connection

from storyline.storage import stories as story_store
from storyline.storage import storylines as storyline_store
from storyline.storage import vectors as vector_store

MIN_COSINE = 0.55  # with enough shared salient entities
STRONG_COSINE = 0.75  # enough on its own
MIN_SHARED_ENTITIES = 2
TOP_ENTITIES = 12


@dataclass
class StoryProfile:
    id: int
    centroid: np.ndarray
    entities: Counter[str]
    first: datetime | None
    last: datetime | None
    size: int
    title: str | None


def story_profile(conn: Connection, story_id: int) -> StoryProfile | None:
    # The written headline names a story better than its central article's title.
    row = story_store.active_story_header(conn, story_id)
    if row is None:
        return None
    vecs = vector_store.story_signals(conn, story_id)
    if not vecs:
        return None
    mat = np.stack([np.frombuffer(v.dense, dtype=np.float32) for v in vecs])
    centroid = mat.mean(0)
    centroid /= float(np.linalg.norm(centroid)) or 1.0
    ents: Counter[str] = Counter()
    for v in vecs:
        ents.update(set(json.loads(v.entities)))
    return StoryProfile(row.id, centroid, ents, row.first_time, row.last_time,
                        row.article_count, row.title)


def _salient(ents: Counter[str] | dict[str, float]) -> set[str]:
    return {e for e, _ in sorted(ents.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_ENTITIES]}


def _score(profile: StoryProfile, centroid: np.ndarray, ents: dict[str, float]) -> bool:
    cos = float(profile.centroid @ centroid)
    shared = len(_salient(profile.entities) & _salient(ents))
    return cos >= STRONG_COSINE or (cos >= MIN_COSINE and shared >= MIN_SHARED_ENTITIES)


def _refresh(conn: Connection, storyline_id: int, now: datetime) -> None:
    """Recompute a storyline's aggregates from its stories."""
    members = storyline_store.active_story_ids(conn, storyline_id)
    profiles = [p for p in (story_profile(conn, m) for m in members) if p is not None]
    if not profiles:
        return
    weights = np.array([p.size for p in profiles], dtype=np.float32)
    centroid = (np.stack([p.centroid for p in profiles]) * weights[:, None]).sum(0)
    centroid /= float(np.linalg.norm(centroid)) or 1.0
    ents: Counter[str] = Counter()
    for p in profiles:
        ents.update({e: n / p.size for e, n in p.entities.items()})
    firsts = [p.first for p in profiles if p.first]
    lasts = [p.last for p in profiles if p.last]
    biggest = max(profiles, key=lambda p: (p.size, -p.id))
    storyline_store.save_aggregates(
        conn, storyline_id, now, story_count=len(profiles), title=biggest.title,
        first_time=min(firsts) if firsts else None, last_time=max(lasts) if lasts else None,
        centroid=centroid.astype(np.float32).tobytes(),
        entities=json.dumps(dict(ents.most_common(50))),
    )


def update_storylines(conn: Connection, story_ids: set[int], window_days: float) -> int:
    """Attach the given stories to storylines; returns how many were linked to an
    existing storyline (the rest started their own)."""
    now = datetime.now(UTC)
    linked = 0
    changed: set[int] = set()
    for sid in sorted(story_ids):
        profile = story_profile(conn, sid)
        if profile is None:
            continue
        current = story_store.storyline_id_of(conn, sid)
        if current is not None:
            changed.add(current)  # its members changed: refreshed once, below
            continue
        since = None if profile.first is None else profile.first - timedelta(days=window_days)
        best: tuple[float, int] | None = None
        for row in storyline_store.candidates(conn, since):
            if row.centroid is None:
                continue
            centroid = np.frombuffer(row.centroid, dtype=np.float32)
            if _score(profile, centroid, json.loads(row.entities)):
                cos = float(profile.centroid @ centroid)
                if best is None or cos > best[0]:
                    best = (cos, row.id)
        if best is not None:
            target = best[1]
            linked += 1
        else:
            target = storyline_store.create(conn, now)
        storyline_store.attach_story(conn, sid, target)
        # Refreshed now, so the next story of this batch is compared with it as it is.
        _refresh(conn, target, now)
        changed.discard(target)
    for line in sorted(changed):
        _refresh(conn, line, now)
    return linked
