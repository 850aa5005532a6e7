"""Embedding and signal-extraction speed on the eval data: median articles/s of 3 runs.

Sets: basil-dev (300 full articles, embedded as title + first 200 words, which fills
the 256-token window) and the first 1000 lines of neus-dev (headline + lead).
Also prints the cosine between the torch and onnx backends (min/mean).

Run: .venv/bin/python bench/bench_embed.py [--skip-onnx] [--skip-signals]
"""

from __future__ import annotations

import functools
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from storyline.nlp.encoder import Embedder, embedding_text
from storyline.nlp.entities import SignalExtractor

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.helpers import EVAL  # noqa: E402


def load(name: str, limit: int | None = None) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    with (EVAL / name).open(encoding="utf-8") as fh:
        for line in fh:
            if limit is not None and len(rows) >= limit:
                break
            r = json.loads(line)
            rows.append((r.get("title") or "", r.get("text") or ""))
    return rows


def rate(fn: Callable[[], object], n: int, runs: int = 3) -> tuple[float, list[float]]:
    speeds = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        speeds.append(n / (time.perf_counter() - t))
    return statistics.median(speeds), speeds


def fmt(name: str, med: float, each: list[float]) -> str:
    return f"  {name:<28} {med:7.1f} articles/s  (runs: {', '.join(f'{s:.1f}' for s in each)})"


def main(argv: list[str]) -> int:
    if not EVAL.is_dir():
        print(f"eval data not found: {EVAL}", file=sys.stderr)
        return 2
    sets = {
        "basil-dev (300, full)": load("basil-dev.jsonl"),
        "neus-dev (1000, head+lead)": load("neus-dev.jsonl", 1000),
    }
    texts = {k: [embedding_text(t, x) for t, x in v] for k, v in sets.items()}
    backends = ["torch"] if "--skip-onnx" in argv else ["torch", "onnx"]
    vecs: dict[str, dict[str, np.ndarray]] = {}
    print("embedding (all-MiniLM-L6-v2, 256 tokens)")
    for b in backends:
        emb = Embedder(backend=b)
        t = time.perf_counter()
        emb.encode(["warm up"])
        print(f" backend {b}: {emb.model_version}  (load {time.perf_counter() - t:.1f} s)")
        for name, tx in texts.items():
            vecs.setdefault(b, {})[name] = emb.encode(tx)
            med, each = rate(functools.partial(emb.encode, tx), len(tx))
            print(fmt(name, med, each))
    if "onnx" in vecs:
        for name in texts:
            cos = np.sum(vecs["torch"][name] * vecs["onnx"][name], axis=1)
            print(f" cosine torch/onnx {name}: min {cos.min():.4f} mean {cos.mean():.4f}")
    if "--skip-signals" not in argv:
        ex = SignalExtractor()
        t = time.perf_counter()
        ex.extract([("Warm up", "Warm up in Paris.")])
        print(f"signals ({ex.version}, load {time.perf_counter() - t:.1f} s)")
        for name, rows in sets.items():
            med, each = rate(functools.partial(ex.extract, rows), len(rows))
            print(fmt(name, med, each))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
