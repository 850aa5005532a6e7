"""Extraction quality metric of the article-extraction benchmark (word 4-gram shingles).

Pages are ``html/<id>.html.gz`` beside ``ground-truth.json`` (``{id: {"articleBody", "url"}}``).
"""

from __future__ import annotations

import gzip
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storyline.extract.page import extract_html
from storyline.models import ExtractedPage

__all__ = [
    "PageScore",
    "evaluate_benchmark",
    "load_benchmark",
    "score_page",
    "shingles",
    "summarise",
]

_TOKEN_RE = re.compile(r"\w+")
_N = 4

Extractor = Callable[..., ExtractedPage | str | None]


@dataclass(slots=True, frozen=True)
class PageScore:
    """Normalised shingle overlap of one page (tp + fp + fn == 1 unless all are 0)."""

    tp: float
    fp: float
    fn: float


def shingles(text: str | None, n: int = _N) -> Counter[tuple[str, ...]]:
    """Multiset of word n-gram shingles; a text under ``n`` words is a single shingle."""
    tokens = _TOKEN_RE.findall(text or "")
    if not tokens:
        return Counter()
    if len(tokens) < n:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def score_page(truth: str | None, predicted: str | None) -> PageScore:
    """tp/fp/fn of the predicted text against the truth, normalised by their sum."""
    true_sh, pred_sh = shingles(truth), shingles(predicted)
    tp = sum((true_sh & pred_sh).values())
    fp = sum((pred_sh - true_sh).values())
    fn = sum((true_sh - pred_sh).values())
    total = tp + fp + fn
    if total == 0:
        return PageScore(0.0, 0.0, 0.0)
    return PageScore(tp / total, fp / total, fn / total)


def summarise(scores: Iterable[PageScore]) -> dict[str, float]:
    """Average precision and recall over pages, and the F1 of the two averages."""
    precisions: list[float] = []
    recalls: list[float] = []
    for s in scores:
        if s.fp == 0 and s.fn == 0:
            p = r = 1.0
        else:
            p = s.tp / (s.tp + s.fp) if s.tp + s.fp > 0 else 0.0
            r = s.tp / (s.tp + s.fn) if s.tp + s.fn > 0 else 0.0
        if s.tp + s.fp > 0:
            precisions.append(p)
        if s.tp + s.fn > 0:
            recalls.append(r)
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {"f1": f1, "precision": precision, "recall": recall}


def load_benchmark(folder: Path) -> list[tuple[str, bytes, str, str | None]]:
    """``(id, html bytes, true text, url)`` for every page of the benchmark folder."""
    truth: dict[str, dict[str, Any]] = json.loads((folder / "ground-truth.json").read_text("utf-8"))
    pages = []
    for page_id in sorted(truth):
        raw = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
        entry = truth[page_id]
        pages.append((page_id, raw, entry.get("articleBody") or "", entry.get("url")))
    return pages


def _text_of(result: ExtractedPage | str | None) -> str:
    if result is None:
        return ""
    return result if isinstance(result, str) else result.text


def evaluate_benchmark(folder: Path, extractor: Extractor = extract_html) -> dict[str, float]:
    """Run ``extractor(html_bytes, url)`` on every page; F1/P/R plus timing."""
    pages = load_benchmark(Path(folder))
    scores: list[PageScore] = []
    elapsed = 0.0
    for _page_id, raw, truth, url in pages:
        start = time.perf_counter()
        result = extractor(raw, url)
        elapsed += time.perf_counter() - start
        scores.append(score_page(truth, _text_of(result)))
    report = summarise(scores)
    report.update(
        pages=len(pages),
        seconds=elapsed,
        pages_per_second=len(pages) / elapsed if elapsed > 0 else 0.0,
    )
    return report
