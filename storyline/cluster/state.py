"""A story as the clustering keeps it in memory: running sums and sets, O(1) to update."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from storyline.cluster.represent import ArticleRep

MEMBER_VECTORS_KEPT = 48  # most recent member vectors kept for the nearest-member features
MAX_STORY_TERMS = 400  # story term vector is pruned to its heaviest terms


@dataclass
class StoryState:
    id: int
    dim: int = 384
    members: list[int | str] = field(default_factory=list)
    sum_dense: np.ndarray = field(init=False)
    sum_title: np.ndarray = field(init=False)
    member_dense: list[np.ndarray] = field(default_factory=list)
    member_title: list[np.ndarray] = field(default_factory=list)
    member_ids: list[int | str] = field(default_factory=list)  # aligned with member_dense
    member_tfidf: list[dict[str, float]] = field(default_factory=list)
    terms: dict[str, float] = field(default_factory=dict)
    entities: Counter[str] = field(default_factory=Counter)
    numbers: set[str] = field(default_factory=set)
    outlets: set[str] = field(default_factory=set)
    titles: list[str] = field(default_factory=list)
    tmin: float | None = None
    tmax: float | None = None
    _terms_norm: float | None = None

    def __post_init__(self) -> None:
        self.sum_dense = np.zeros(self.dim, dtype=np.float32)
        self.sum_title = np.zeros(self.dim, dtype=np.float32)

    @property
    def size(self) -> int:
        return len(self.members)

    def centroid(self) -> np.ndarray:
        norm = float(np.linalg.norm(self.sum_dense))
        return self.sum_dense / norm if norm else self.sum_dense

    def title_centroid(self) -> np.ndarray:
        norm = float(np.linalg.norm(self.sum_title))
        return self.sum_title / norm if norm else self.sum_title

    @property
    def terms_norm(self) -> float:
        if self._terms_norm is None:
            self._terms_norm = math.sqrt(sum(w * w for w in self.terms.values())) or 1.0
        return self._terms_norm

    def add(self, art: ArticleRep, tfidf: dict[str, float]) -> None:
        self.members.append(art.id)
        self.sum_dense += art.dense
        self.sum_title += art.title_dense
        self.member_dense.append(art.dense)
        self.member_title.append(art.title_dense)
        self.member_ids.append(art.id)
        self.member_tfidf.append(tfidf)
        if len(self.member_dense) > MEMBER_VECTORS_KEPT:
            del self.member_dense[0], self.member_title[0]
            del self.member_ids[0], self.member_tfidf[0]
        for term, w in tfidf.items():
            self.terms[term] = self.terms.get(term, 0.0) + w
        if len(self.terms) > 2 * MAX_STORY_TERMS:
            keep = sorted(self.terms.items(), key=lambda kv: -kv[1])[:MAX_STORY_TERMS]
            self.terms = dict(keep)
        self._terms_norm = None
        self.entities.update(art.entities)
        self.numbers |= art.numbers
        if art.outlet:
            self.outlets.add(art.outlet)
        if art.title:
            self.titles.append(art.title)
        if art.time is not None:
            self.tmin = art.time if self.tmin is None else min(self.tmin, art.time)
            self.tmax = art.time if self.tmax is None else max(self.tmax, art.time)

    def absorb(self, other: StoryState) -> None:
        """Merge ``other`` into this story (consolidation)."""
        self.members.extend(other.members)
        self.sum_dense += other.sum_dense
        self.sum_title += other.sum_title
        keep = -MEMBER_VECTORS_KEPT
        self.member_dense = (self.member_dense + other.member_dense)[keep:]
        self.member_title = (self.member_title + other.member_title)[keep:]
        self.member_ids = (self.member_ids + other.member_ids)[keep:]
        self.member_tfidf = (self.member_tfidf + other.member_tfidf)[keep:]
        for term, w in other.terms.items():
            self.terms[term] = self.terms.get(term, 0.0) + w
        self._terms_norm = None
        self.entities.update(other.entities)
        self.numbers |= other.numbers
        self.outlets |= other.outlets
        self.titles.extend(other.titles)
        for t in (other.tmin, other.tmax):
            if t is not None:
                self.tmin = t if self.tmin is None else min(self.tmin, t)
                self.tmax = t if self.tmax is None else max(self.tmax, t)

    def remove(self, member_id: int | str) -> ArticleRep | None:
        """Take one member out (an outlier found by consolidation). Only members whose
        vectors are still kept can be removed; returns a representation to re-add."""
        if member_id not in self.member_ids or len(self.members) < 2:
            return None
        k = self.member_ids.index(member_id)
        dense, title, tfidf = self.member_dense[k], self.member_title[k], self.member_tfidf[k]
        del self.member_dense[k], self.member_title[k], self.member_ids[k], self.member_tfidf[k]
        self.members.remove(member_id)
        self.sum_dense -= dense
        self.sum_title -= title
        for term, w in tfidf.items():
            left = self.terms.get(term, 0.0) - w
            if left > 1e-6:
                self.terms[term] = left
            else:
                self.terms.pop(term, None)
        self._terms_norm = None
        return ArticleRep(id=member_id, dense=dense, title_dense=title, terms={})
