"""Online story clustering, in memory. The service and the evaluation harness share it.

Each article is assigned on arrival, in publication order; nothing is re-clustered
globally. Candidate stories come from an index of the *active* stories (those with an
article within ``window_days`` of the newest time seen): their centroids sit in one
matrix, so finding the ``candidates`` nearest costs O(active stories × dim) — bounded by
the arrival rate times the window, not by the size of the archive. Each candidate is
scored by the learned pair model; the article joins the best story at or above the
model's threshold, or starts a new one. Near-duplicates join their original's story.

Every ``consolidate_every`` assignments (counted over the whole history, so a clusterer
restarted from the database consolidates where the live one would have), the stories
touched since the last pass are compared with their nearest active neighbours and merged
when the pair model (story vs story) says they converged; members that no longer fit
their story are split off.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from storyline.cluster.features import pair_features
from storyline.cluster.model import PairModel
from storyline.cluster.represent import ArticleRep, TermStats
from storyline.cluster.state import StoryState


@dataclass(frozen=True)
class EngineConfig:
    window_days: float = 7.0  # a story takes new articles this long after its last one
    candidates: int = 20  # nearest active stories scored by the pair model
    consolidate_every: int = 200  # assignments between consolidation passes
    merge_neighbours: int = 3  # stories compared with each touched story when consolidating
    merge_max_small: int = 8  # consolidation repairs fragments: the smaller side is at most
    # this big (two established stories are different events unless articles say otherwise)
    split_threshold: float = 0.25  # cosine of a member to the rest below this splits it off
    dim: int = 384


@dataclass(slots=True)
class Assignment:
    article_id: int | str
    story_id: int
    score: float | None
    created: bool
    reason: str  # model | new | duplicate
    weights: dict[str, float] = field(default_factory=dict)  # the TF-IDF it added


@dataclass
class ConsolidationReport:
    merged: list[tuple[int, int]] = field(default_factory=list)  # (absorbed, into)
    split: list[tuple[int | str, int, int]] = field(default_factory=list)  # (article, from, to)


def stored_weights(tfidf: dict[str, float]) -> dict[str, float]:
    """``tfidf`` at the precision it is stored with (float32, ``pack_weights``): a story
    rebuilt from the database sums the very numbers the live one summed."""
    values = np.fromiter(tfidf.values(), dtype=np.float32, count=len(tfidf))
    return dict(zip(tfidf, values.tolist(), strict=True))


def pack_weights(weights: dict[str, float]) -> bytes:
    """A member's weights for storage, in the order of its terms (little-endian float32)."""
    return np.fromiter(weights.values(), dtype="<f4", count=len(weights)).tobytes()


def unpack_weights(terms: dict[str, int], data: bytes | None) -> dict[str, float] | None:
    """The weights ``pack_weights`` stored for an article with these ``terms`` (None when
    none were stored or they do not fit the terms)."""
    if not data or len(data) != 4 * len(terms):
        return None
    return dict(zip(terms, np.frombuffer(data, dtype="<f4").tolist(), strict=True))


