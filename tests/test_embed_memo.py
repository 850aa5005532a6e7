"""The embedder's memo of recent texts: exact, bounded, and shared by repeated calls."""

from __future__ import annotations

import numpy as np
import pytest

from storyline.nlp.encoder import Embedder


def count_model_texts(emb: Embedder, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts the model itself encodes from now on (the memo's misses), in order."""
    seen: list[str] = []
    encode_batch = emb._encode_batch

    def counting(batch: list[str]) -> np.ndarray:
        seen.extend(batch)
        return encode_batch(batch)

    monkeypatch.setattr(emb, "_encode_batch", counting)
    return seen


def test_memo_returns_identical_vectors_and_stays_bounded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    emb = Embedder(memo_size=3)
    model_texts = count_model_texts(emb, monkeypatch)
    texts = ["Talks resumed in Geneva.", "Drones struck overnight.", "Talks resumed in Geneva."]
    first = emb.encode(texts)
    assert np.array_equal(first[0], first[2])
    assert sorted(model_texts) == ["Drones struck overnight.", "Talks resumed in Geneva."]

    again = emb.encode(["Drones struck overnight.", "Talks resumed in Geneva."])
    assert np.array_equal(again, first[[1, 0]])
    assert len(model_texts) == 2  # both came from the memo: the model was not called

    emb.encode(["One.", "Two words.", "Three words here."])
    assert len(model_texts) == 5
    assert len(emb._memo) == 3 and "Talks resumed in Geneva." not in emb._memo
    emb.encode(["Talks resumed in Geneva."])  # evicted, so encoded again
    assert model_texts[5:] == ["Talks resumed in Geneva."]

    plain = Embedder(memo_size=0)
    plain_texts = count_model_texts(plain, monkeypatch)
    fresh = plain.encode(["Talks resumed in Geneva."])
    plain.encode(["Talks resumed in Geneva."])
    assert plain_texts == ["Talks resumed in Geneva."] * 2  # no memo: every call encodes
    assert float(fresh[0] @ first[0]) > 0.999  # the memo changes nothing


def test_recent_memo_keeps_the_most_recently_used_and_computes_the_rest_once() -> None:
    from storyline.text.memo import RecentMemo

    memo: RecentMemo[int] = RecentMemo(2)
    calls: list[list[str]] = []

    def length(texts: list[str]) -> list[int]:
        calls.append(texts)
        return [len(t) for t in texts]

    assert memo.get_many(["ab", "abc", "ab"], length) == [2, 3, 2]
    assert calls == [["ab", "abc"]]  # each distinct text once
    assert memo.get_many(["ab"], length) == [2] and len(calls) == 1  # kept, now most recent
    memo.get_many(["abcd"], length)  # drops the least recently used: "abc"
    assert "ab" in memo and "abcd" in memo and "abc" not in memo and len(memo) == 2
    none: RecentMemo[int] = RecentMemo(0)
    assert none.get_many(["x"], length) == [1] and len(none) == 0
