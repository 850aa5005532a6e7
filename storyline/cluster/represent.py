"""What the clustering sees of an article, and the online term statistics.

An :class:`ArticleRep` is built once per article (from stored vectors and signals):
dense embeddings of title+lead and of the title, term counts of title+lead, named
entities and numbers, a time in days (None when unknown) and the outlet.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from storyline.text.lexicon import (
    EVENT_NEUTRAL_WORDS,
    FUNCTION_WORDS,
    HONORIFICS,
    NEWS_FILLER,
    REPORTING_VERBS,
    WIRE_SERVICES,
)

# What clustering (and the writer's content words) ignores: function words, attribution,
# news filler, the words every report shares, wire-service bylines and honorifics (never
# "dr"; no user reads words under three letters anyway).
STOPWORDS = (FUNCTION_WORDS | REPORTING_VERBS | NEWS_FILLER | EVENT_NEUTRAL_WORDS
             | WIRE_SERVICES | (HONORIFICS - {"dr"}))

_TOKEN = re.compile(r"[^\W\d_][\w'’-]*[^\W_]|\d[\d,.]*\d|\d", re.UNICODE)
MAX_TERM_LEN = 48
SECONDS_PER_DAY = 86400.0


def terms_of(text: str) -> Counter[str]:
    """Lower-cased content words (and numbers) of ``text`` with a light plural strip."""
    out: Counter[str] = Counter()
    for tok in _TOKEN.findall(text.lower()):
        tok = tok.replace("’", "'")
        if tok.endswith("'s"):
            tok = tok[:-2]
        if len(tok) < 3 and not tok.isdigit():
            continue
        if tok in STOPWORDS or len(tok) > MAX_TERM_LEN:
            continue
        if len(tok) > 4 and tok.endswith("s") and not tok.endswith(("ss", "us", "is")):
            tok = tok[:-1]
        out[tok] += 1
    return out


def to_days(value: datetime | None) -> float | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp() / SECONDS_PER_DAY


@dataclass(slots=True)
class ArticleRep:
    id: int | str
    dense: np.ndarray
    title_dense: np.ndarray
    terms: dict[str, int]
    entities: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()
    time: float | None = None  # days since the epoch
    outlet: str | None = None
    title: str = ""
    duplicate_of: int | str | None = None


# The background the online IDF starts from: BACKGROUND_DOCS imagined documents of
# general English of BACKGROUND_DOC_WORDS words each, in which a word of frequency f
# (wordfreq's, per word of running text) appears in min(1, f * BACKGROUND_DOC_WORDS) of
# them. Without it the IDF of a small import is the IDF of that import alone: 84
# articles of three topics, 39 of them on a star entering rehab, give "rehab" and the
# star's name no weight at all, and reports of one event look unrelated. The stream's
# own counts outweigh the background once it holds more than BACKGROUND_DOCS articles.
BACKGROUND_DOCS = 5000
BACKGROUND_DOC_WORDS = 100


def background_share(text: str) -> float:
    """The share of background documents that contain ``text`` (a term or an entity)."""
    from wordfreq import word_frequency

    return min(1.0, float(word_frequency(text, "en")) * BACKGROUND_DOC_WORDS)


@dataclass
class TermStats:
    """Document frequencies of terms and entities seen so far (online IDF), over a
    background of general English (``BACKGROUND_DOCS``)."""

    n: int = 0
    df: Counter[str] = field(default_factory=Counter)
    edf: Counter[str] = field(default_factory=Counter)
    dirty: set[str] = field(default_factory=set)
    background_docs: int = BACKGROUND_DOCS
    # background document counts, looked up once per term ("e:" + entity for entities)
    _prior: dict[str, float] = field(default_factory=dict, repr=False)

    def _idf(self, count: int, key: str, text: str) -> float:
        """log((documents + 1) / (containing + 1)) + 1 over the stream and the background
        (the background count of ``text`` looked up once, under ``key``)."""
        prior = self._prior.get(key)
        if prior is None:
            prior = self._prior[key] = (self.background_docs * background_share(text)
                                        if self.background_docs else 0.0)
        return math.log((self.n + self.background_docs + 1) / (count + prior + 1)) + 1.0

    def observe(self, terms: Iterable[str], entities: Iterable[str]) -> None:
        self.n += 1
        for t in set(terms):
            self.df[t] += 1
            self.dirty.add(t)
        for e in set(entities):
            self.edf[e] += 1
            self.dirty.add("e:" + e)

    def idf(self, term: str) -> float:
        return self._idf(self.df.get(term, 0), term, term)

    def eidf(self, entity: str) -> float:
        return self._idf(self.edf.get(entity, 0), "e:" + entity, entity)

    @property
    def max_idf(self) -> float:
        return math.log(self.n + self.background_docs + 1) + 1.0

    def tfidf(self, terms: dict[str, int]) -> dict[str, float]:
        """L2-normalised sublinear TF-IDF weights."""
        weights = {t: (1.0 + math.log(c)) * self.idf(t) for t, c in terms.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {t: w / norm for t, w in weights.items()}
