"""Quality gate: extraction F1 over the 181-page benchmark must not fall below the pinned floor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyline.evaluate.extraction import evaluate_benchmark, score_page, summarise
from tests.helpers import BENCH

FLOORS = Path(__file__).with_name("quality_floors.json")


def test_metric_on_known_cases() -> None:
    truth = "one two three four five six"
    assert score_page(truth, truth).tp == 1.0
    half = score_page(truth, "one two three four")  # 1 of 3 true shingles, nothing extra
    assert (round(half.tp, 3), half.fp, round(half.fn, 3)) == (0.333, 0.0, 0.667)
    short = score_page("Hello world", "Hello world")  # under 4 words: one shingle
    assert short.tp == 1.0
    assert score_page("Hello world", "hello world").tp == 0.0  # case is kept
    report = summarise([score_page(truth, truth), score_page(truth, "")])
    assert report["precision"] == 1.0  # the empty prediction has tp+fp == 0
    assert report["recall"] == 0.5
    assert round(report["f1"], 4) == round(2 * 0.5 / 1.5, 4)


@pytest.mark.needs_shared(gate="extraction F1")
@pytest.mark.slow
def test_extraction_f1_floor() -> None:
    floor = json.loads(FLOORS.read_text("utf-8"))["extraction_f1"]
    report = evaluate_benchmark(BENCH)
    print(
        f"extraction F1 {report['f1']:.4f} P {report['precision']:.4f} R {report['recall']:.4f} "
        f"on {report['pages']} pages, {report['pages_per_second']:.1f} pages/s"
    )
    assert report["pages"] == 181
    assert report["f1"] >= floor
