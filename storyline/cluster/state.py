"""A story as the clustering keeps it in memory: running sums and sets, O(1) to update.

The state is a function of the story's members, not of the order they came in: the term
vector is the plain sum of the members' TF-IDF weights (each as it was when the member
joined; the service stores them), the kept members are the most recent by time, and the
counters are sums. A clusterer restarted from the database rebuilds exactly the state the
live one had, so a crash changes no later decision.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from storyline.cluster.represent import ArticleRep
from storyline.text.lexicon import WEEKDAYS


def weekdays_of(art: ArticleRep) -> frozenset[str]:
    """The weekdays an article's title and lead name ("... said on Tuesday"): reports of
    one event written the same day name the same day; a different day is another event
    (or a later development) even when every name and term is shared."""
    return frozenset(d for d in WEEKDAYS if d in art.terms)


def year_of(art: ArticleRep) -> int | None:
    """The latest year (1900-2099) an article's title and lead name, or None. A report
    names the year it was written in more often than any other ("... on March 3, 2013"),
    so two reports whose latest years are far apart are of different events even when
    neither carries a date: an archive of undated articles on two earthquakes in one
    region, eight years apart, tells them apart by the years their texts name."""
    latest = None
    for term in art.terms:
        if len(term) == 4 and term.isdigit() and term[:2] in ("19", "20"):
            year = int(term)
            if latest is None or year > latest:
                latest = year
    return latest


MEMBER_VECTORS_KEPT = 48  # most recent member vectors kept for the nearest-member features


def recency(member: tuple[ArticleRep, dict[str, float]]) -> tuple[float, str]:
    """The order of the kept members: by time (undated first), then id."""
    rep = member[0]
    return (-math.inf if rep.time is None else rep.time, str(rep.id))


@dataclass
class StoryState:
    id: int
    dim: int = 384
    members: list[int | str] = field(default_factory=list)
    sum_dense: np.ndarray = field(init=False)
    sum_title: np.ndarray = field(init=False)
    # The most recent members (``recency``), whole, with the TF-IDF weights they added:
    # the nearest-member features, split-offs and the central title read them.
    kept: list[tuple[ArticleRep, dict[str, float]]] = field(default_factory=list)
    terms: dict[str, float] = field(default_factory=dict)
    entities: Counter[str] = field(default_factory=Counter)
    numbers: Counter[str] = field(default_factory=Counter)
    outlets: set[str] = field(default_factory=set)
    # How many members name each weekday, and how many name any (``weekdays_of``).
    weekdays: Counter[str] = field(default_factory=Counter)
    weekday_members: int = 0
    # How many members name each latest year (``year_of``), and how many name one.
    years: Counter[int] = field(default_factory=Counter)
    year_members: int = 0
    tmin: float | None = None
    tmax: float | None = None
    _terms_norm: float | None = None
    _matrices: tuple[np.ndarray, np.ndarray] | None = field(default=None, init=False, repr=False)
    _centroids: tuple[np.ndarray, np.ndarray] | None = field(default=None, init=False,
                                                              repr=False)

    def __post_init__(self) -> None:
        self.sum_dense = np.zeros(self.dim, dtype=np.float32)
        self.sum_title = np.zeros(self.dim, dtype=np.float32)

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def member_dense(self) -> list[np.ndarray]:
        return [rep.dense for rep, _ in self.kept]

    @property
    def member_title(self) -> list[np.ndarray]:
        return [rep.title_dense for rep, _ in self.kept]

    def _stacked(self) -> tuple[np.ndarray, np.ndarray]:
        if self._matrices is None:
            self._matrices = (np.stack([rep.dense for rep, _ in self.kept]),
                              np.stack([rep.title_dense for rep, _ in self.kept]))
        return self._matrices

    def member_matrix(self) -> np.ndarray:
        """The kept members' title+lead vectors, one row each (cached until they change)."""
        return self._stacked()[0]

    def title_matrix(self) -> np.ndarray:
        """The kept members' title vectors, one row each."""
        return self._stacked()[1]

    @property
    def member_ids(self) -> list[int | str]:
        return [rep.id for rep, _ in self.kept]

    def _unit_sums(self) -> tuple[np.ndarray, np.ndarray]:
        if self._centroids is None:
            out = []
            for total in (self.sum_dense, self.sum_title):
                norm = math.sqrt(float(total @ total))
                out.append(total / norm if norm else total.copy())
            self._centroids = (out[0], out[1])
        return self._centroids

    def centroid(self) -> np.ndarray:
        """The members' mean title+lead vector, unit length (cached until it changes)."""
        return self._unit_sums()[0]

    def title_centroid(self) -> np.ndarray:
        return self._unit_sums()[1]

    def central_title(self) -> str | None:
        """The kept member title nearest the story's title centroid."""
        titled = [rep for rep, _ in self.kept if rep.title]
        if not titled:
            return None
        sims = np.stack([rep.title_dense for rep in titled]) @ self.title_centroid()
        return titled[int(np.argmax(sims))].title

    @property
    def terms_norm(self) -> float:
        if self._terms_norm is None:
            self._terms_norm = math.sqrt(sum(w * w for w in self.terms.values())) or 1.0
        return self._terms_norm

    def _add_terms(self, tfidf: dict[str, float], sign: float = 1.0) -> None:
        for term, w in tfidf.items():
            left = self.terms.get(term, 0.0) + sign * w
            if left > 1e-6:
                self.terms[term] = left
            else:
                self.terms.pop(term, None)
        self._terms_norm = None

    def _keep(self, members: list[tuple[ArticleRep, dict[str, float]]]) -> None:
        for member in members:
            bisect.insort(self.kept, member, key=recency)
        if len(self.kept) > MEMBER_VECTORS_KEPT:
            del self.kept[:len(self.kept) - MEMBER_VECTORS_KEPT]
        self._matrices = self._centroids = None

    def _add_time(self, t: float | None) -> None:
        if t is not None:
            self.tmin = t if self.tmin is None else min(self.tmin, t)
            self.tmax = t if self.tmax is None else max(self.tmax, t)

    def add(self, art: ArticleRep, tfidf: dict[str, float]) -> None:
        self.members.append(art.id)
        self.sum_dense += art.dense
        self.sum_title += art.title_dense
        self._keep([(art, tfidf)])
        self._add_terms(tfidf)
        self.entities.update(art.entities)
        self.numbers.update(art.numbers)
        if art.outlet:
            self.outlets.add(art.outlet)
        self._add_weekdays(art, 1)
        self._add_year(art, 1)
        self._add_time(art.time)

    def _add_weekdays(self, art: ArticleRep, sign: int) -> None:
        days = weekdays_of(art)
        if days:
            self.weekday_members += sign
            for d in days:
                self.weekdays[d] += sign

    def _add_year(self, art: ArticleRep, sign: int) -> None:
        year = year_of(art)
        if year is not None:
            self.year_members += sign
            self.years[year] += sign

    def year_share(self, year: int) -> float:
        """The share of the members naming a year whose latest year is within one of
        ``year`` (a report of late December and one of early January name two years)."""
        near = self.years.get(year - 1, 0) + self.years.get(year, 0) + self.years.get(year + 1, 0)
        return near / self.year_members

    def absorb(self, other: StoryState) -> None:
        """Merge ``other`` into this story (consolidation)."""
        self.members.extend(other.members)
        self.sum_dense += other.sum_dense
        self.sum_title += other.sum_title
        self._keep(other.kept)
        self._add_terms(other.terms)
        self.entities.update(other.entities)
        self.numbers.update(other.numbers)
        self.outlets |= other.outlets
        self.weekdays.update(other.weekdays)
        self.weekday_members += other.weekday_members
        self.years.update(other.years)
        self.year_members += other.year_members
        self._add_time(other.tmin)
        self._add_time(other.tmax)

    def remove(self, member_id: int | str) -> tuple[ArticleRep, dict[str, float]] | None:
        """Take one member out (an outlier found by consolidation). Only kept members can
        be removed; returns the member and its TF-IDF weights, to re-add elsewhere."""
        ids = self.member_ids
        if member_id not in ids or len(self.members) < 2:
            return None
        rep, tfidf = self.kept.pop(ids.index(member_id))
        self._matrices = self._centroids = None
        self.members.remove(member_id)
        self.sum_dense -= rep.dense
        self.sum_title -= rep.title_dense
        self._add_terms(tfidf, -1.0)
        self.entities.subtract(rep.entities)
        self.numbers.subtract(rep.numbers)
        self._add_weekdays(rep, -1)
        self._add_year(rep, -1)
        self.weekdays += Counter()
        self.years += Counter()
        self.entities += Counter()  # drop the entries that fell to zero
        self.numbers += Counter()
        return rep, tfidf
