"""Compute what clustering needs of each article: embeddings, entities, numbers, terms.

The embeddings read the title and lead (the encoder's 256 tokens). Entities and numbers
read the title and the first 150 words, content-word counts the first 200, unless
``text_words`` asks for more: ``FULL_TEXT_WORDS`` reads the whole text of a long article,
which names who, where and how many far below its lead (the size-free experiments of
issue 14 used it; the shipped model was trained on the lead).

Shared by the service (which stores the result per article and content hash) and the
evaluation harness (which keeps it in a :class:`VectorCache`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from storyline.cluster.represent import terms_of
from storyline.nlp.encoder import Embedder, embedding_text
from storyline.nlp.entities import SignalExtractor
from storyline.storage.vectorcache import VectorCache

_SEP = "\n\x00\n"
FULL_TEXT_WORDS = 2000  # text_words for "the whole text"
LEAD_TERM_WORDS = 200  # content-word counts of the lead: words of the text read


@dataclass(slots=True)
class Vectors:
    dense: np.ndarray
    title_dense: np.ndarray
    entities: list[str]
    numbers: list[str]
    terms: dict[str, int]


class Vectorizer:
    """Batches articles through the embedder and the entity extractor."""

    term_words: int = LEAD_TERM_WORDS

    def __init__(self, embedder: Embedder | None = None,
                 extractor: SignalExtractor | None = None,
                 cache: VectorCache | None = None, text_words: int | None = None) -> None:
        self.embedder = embedder or Embedder()
        self.extractor = extractor or (SignalExtractor() if text_words is None
                                       else SignalExtractor(max_words=text_words))
        self.term_words = LEAD_TERM_WORDS if text_words is None else text_words
        self.cache = cache or VectorCache(None)

    @property
    def model_version(self) -> str:
        return self.embedder.model_version

    @property
    def signals_version(self) -> str:
        return self.extractor.version

    def vectorize(self, items: Sequence[tuple[str, str]]) -> list[Vectors]:
        if not items:
            return []
        bodies = [embedding_text(t or "", x or "") for t, x in items]
        titles = [(t or "").strip() or b[:200] for (t, _x), b in zip(items, bodies, strict=True)]
        version = self.embedder.model_version
        dense = self.cache.vectors(version, bodies, self.embedder.encode, self.embedder.dim)
        title_dense = self.cache.vectors(version, titles, self.embedder.encode,
                                         self.embedder.dim)

        def extract(keys: list[str]) -> list[list[list[str]]]:
            pairs = [tuple(k.split(_SEP, 1)) for k in keys]
            found = self.extractor.extract([(p[0], p[1]) for p in pairs])
            return [[s.entities, s.numbers] for s in found]

        keys = [f"{t or ''}{_SEP}{x or ''}" for t, x in items]
        signals = self.cache.records(self.extractor.version, keys, extract)
        return [
            Vectors(dense=dense[i], title_dense=title_dense[i], entities=signals[i][0],
                    numbers=signals[i][1],
                    terms=dict(terms_of(bodies[i] if self.term_words == LEAD_TERM_WORDS
                                        else embedding_text(items[i][0] or "",
                                                            items[i][1] or "",
                                                            self.term_words))))
            for i in range(len(items))
        ]
