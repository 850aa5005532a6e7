"""Embedding: shape, normalisation, determinism, semantics, order, and onnx vs torch."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from storyline.nlp.encoder import DIM, Embedder, embedding_text
from tests.helpers import EVAL

PARAPHRASE_A = "President Trump on Monday slammed former Secretary of State John Kerry for reportedly working to save the Iran nuclear deal."
PARAPHRASE_B = "President Trump on Monday castigated John F. Kerry following a report that the former secretary of state was engaged in shadow diplomacy to preserve the Iran nuclear pact."
UNRELATED = "Heavy rain flooded parts of Jakarta, forcing thousands of residents to leave their homes as rivers burst their banks."


def _real_texts(n: int) -> list[str]:
    rows = []
    with (EVAL / "basil-dev.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            rows.append(embedding_text(r["title"], r["text"], max_words=60))
            if len(rows) >= n:
                break
    return rows


@pytest.fixture(scope="module")
def torch_embedder() -> Embedder:
    return Embedder(backend="torch", batch_size=4)


def test_embedding_text_drops_repeated_title_and_limits_words() -> None:
    text = "Big Storm Hits Coast\n  The storm   hit the\tcoast on Monday.\nMore  here."
    assert embedding_text("Big Storm Hits Coast", text, max_words=5) == (
        "Big Storm Hits Coast. The storm hit the coast"
    )
    # Not a repeat: the first line stays.
    assert embedding_text("Other", "First line\nsecond", 10) == "Other. First line second"
    assert embedding_text("Done!", "Body text", 10) == "Done! Body text"
    assert embedding_text("", "  a  b ", 10) == "a b"
    assert embedding_text("Title", "", 10) == "Title"


def test_shape_dtype_normalised_and_deterministic(torch_embedder: Embedder) -> None:
    texts = [PARAPHRASE_A, UNRELATED, PARAPHRASE_A]
    v = torch_embedder.encode(texts)
    assert v.shape == (3, DIM) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(v[0], v[2])  # same text in one call -> identical vector
    again = torch_embedder.encode([PARAPHRASE_A])
    assert np.allclose(again[0], v[0], atol=1e-6)
    assert torch_embedder.dim == DIM == 384


def test_paraphrase_closer_than_unrelated(torch_embedder: Embedder) -> None:
    a, b, c = torch_embedder.encode([PARAPHRASE_A, PARAPHRASE_B, UNRELATED])
    para, unrel = float(a @ b), float(a @ c)
    assert para > 0.6, para
    assert unrel < 0.3, unrel
    assert para - unrel > 0.4


@pytest.mark.needs_shared
def test_order_preserved_with_length_sorted_batches(torch_embedder: Embedder) -> None:
    texts = _real_texts(9) + ["Storm", PARAPHRASE_A]  # mixed lengths, batch_size=4
    together = torch_embedder.encode(texts)
    one_by_one = np.vstack([torch_embedder.encode([t]) for t in texts])
    assert np.allclose(together, one_by_one, atol=1e-4)
    # Different texts give different rows: a permutation bug would not pass above.
    assert float(together[0] @ together[-2]) < 0.9


def test_empty_input(torch_embedder: Embedder) -> None:
    v = torch_embedder.encode([])
    assert v.shape == (0, DIM) and v.dtype == np.float32


def test_model_version_names_model_and_backend(torch_embedder: Embedder) -> None:
    assert torch_embedder.backend == "torch"
    assert torch_embedder.model_version.startswith("all-MiniLM-L6-v2@")
    assert "/torch/256" in torch_embedder.model_version


def test_bad_backend_rejected() -> None:
    with pytest.raises(ValueError):
        Embedder(backend="tensorflow")


@pytest.mark.skipif(
    importlib.util.find_spec("onnxruntime") is None, reason="onnxruntime not installed"
)
@pytest.mark.slow
@pytest.mark.needs_shared
def test_onnx_matches_torch(
    torch_embedder: Embedder,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    cache = Path(tmp_path_factory.mktemp("onnx-cache"))
    onnx = Embedder(backend="onnx", batch_size=8, cache_dir=cache)
    texts = _real_texts(20)
    got = onnx.encode(texts)
    assert onnx.onnx_path().is_file() and onnx.onnx_path().parent.parent == cache
    assert "/onnx-int8" in onnx.model_version and onnx.model_version != torch_embedder.model_version
    ref = torch_embedder.encode(texts)
    cos = np.sum(got * ref, axis=1)
    assert got.shape == (20, DIM)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert cos.min() >= 0.985, cos.min()
    # "auto" picks the cached onnx build; a second embedder reuses it without rebuilding.
    assert Embedder(cache_dir=cache).backend == "onnx"
    mtime = onnx.onnx_path().stat().st_mtime_ns
    again = Embedder(backend="onnx", cache_dir=cache).encode(texts[:2])
    assert np.allclose(again, got[:2], atol=1e-5)
    assert onnx.onnx_path().stat().st_mtime_ns == mtime
