"""Benchmark storyline.nlp.temporal vs a plain dateparser.search_dates baseline.

Accuracy: over tests/data/temporal_gold.jsonl (a gold expression is correct when a returned
mention overlaps it with the same date and precision; dateparser has no precision, so the
baseline is scored leniently: its date only has to agree up to the gold precision).
Speed: ms/article over the 300 basil-dev articles, median of 3 runs.

    .venv/bin/python bench/bench_temporal.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from storyline.nlp.temporal import resolve_mentions

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "data" / "temporal_gold.jsonl"
sys.path.insert(0, str(ROOT))
from tests.helpers import EVAL  # noqa: E402

BASIL = EVAL / "basil-dev.jsonl"

Span = tuple[int, int, str]  # start, end, ISO date (truncated to the mention's precision)


def _ours(text: str, pub: datetime) -> list[Span]:
    cut = {"day": 10, "month": 7, "year": 4}
    return [(m.start, m.end, m.date.isoformat()[:cut[m.precision]])
            for m in resolve_mentions(text, pub)]


def _dateparser(text: str, pub: datetime) -> list[Span]:
    from dateparser.search import search_dates

    found = search_dates(text, languages=["en"],
                         settings={"RELATIVE_BASE": pub.replace(tzinfo=None)}) or []
    out: list[Span] = []
    pos = 0
    for sub, dt in found:
        i = text.find(sub, pos)
        if i < 0:
            i = text.find(sub)
        if i < 0:
            continue
        pos = i + len(sub)
        out.append((i, i + len(sub), dt.date().isoformat()))
    return out


def _pub(s: str) -> datetime:
    return datetime.fromisoformat(s[:10]).replace(tzinfo=UTC)


def accuracy(fn: Callable[[str, datetime], list[Span]], lenient: bool) -> float:
    gold = [json.loads(line) for line in GOLD.read_text().splitlines() if line.strip()]
    ok = 0
    for g in gold:
        sent, want = g["sentence"], g["date"]
        s = sent.index(g["expression"])
        e = s + len(g["expression"])
        for ms, me, d in fn(sent, _pub(g["published"])):
            if ms < e and me > s and (d[:len(want)] == want if lenient else d == want):
                ok += 1
                break
    return ok / len(gold)


def speed(fn: Callable[[str, datetime], Any], articles: list[dict[str, Any]]) -> float:
    runs = []
    from storyline.nlp.temporal import _mentions

    for _ in range(3):
        _mentions.cache_clear()  # each run resolves every article afresh
        t0 = time.perf_counter()
        for a in articles:
            fn(a["text"], _pub(a["published"]))
        runs.append((time.perf_counter() - t0) * 1000 / len(articles))
    return statistics.median(runs)


def main() -> None:
    articles = [json.loads(line) for line in BASIL.read_text().splitlines() if line.strip()]
    articles = [a for a in articles if a.get("published")]
    words = statistics.mean(len(a["text"].split()) for a in articles)
    _dateparser("warm up on Monday", _pub("2020-01-01"))
    print(f"gold: {GOLD.name}; speed: {len(articles)} basil-dev articles, "
          f"{words:.0f} words on average; median of 3")
    for name, fn, lenient in (("storyline.nlp.temporal", _ours, False),
                              ("dateparser.search_dates", _dateparser, True)):
        acc = accuracy(fn, lenient)
        ms = speed(fn, articles)
        print(f"{name:26s} accuracy {acc:.3f}{' (lenient)' if lenient else ''}  "
              f"{ms:7.2f} ms/article")


if __name__ == "__main__":
    main()
