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
from storyline.cluster.state import StoryState

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
)


def _mean_pairwise(total: np.ndarray, n: int) -> float:
    """Mean pairwise cosine of ``n`` unit vectors summing to ``total``: exact, O(dim)."""
    if n < 2:
        return 1.0
    return (float(total @ total) - n) / (n * (n - 1))


def pair_features(art: ArticleRep, tfidf: dict[str, float], story: StoryState,
                  stats: TermStats, centroid: np.ndarray | None = None) -> list[float]:
    centroid = story.centroid() if centroid is None else centroid
    dense_centroid = float(art.dense @ centroid)
    member_sims = np.stack(story.member_dense) @ art.dense
    title_sims = np.stack(story.member_title) @ art.title_dense
    dense_nearest = float(member_sims.max())
    title_centroid = float(art.title_dense @ story.title_centroid())
    title_nearest = float(title_sims.max())

    lexical = 0.0
    rare = 0.0
    for term, w in tfidf.items():
        sw = story.terms.get(term)
        if sw:
            lexical += w * sw
            rare = max(rare, stats.idf(term))
    lexical /= story.terms_norm
    rare /= stats.max_idf

    ents = art.entities
    coverage = jaccard = support = 0.0
    if ents:
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
        coverage = covered / total
        support = held / total
        if shared:
            jaccard = shared / (len(ents) + len(story_ents) - shared)
    numbers = 0.0
    if art.numbers and story.numbers:
        story_numbers = story.numbers.keys()
        numbers = len(art.numbers & story_numbers) / len(art.numbers | story_numbers)

    gap = 0.0
    if art.time is not None and story.tmin is not None and story.tmax is not None:
        if art.time < story.tmin:
            gap = story.tmin - art.time
        elif art.time > story.tmax:
            gap = art.time - story.tmax
        gap = math.log1p(gap)

    n = story.size
    cohesion = _mean_pairwise(story.sum_dense, n)
    dense_fit = title_fit = 0.0
    if n >= 2:
        dense_fit = float(art.dense @ story.sum_dense) / n - cohesion
        title_fit = (float(art.title_dense @ story.sum_title) / n
                     - _mean_pairwise(story.sum_title, n))
    return [dense_centroid, dense_nearest, title_centroid, title_nearest, lexical, coverage,
            jaccard, 1.0 if ents else 0.0, numbers, gap, rare, float(member_sims.mean()),
            float(title_sims.mean()), support, dense_fit, title_fit, cohesion,
            float(member_sims.min()), math.log1p(n), math.log1p(sum(art.terms.values()))]
