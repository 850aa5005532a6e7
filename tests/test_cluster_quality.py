"""Clustering quality gate: the production engine on fixed dev subsets; floors only go up.

The undated articles come in a fixed random order (``storyline.evaluate.harness``): the
dev files list them grouped by gold story, which gives the answer away, so their own
order is no measure (docs/clustering.md, "The order of undated articles").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import EVAL

pytestmark = pytest.mark.needs_shared(gate="clustering BCubed F1")
FLOORS = Path(__file__).with_name("quality_floors.json")
SUBSETS = {  # file -> number of leading lines (whole stories) in the gate
    "neus-dev.jsonl": 900,
    "ecbplus-dev.jsonl": None,
    "basil-dev.jsonl": None,
}


@pytest.fixture(scope="module")
def vectorizer():  # type: ignore[no-untyped-def]
    from storyline.cluster.vectorize import Vectorizer

    return Vectorizer()


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SUBSETS))
def test_bcubed_floor(name: str, vectorizer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from storyline.evaluate.harness import evaluate_file

    limit = SUBSETS[name]
    lines = (EVAL / name).read_text(encoding="utf-8").splitlines()
    path = tmp_path / name
    path.write_text("\n".join(lines[:limit] if limit else lines) + "\n", encoding="utf-8")
    result = evaluate_file(path, vectorizer=vectorizer)
    key = f"cluster_bcubed_f1_{name.split('-')[0]}_shuffled"
    floor = json.loads(FLOORS.read_text())[key]
    b = result.bcubed
    print(f"{name}: BCubed P {b['precision']:.4f} R {b['recall']:.4f} F1 {b['f1']:.4f} "
          f"({result.counts['predicted']} stories, gold {result.counts['gold']})")
    assert b["f1"] >= floor, f"{key}: {b['f1']:.4f} fell below the floor {floor}"
