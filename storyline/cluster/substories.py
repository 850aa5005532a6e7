"""Sub-stories: within a large story, groups of articles on distinct angles ("Dive deeper").

Average-linkage agglomerative clustering of the members' title+lead embeddings with a
cosine distance cut; groups of two or more articles become sub-stories, labelled by the
member title nearest their centre. Recomputed only when a story's members change.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sqlalchemy import Connection, delete, insert, select, update

from storyline.storage.schema import article_vectors, articles, story_members, substories

MIN_STORY_SIZE = 6  # smaller stories have no sub-stories
DISTANCE_CUT = 0.35  # cosine distance: members closer than this share an angle
MIN_GROUP = 2


def group_members(vectors: np.ndarray, cut: float = DISTANCE_CUT) -> list[list[int]]:
    """Indices of members grouped by angle, biggest group first; singletons dropped."""
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
    rows = conn.execute(
        select(articles.c.id, articles.c.title, article_vectors.c.dense)
        .join(story_members, story_members.c.article_id == articles.c.id)
        .join(article_vectors, article_vectors.c.article_id == articles.c.id)
        .where(story_members.c.story_id == story_id)
        .order_by(articles.c.id)
    ).all()
    conn.execute(update(story_members).where(story_members.c.story_id == story_id)
                 .values(substory_id=None))
    conn.execute(delete(substories).where(substories.c.story_id == story_id))
    if len(rows) < MIN_STORY_SIZE:
        return 0
    vectors = np.stack([np.frombuffer(r.dense, dtype=np.float32) for r in rows])
    groups = group_members(vectors)
    for group in groups:
        centre = vectors[group].mean(0)
        label = rows[group[int(np.argmax(vectors[group] @ centre))]].title
        sub_id = conn.execute(insert(substories).values(
            story_id=story_id, label=label, article_count=len(group)
        )).inserted_primary_key[0]  # type: ignore[index]
        conn.execute(update(story_members).where(
            story_members.c.article_id.in_([rows[i].id for i in group])
        ).values(substory_id=sub_id))
    return len(groups)
