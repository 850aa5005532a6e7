"""Extraction speed and quality over the benchmark: median pages/s of 3 runs, with F1/P/R.

Run: .venv/bin/python bench/bench_extract.py [BENCHMARK_FOLDER]
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

from storyline.evaluate.extraction import evaluate_benchmark

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.helpers import BENCH as DEFAULT  # noqa: E402


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else DEFAULT
    if not (folder / "ground-truth.json").is_file():
        print(f"benchmark not found: {folder}", file=sys.stderr)
        return 2
    runs = [evaluate_benchmark(folder) for _ in range(3)]
    speed = statistics.median(r["pages_per_second"] for r in runs)
    first = runs[0]
    each = ", ".join(f"{r['pages_per_second']:.1f}" for r in runs)
    print(
        f"pages: {first['pages']}  median pages/s: {speed:.1f} (runs: {each})\n"
        f"F1 {first['f1']:.4f}  P {first['precision']:.4f}  R {first['recall']:.4f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
