"""The learned pair model: P(article belongs to story | pair features).

Gradient-boosted trees (scikit-learn's HistGradientBoostingClassifier, trained by
``tools/train_pair_model.py`` on the labelled dev sets with the same feature code as
here) exported to ``pair_model.json`` and evaluated with numpy: all trees are walked at
once, level by level, for all candidates of an article — no scikit-learn at run time.
A logistic-regression model ("kind": "linear") is supported as well. A model names the
features it was trained on, a subset of what ``features.py`` computes, in its own order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from storyline.cluster.features import FEATURES

MODEL_FILE = Path(__file__).with_name("pair_model.json")


class ModelError(RuntimeError):
    """The pair model file is missing or does not match the feature code."""


@dataclass(frozen=True)
class Forest:
    """Binary-split trees packed into (trees × nodes) arrays."""

    feature: np.ndarray  # int, -1 at leaves
    threshold: np.ndarray  # go left when x <= threshold
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray  # leaf values (raw score contributions)
    is_leaf: np.ndarray
    baseline: float
    depth: int
    missing_left: np.ndarray | None = None  # a missing (NaN) value goes left here

    _flat: tuple[np.ndarray, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Flat (tree * width + node) arrays; a leaf is its own child with threshold +inf,
        # so every walk takes ``depth`` steps without a leaf test.
        trees, width = self.feature.shape
        here = (np.arange(trees)[:, None] * width + np.arange(width)[None, :])
        base = np.arange(trees)[:, None] * width
        leaf = self.is_leaf
        missing = (np.zeros_like(leaf) if self.missing_left is None else self.missing_left)
        flat = (
            np.where(leaf, 0, self.feature).ravel(),
            np.where(leaf, np.inf, self.threshold).ravel(),
            np.where(leaf, here, base + self.left).ravel(),
            np.where(leaf, here, base + self.right).ravel(),
            (missing | leaf).ravel(),
            self.value.ravel(),
            base.ravel(),
        )
        object.__setattr__(self, "_flat", flat)

    def raw(self, x: np.ndarray) -> np.ndarray:
        feature, threshold, left, right, missing_left, value, roots = self._flat
        x = np.ascontiguousarray(x, dtype=np.float64)
        n, width = x.shape
        xs = x.ravel()
        row = (np.arange(n) * width)[:, None]
        pos = np.broadcast_to(roots, (n, len(roots)))
        has_missing = self.missing_left is not None
        for _ in range(self.depth):
            v = xs.take(row + feature.take(pos))
            go_left = v <= threshold.take(pos)
            if has_missing:
                go_left |= np.isnan(v) & missing_left.take(pos)
            pos = np.where(go_left, left.take(pos), right.take(pos))
        return value.take(pos).sum(axis=1) + self.baseline

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Forest:
        trees = data["trees"]
        width = max(len(t["feature"]) for t in trees)

        def pack(key: str, fill: float, dtype: Any) -> np.ndarray:
            out = np.full((len(trees), width), fill, dtype=dtype)
            for i, t in enumerate(trees):
                out[i, : len(t[key])] = t[key]
            return out

        feature = pack("feature", -1, np.int64)
        missing = (pack("missing_left", 0, np.int64).astype(bool)
                   if all("missing_left" in t for t in trees) else None)
        return cls(
            feature=feature, threshold=pack("threshold", 0.0, np.float64),
            left=pack("left", 0, np.int64), right=pack("right", 0, np.int64),
            value=pack("value", 0.0, np.float64), is_leaf=feature < 0,
            baseline=float(data["baseline"]), depth=int(data["depth"]),
            missing_left=missing,
        )


@dataclass(frozen=True)
class PairModel:
    threshold: float  # join the best story when P >= threshold
    merge_threshold: float  # consolidation: merge two stories when P >= this
    version: str
    coef: np.ndarray | None = None  # linear model
    intercept: float = 0.0
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None
    forest: Forest | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    columns: np.ndarray | None = None  # the model's features, as indices into FEATURES

    @cached_property
    def reads(self) -> frozenset[str] | None:
        """The features the model reads (None: all of ``FEATURES``): what
        :func:`~storyline.cluster.features.pair_features` needs to compute."""
        if self.columns is None:
            return None
        return frozenset(FEATURES[i] for i in self.columns)

    def score(self, features: np.ndarray) -> np.ndarray:
        """P(same story) for each row of ``features`` (all of ``FEATURES``)."""
        x = np.asarray(features, dtype=np.float64)
        if self.columns is not None:
            x = x[:, self.columns]
        if self.forest is not None:
            z = self.forest.raw(x)
        else:
            assert self.coef is not None and self.mean is not None and self.scale is not None
            x = np.nan_to_num(x, nan=0.0)  # a missing value reads as 0
            z = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> PairModel:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ModelError(f"cannot read pair model {path}: {exc}") from None
        names = list(data.get("features", ()))
        unknown = [n for n in names if n not in FEATURES]
        if not names or unknown:
            raise ModelError(f"pair model {path} was trained on features this code does not "
                             f"compute ({', '.join(unknown) or 'none named'}); retrain it "
                             "with tools/train_pair_model.py")
        common = dict(threshold=float(data["threshold"]),
                      merge_threshold=float(data["merge_threshold"]),
                      version=str(data["version"]), meta=data.get("meta", {}),
                      columns=feature_columns(names))
        if data["kind"] == "trees":
            return cls(forest=Forest.from_json(data["forest"]), **common)
        return cls(coef=np.asarray(data["coef"]), intercept=float(data["intercept"]),
                   mean=np.asarray(data["mean"]), scale=np.asarray(data["scale"]), **common)


def feature_columns(names: list[str] | tuple[str, ...]) -> np.ndarray:
    """Indices of ``names`` in ``FEATURES``."""
    return np.array([FEATURES.index(n) for n in names], dtype=np.int64)


def forest_from_sklearn(model: Any) -> dict[str, Any]:
    """Export a fitted binary HistGradientBoostingClassifier to our JSON form."""
    trees = []
    depth = 0
    for predictors in model._predictors:  # one list per boosting iteration
        (pred,) = predictors
        nodes = pred.nodes
        if np.any(nodes["is_categorical"]):
            raise ValueError("categorical splits are not supported")
        leaf = nodes["is_leaf"].astype(bool)
        trees.append({
            "feature": [(-1 if leaf[i] else int(nodes["feature_idx"][i]))
                        for i in range(len(nodes))],
            "threshold": [float(t) for t in nodes["num_threshold"]],
            "left": [int(v) for v in nodes["left"]],
            "right": [int(v) for v in nodes["right"]],
            "value": [float(v) if leaf[i] else 0.0 for i, v in enumerate(nodes["value"])],
            "missing_left": [int(v) for v in nodes["missing_go_to_left"]],
        })
        depth = max(depth, int(nodes["depth"].max()))
    baseline = float(np.ravel(model._baseline_prediction)[0])
    return {"trees": trees, "baseline": baseline, "depth": depth + 1}
