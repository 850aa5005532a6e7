"""Pairwise features between an article and a candidate story.

Every feature is a similarity in [0, 1] (or a log time gap, or a difference of
similarities), so the learned pair model stays small and transfers across sources: dense
similarity to the story centroid and to its nearest member (title+lead and title alone),
TF-IDF cosine of full-text terms, IDF-weighted entity coverage, Jaccard and support
(entities and numbers of the whole text), number overlap, the rarest shared term, the
time gap, and how well the article fits the story compared with how well its members fit
each other.

``FEATURES`` is what the code computes; a model names the subset it reads, by name
(``tools/cv_pair_model.py`` compares subsets out of fold). The last two, ``log_size`` and
``log_terms``, are read by the shipped model only: on the dev sets they learn how each
data set was built (every NeuS and BASIL story has three articles) and split big stories
into threes (issue 14, see docs/clustering.md). The size-free candidates before them let
story size act only through what it changes for real: a bigger story's centroid,
cohesion and entity profile are steadier.
"""

from __future__ import annotations

import math

import numpy as np

from storyline.cluster.represent import ArticleRep, TermStats
from storyline.cluster.state import StoryState, weekdays_of, year_of

FEATURES = (
    "dense_centroid",  # cos(article title+lead, story centroid)
    "dense_nearest",  # max cos to a kept member (title+lead)
    "title_centroid",  # cos(article title, story title centroid)
    "title_nearest",  # max cos to a kept member title
    "lexical",  # TF-IDF cosine with the story's term vector
    "entity_coverage",  # IDF-weighted share of the article's entities the story has
    "entity_jaccard",  # Jaccard of entity sets
    "has_entities",  # the article has named entities at all
    "number_jaccard",  # Jaccard of numbers
    "time_gap",  # log(1 + days outside the story's time span); 0 when unknown
    "rare_term",  # IDF of the rarest shared term, scaled to [0, 1]
    "dense_mean",  # mean cos to the kept members (average linkage)
    "title_mean",  # mean cos to the kept members' titles
    "entity_support",  # IDF-weighted mean share of the story's members naming each entity
    "dense_fit",  # mean cos to all members minus the members' mean pairwise cos (0: one)
    "title_fit",  # the same for titles
    "dense_cohesion",  # the members' mean pairwise cos (title+lead; 1 for one member)
    "dense_min",  # min cos to a kept member (complete linkage)
    "log_size",  # log(1 + story size) -- a data-set artefact on the dev sets (issue 14)
    "log_terms",  # log(1 + content words in the article's text read)
    "time_gap_known",  # time_gap, but missing (NaN) when either side has no time
    "number_known",  # number_jaccard, but missing (NaN) when either side has no numbers
    "weekday",  # share of the story's members naming a weekday that name one the article
    # names; missing (NaN) when the article or no member names a weekday
    "year",  # share of the story's members naming a year whose latest year is within one
    # of the article's latest (``year_of``); missing (NaN) when either names none
)

# Groups of features computed together; a model that reads none of a group's features
# does not pay for it (``pair_features(..., wanted=model.reads)``).
_MEMBERS = frozenset({"dense_nearest", "dense_mean", "dense_min"})
_TITLES = frozenset({"title_nearest", "title_mean"})
_TERMS = frozenset({"lexical", "rare_term"})
_ENTITIES = frozenset({"entity_coverage", "entity_jaccard", "entity_support"})
_FIT = frozenset({"dense_fit", "title_fit", "dense_cohesion"})
_INDEX = {name: i for i, name in enumerate(FEATURES)}


def _mean_pairwise(total: np.ndarray, n: int) -> float:
    """Mean pairwise cosine of ``n`` unit vectors summing to ``total``: exact, O(dim)."""
    if n < 2:
        return 1.0
    return (float(total @ total) - n) / (n * (n - 1))


