"""Pairwise features between an article and a candidate story.

Every feature is a similarity in [0, 1] (or a log time gap), so the learned pair model
stays small and transfers across sources: dense similarity to the story centroid and to
its nearest member (title+lead and title alone), TF-IDF cosine, IDF-weighted entity
coverage and Jaccard, number overlap, the rarest shared term, and the time gap.
"""

from __future__ import annotations

import math

import numpy as np

from storyline.cluster.represent import ArticleRep, TermStats
from storyline.cluster.state import StoryState

FEATURES = (
    "dense_centroid",  # cos(article title+lead, story centroid)
    "dense_nearest",  # max cos to a member (title+lead)
    "title_centroid",  # cos(article title, story title centroid)
    "title_nearest",  # max cos to a member title
    "lexical",  # TF-IDF cosine with the story's term vector
    "entity_coverage",  # IDF-weighted share of the article's entities the story has
    "entity_jaccard",  # Jaccard of entity sets
    "has_entities",  # the article has named entities at all
    "number_jaccard",  # Jaccard of numbers
    "time_gap",  # log(1 + days outside the story's time span); 0 when unknown
    "rare_term",  # IDF of the rarest shared term, scaled to [0, 1]
    "dense_mean",  # mean cos to the kept members (average linkage; size-robust)
    "title_mean",  # mean cos to the kept members' titles
    "log_size",  # log(1 + story size): nearest-member similarity grows with size
    "log_terms",  # log(1 + content words in the article's title+lead): short texts are noisier
)


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
    coverage = jaccard = 0.0
    if ents:
        story_ents = story.entities.keys()
        shared = [e for e in ents if e in story_ents]
        if shared:
            total = sum(stats.eidf(e) for e in ents)
            coverage = sum(stats.eidf(e) for e in shared) / total
            jaccard = len(shared) / len(ents | story_ents)
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
    return [dense_centroid, dense_nearest, title_centroid, title_nearest, lexical, coverage,
            jaccard, 1.0 if ents else 0.0, numbers, gap, rare, float(member_sims.mean()),
            float(title_sims.mean()), math.log1p(story.size),
            math.log1p(sum(art.terms.values()))]
