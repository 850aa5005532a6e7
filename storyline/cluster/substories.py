"""Sub-stories: within a large story, groups of articles on distinct angles ("Dive deeper").

Average-linkage agglomerative clustering of the members' title+lead embeddings with a
cosine distance cut; groups of two or more articles become sub-stories, labelled by the
member title nearest their centre. Recomputed only when a story's members change.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sqlalchemy import Connection

from storyline.storage import substories as substory_store
from storyline.storage import vectors as vector_store

MIN_STORY_SIZE = 6  # smaller stories have no sub-stories
DISTANCE_CUT = 0.35  # cosine distance: members closer than this share an angle
MIN_GROUP = 2


def group_members(vectors: np.ndarray, cut: float = DISTANCE_CUT) -> list[list[int]]:
    """Indices of members grouped by angle, biggest group first, then the one whose first
    member comes first (members in time order give the older angle first); singletons
    dropped."""
    if len(vectors) < MIN_STORY_SIZE:
        return []
    labels = AgglomerativeClustering(n_clusters=None, distance_threshold=cut,
                                     metric="cosine", linkage="average").fit_predict(vectors)
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(int(label), []).append(i)
    out = [g for g in groups.values() if len(g) >= MIN_GROUP]
    if len(out) < 2:  # one angle is no "dive deeper"
        return []
    return sorted(out, key=lambda g: (-len(g), g[0]))


def update_substories(conn: Connection, story_id: int) -> int:
    """Rebuild the sub-stories of one story; returns how many it has."""
    rows = vector_store.story_titled_vectors(conn, story_id)
    substory_store.clear(conn, story_id)
    if len(rows) < MIN_STORY_SIZE:
        return 0
    vectors = np.stack([np.frombuffer(r.dense, dtype=np.float32) for r in rows])
    groups = group_members(vectors)
    for group in groups:
        centre = vectors[group].mean(0)
        label = rows[group[int(np.argmax(vectors[group] @ centre))]].title
        substory_store.create(conn, story_id, label, [rows[i].id for i in group])
    return len(groups)