def pair_features(art: ArticleRep, tfidf: dict[str, float], story: StoryState,
                  stats: TermStats, centroid: np.ndarray | None = None,
                  wanted: frozenset[str] | None = None) -> list[float]:
    """The features of ``FEATURES`` for (article, story), in that order. With ``wanted``
    (the names a model reads) only those are computed; the others are 0."""
    out = [0.0] * len(FEATURES)

    def want(group: frozenset[str]) -> bool:
        return wanted is None or not group.isdisjoint(wanted)

    def put(name: str, value: float) -> None:
        out[_INDEX[name]] = value

    if want(frozenset({"dense_centroid"})):
        centroid = story.centroid() if centroid is None else centroid
        put("dense_centroid", float(art.dense @ centroid))
    if want(_MEMBERS):
        member_sims = story.member_matrix() @ art.dense
        put("dense_nearest", float(member_sims.max()))
        put("dense_mean", float(member_sims.sum()) / len(member_sims))
        put("dense_min", float(member_sims.min()))
    if want(frozenset({"title_centroid"})):
        put("title_centroid", float(art.title_dense @ story.title_centroid()))
    if want(_TITLES):
        title_sims = story.title_matrix() @ art.title_dense
        put("title_nearest", float(title_sims.max()))
        put("title_mean", float(title_sims.sum()) / len(title_sims))

    if want(_TERMS):
        lexical = rare = 0.0
        story_terms = story.terms
        for term, w in tfidf.items():
            sw = story_terms.get(term)
            if sw:
                lexical += w * sw
                rare = max(rare, stats.idf(term))
        put("lexical", lexical / story.terms_norm)
        put("rare_term", rare / stats.max_idf)

    ents = art.entities
    put("has_entities", 1.0 if ents else 0.0)
    if ents and want(_ENTITIES):
        story_ents = story.entities
        size = max(story.size, 1)
        total = covered = held = 0.0
        shared = 0
        for e in ents:
            w = stats.eidf(e)
            total += w
            k = story_ents.get(e, 0)
            if k > 0:
                shared += 1
                covered += w
                held += w * min(1.0, k / size)
        put("entity_coverage", covered / total)
        put("entity_support", held / total)
        if shared:
            put("entity_jaccard", shared / (len(ents) + len(story_ents) - shared))
    if want(frozenset({"number_jaccard", "number_known"})):
        numbers = math.nan
        if art.numbers and story.numbers:
            story_numbers = story.numbers.keys()
            numbers = len(art.numbers & story_numbers) / len(art.numbers | story_numbers)
        put("number_jaccard", 0.0 if math.isnan(numbers) else numbers)
        put("number_known", numbers)

    if want(frozenset({"weekday"})):
        day_share = math.nan
        days = weekdays_of(art)
        if days and story.weekday_members:
            # members naming several days count once per day: capped at 1
            day_share = min(1.0, sum(story.weekdays.get(d, 0) for d in days)
                            / story.weekday_members)
        put("weekday", day_share)

    if want(frozenset({"year"})):
        year = year_of(art)
        put("year", story.year_share(year) if year is not None and story.year_members
            else math.nan)

    gap = math.nan
    if art.time is not None and story.tmin is not None and story.tmax is not None:
        gap = 0.0
        if art.time < story.tmin:
            gap = story.tmin - art.time
        elif art.time > story.tmax:
            gap = art.time - story.tmax
        gap = math.log1p(gap)
    put("time_gap", 0.0 if math.isnan(gap) else gap)
    put("time_gap_known", gap)

    n = story.size
    if want(_FIT):
        cohesion = _mean_pairwise(story.sum_dense, n)
        put("dense_cohesion", cohesion)
        if n >= 2:
            put("dense_fit", float(art.dense @ story.sum_dense) / n - cohesion)
            put("title_fit", float(art.title_dense @ story.sum_title) / n
                - _mean_pairwise(story.sum_title, n))
    put("log_size", math.log1p(n))
    put("log_terms", math.log1p(sum(art.terms.values())))
    return out
