"""Clustering metrics: BCubed and pairwise precision/recall/F1 against gold labels."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from math import comb


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def bcubed(pred: Mapping[str, str], gold: Mapping[str, str]) -> dict[str, float]:
    """BCubed precision/recall/F1 (Bagga & Baldwin) over the items in ``gold``."""
    items = [i for i in gold if i in pred]
    if not items:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    joint = Counter((pred[i], gold[i]) for i in items)
    pred_size = Counter(pred[i] for i in items)
    gold_size = Counter(gold[i] for i in items)
    precision = sum(n * n / pred_size[p] for (p, _g), n in joint.items()) / len(items)
    recall = sum(n * n / gold_size[g] for (_p, g), n in joint.items()) / len(items)
    return {"precision": precision, "recall": recall, "f1": _f1(precision, recall)}


def pairwise(pred: Mapping[str, str], gold: Mapping[str, str]) -> dict[str, float]:
    """Precision/recall/F1 over all pairs of items placed together."""
    items = [i for i in gold if i in pred]
    joint = Counter((pred[i], gold[i]) for i in items)
    tp = sum(comb(n, 2) for n in joint.values())
    pred_pairs = sum(comb(n, 2) for n in Counter(pred[i] for i in items).values())
    gold_pairs = sum(comb(n, 2) for n in Counter(gold[i] for i in items).values())
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / gold_pairs if gold_pairs else 1.0
    return {"precision": precision, "recall": recall, "f1": _f1(precision, recall)}


def cluster_counts(pred: Mapping[str, str], gold: Mapping[str, str]) -> dict[str, int]:
    items = [i for i in gold if i in pred]
    return {"predicted": len({pred[i] for i in items}), "gold": len({gold[i] for i in items}),
            "items": len(items)}
