"""The embedder's memo of recent texts: exact, bounded, and shared by repeated calls."""

from __future__ import annotations

import numpy as np

from storyline.nlp.encoder import Embedder


def test_memo_returns_identical_vectors_and_stays_bounded() -> None:
    emb = Embedder(memo_size=3)
    texts = ["Talks resumed in Geneva.", "Drones struck overnight.", "Talks resumed in Geneva."]
    first = emb.encode(texts)
    assert np.array_equal(first[0], first[2])  # a repeated text is encoded once
    again = emb.encode(["Drones struck overnight."])
    assert np.array_equal(again[0], first[1])
    emb.encode(["One.", "Two words.", "Three words here."])
    assert len(emb._memo) == 3 and "Talks resumed in Geneva." not in emb._memo
    fresh = Embedder(memo_size=0).encode(["Talks resumed in Geneva."])
    assert float(fresh[0] @ first[0]) > 0.999  # the memo changes nothing
