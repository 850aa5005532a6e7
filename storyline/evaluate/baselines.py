"""Baselines scored in the same run as the writer, on the same inputs.

* LexRank (Erkan & Radev 2004): sentences of the story's articles as nodes, TF-IDF
  cosine above 0.1 as edges, PageRank (damping 0.85) as the score; sentences taken best
  first until the summary reaches a word budget (the writer's own length for the story),
  then cut at exactly that many words, so the comparison is length-matched.
* Central title: the article title closest to the mean of all titles (TF-IDF cosine).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from storyline.text.sentences import split_sentences

__all__ = ["LexRank", "central_title"]

EDGE_THRESHOLD = 0.1
DAMPING = 0.85
MIN_LEXRANK_SENTENCE_WORDS = 5  # shorter sentences are no LexRank candidates


class LexRank:
    def __init__(self, corpus: Sequence[str]) -> None:
        """``corpus``: texts to learn IDF from (all articles of the evaluation file)."""
        self.tfidf = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit(corpus)

    def summarize(self, texts: Sequence[str], budget_words: int) -> str:
        sentences = []
        for text in texts:
            flat = " ".join(text.split())
            sentences += [flat[a:b].strip() for a, b in split_sentences(flat)
                          if len(flat[a:b].split()) >= MIN_LEXRANK_SENTENCE_WORDS]
        if not sentences:
            return ""
        m = self.tfidf.transform(sentences)
        sims = (m @ m.T).toarray()
        adj = (sims > EDGE_THRESHOLD).astype(float)
        adj /= np.maximum(adj.sum(axis=1, keepdims=True), 1.0)
        n = len(sentences)
        rank = np.full(n, 1.0 / n)
        for _ in range(100):
            new = (1 - DAMPING) / n + DAMPING * adj.T @ rank
            if float(np.abs(new - rank).sum()) < 1e-8:
                break
            rank = new
        out: list[int] = []
        words = 0
        for i in np.argsort(-rank, kind="stable"):
            if words >= budget_words:
                break
            out.append(int(i))
            words += len(sentences[i].split())
        # Cut at the budget (the DUC convention): the same length as the writer's.
        return " ".join(" ".join(sentences[i] for i in sorted(out)).split()[:budget_words])


def central_title(titles: Sequence[str], tfidf: TfidfVectorizer) -> str:
    titles = [t for t in titles if t.strip()]
    if not titles:
        return ""
    m = tfidf.transform(titles).toarray()
    centre = m.mean(axis=0)
    return titles[int(np.argmax(m @ centre))]