class ClusterEngine:
    def __init__(self, model: PairModel, config: EngineConfig | None = None,
                 stats: TermStats | None = None, next_story_id: int = 1) -> None:
        self.model = model
        self.config = config or EngineConfig()
        self.stats = stats or TermStats()
        self.next_story_id = next_story_id
        self.stories: dict[int, StoryState] = {}
        self.article_story: dict[int | str, int] = {}
        self.touched: set[int] = set()  # stories changed since the caller last looked
        self.merged_into: dict[int, int] = {}
        self.expired: set[int] = set()  # left the index; kept until forget_expired()
        self.clock: float | None = None  # newest article time seen
        self._pending: set[int] = set()  # touched since the last consolidation
        self._ids: list[int] = []
        self._row: dict[int, int] = {}
        self._mat = np.zeros((64, self.config.dim), dtype=np.float32)
        self._tmin = np.full(64, np.nan)
        self._tmax = np.full(64, np.nan)

    # ---- index -------------------------------------------------------------------
    def _index_put(self, story: StoryState) -> None:
        row = self._row.get(story.id)
        if row is None:
            row = len(self._ids)
            if row == len(self._mat):
                self._mat = np.vstack([self._mat, np.zeros_like(self._mat)])
                self._tmin = np.concatenate([self._tmin, np.full(len(self._tmin), np.nan)])
                self._tmax = np.concatenate([self._tmax, np.full(len(self._tmax), np.nan)])
            self._ids.append(story.id)
            self._row[story.id] = row
        self._mat[row] = story.centroid()
        self._tmin[row] = np.nan if story.tmin is None else story.tmin
        self._tmax[row] = np.nan if story.tmax is None else story.tmax

    def _index_drop(self, story_id: int) -> None:
        row = self._row.pop(story_id, None)
        if row is None:
            return
        last = len(self._ids) - 1
        if row != last:
            moved = self._ids[last]
            self._ids[row] = moved
            self._row[moved] = row
            self._mat[row] = self._mat[last]
            self._tmin[row] = self._tmin[last]
            self._tmax[row] = self._tmax[last]
        self._ids.pop()

    @property
    def active_count(self) -> int:
        return len(self._ids)

    def _candidates(self, dense: np.ndarray, time: float | None, exclude: int | None = None,
                    k: int | None = None) -> list[int]:
        n = len(self._ids)
        if n == 0:
            return []
        sims = self._mat[:n] @ dense
        if time is not None:
            w = self.config.window_days
            tmin, tmax = self._tmin[:n], self._tmax[:n]
            with np.errstate(invalid="ignore"):
                out = (tmax < time - w) | (tmin > time + w)
            sims = np.where(out, -np.inf, sims)
        if exclude is not None and exclude in self._row:
            sims[self._row[exclude]] = -np.inf
        k = min(k or self.config.candidates, n)
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top])]
        return [self._ids[i] for i in top if np.isfinite(sims[i])]

    # ---- assignment ----------------------------------------------------------------
    def add_story(self, story: StoryState) -> None:
        """Load an existing story (service start-up)."""
        self.stories[story.id] = story
        for member in story.members:
            self.article_story[member] = story.id
        self.next_story_id = max(self.next_story_id, story.id + 1)
        self._index_put(story)

    def resolve(self, story_id: int) -> int:
        while story_id in self.merged_into:
            story_id = self.merged_into[story_id]
        return story_id

    def assign(self, art: ArticleRep) -> Assignment:
        self.stats.observe(art.terms, art.entities)
        tfidf = stored_weights(self.stats.tfidf(art.terms))
        if art.time is not None:
            self.clock = art.time if self.clock is None else max(self.clock, art.time)

        if art.duplicate_of is not None and art.duplicate_of in self.article_story:
            target = self.resolve(self.article_story[art.duplicate_of])
            if target in self.stories:
                return self._join(art, tfidf, target, 1.0, "duplicate")

        best_id, best_p = None, 0.0
        cands = self._candidates(art.dense, art.time)
        if cands:
            wanted = self.model.reads
            feats = np.array([pair_features(art, tfidf, self.stories[c], self.stats,
                                            wanted=wanted) for c in cands])
            probs = self.model.score(feats)
            i = int(np.argmax(probs))
            best_id, best_p = cands[i], float(probs[i])
        if best_id is not None and best_p >= self.model.threshold:
            return self._join(art, tfidf, best_id, best_p, "model")
        story = StoryState(id=self.next_story_id, dim=self.config.dim)
        self.next_story_id += 1
        self.stories[story.id] = story
        return self._join(art, tfidf, story.id, best_p if cands else None, "new", created=True)

    def _join(self, art: ArticleRep, tfidf: dict[str, float], story_id: int,
              score: float | None, reason: str, created: bool = False) -> Assignment:
        story = self.stories[story_id]
        story.add(art, tfidf)
        self.article_story[art.id] = story_id
        self._index_put(story)
        self.touched.add(story_id)
        self._pending.add(story_id)
        if self.stats.n % self.config.consolidate_every == 0:
            self.consolidate()
        return Assignment(art.id, story_id, score, created, reason, tfidf)

    # ---- consolidation ---------------------------------------------------------------
    def _story_as_article(self, story: StoryState) -> tuple[ArticleRep, dict[str, float]]:
        rep = ArticleRep(
            id=-story.id, dense=story.centroid(), title_dense=story.title_centroid(),
            terms={}, entities=frozenset(e for e, n in story.entities.items()
                                         if n * 2 >= story.size or story.size < 3),
            numbers=frozenset(story.numbers),
            time=None if story.tmin is None else (story.tmin + (story.tmax or story.tmin)) / 2,
        )
        norm = story.terms_norm
        return rep, {t: w / norm for t, w in story.terms.items()}

    def owe_consolidation(self, story_ids: set[int]) -> None:
        """Consider these stories at the next consolidation, as if touched since the last
        (a clusterer replaying a run whose consolidation was never committed)."""
        self._pending.update(sid for sid in story_ids if sid in self.stories)

    def consolidate(self) -> ConsolidationReport:
        """Merge touched stories into converged neighbours; split off misfit members."""
        report = ConsolidationReport()
        pending, self._pending = self._pending, set()
        for sid in sorted(pending):
            sid = self.resolve(sid)
            story = self.stories.get(sid)
            if story is None or sid not in self._row:
                continue
            self._split_misfits(story, report)
            rep, _ = self._story_as_article(story)
            for other_id in self._candidates(rep.dense, rep.time, exclude=sid,
                                             k=self.config.merge_neighbours):
                other = self.stories.get(other_id)
                if other is None or min(other.size, story.size) > self.config.merge_max_small:
                    continue
                # Score the smaller story as if it were an article arriving at the bigger.
                big, small = (other, story) if other.size >= story.size else (story, other)
                small_rep, small_tfidf = self._story_as_article(small)
                p = float(self.model.score(np.array([pair_features(
                    small_rep, small_tfidf, big, self.stats, wanted=self.model.reads)]))[0])
                if p < self.model.merge_threshold:
                    continue
                self._merge(small, big, report)
                story, sid = big, big.id
                rep, _ = self._story_as_article(story)
        self._expire()
        return report

    def _merge(self, small: StoryState, big: StoryState, report: ConsolidationReport) -> None:
        big.absorb(small)
        for member in small.members:
            self.article_story[member] = big.id
        self.merged_into[small.id] = big.id
        del self.stories[small.id]
        self._index_drop(small.id)
        self._index_put(big)
        self.touched.update({small.id, big.id})
        report.merged.append((small.id, big.id))

    def _split_misfits(self, story: StoryState, report: ConsolidationReport) -> None:
        if story.size < 4 or len(story.kept) < 4:
            return
        vecs = story.member_matrix()
        rest = (story.sum_dense[None, :] - vecs)
        rest /= np.maximum(np.linalg.norm(rest, axis=1, keepdims=True), 1e-9)
        fit = np.einsum("ij,ij->i", vecs, rest)
        worst = int(np.argmin(fit))
        if fit[worst] >= self.config.split_threshold:
            return
        member = story.member_ids[worst]
        removed = story.remove(member)
        if removed is None:
            return
        rep, tfidf = removed
        new = StoryState(id=self.next_story_id, dim=self.config.dim)
        self.next_story_id += 1
        self.stories[new.id] = new
        new.add(rep, tfidf)
        self.article_story[member] = new.id
        self._index_put(new)
        self._index_put(story)
        self.touched.update({story.id, new.id})
        report.split.append((member, story.id, new.id))

    def _expire(self) -> None:
        """Drop stories that can no longer take articles from the in-memory index."""
        if self.clock is None:
            return
        horizon = self.clock - 2 * self.config.window_days
        n = len(self._ids)
        with np.errstate(invalid="ignore"):
            old = np.nonzero(self._tmax[:n] < horizon)[0]
        for sid in [self._ids[i] for i in old]:
            self._index_drop(sid)
            self.expired.add(sid)

    def forget_expired(self) -> None:
        """Free the memory of expired stories once the caller has saved them."""
        for sid in self.expired:
            story = self.stories.pop(sid, None)
            if story is not None:
                for member in story.members:
                    self.article_story.pop(member, None)
        self.expired.clear()
