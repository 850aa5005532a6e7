"""Two-fold cross-validation of the pair model: how well does clustering generalise to
stories the model never saw?

    .venv/bin/python tools/cv_pair_model.py

Stories of every dev file are split in two folds by a hash of their label. A model is
trained (same recipe and thresholds as pair_model.json) on one fold of all files and the
engine clusters the other fold; the table gives out-of-fold BCubed F1 per file, next to
the in-sample F1 of a model trained on that same fold. Each fold holds half the stories,
so figures are not directly comparable with full-file ones (fewer look-alike stories).
"""

from __future__ import annotations

import json
import sys
import zlib
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tools"))

from train_pair_model import EVAL, FILES, gold_pairs  # noqa: E402

from storyline.cluster.engine import EngineConfig  # noqa: E402
from storyline.cluster.model import MODEL_FILE, Forest, PairModel, forest_from_sklearn  # noqa: E402
from storyline.cluster.vectorize import Vectorizer  # noqa: E402
from storyline.evaluate.clustering import bcubed  # noqa: E402
from storyline.evaluate.harness import cluster_reps, load_jsonl, processing_order, to_reps  # noqa: E402
from storyline.settings import load_settings  # noqa: E402
from storyline.storage.vectorcache import VectorCache  # noqa: E402


def fold_of(story: str) -> int:
    return zlib.crc32(story.encode()) % 2


def main() -> None:
    shipped = json.loads(MODEL_FILE.read_text())
    vectorizer = Vectorizer(cache=VectorCache(load_settings().data_path / "cache" /
                                              "vectors.sqlite"))
    config = EngineConfig()
    parts = {}
    for name in FILES:
        arts = load_jsonl(EVAL / name)
        reps = to_reps(arts, vectorizer.vectorize([(a.title, a.text) for a in arts]))
        order = processing_order(arts)
        for f in (0, 1):
            keep = [i for i in order if fold_of(arts[i].story) == f]
            sub = [reps[i] for i in keep]
            gold = [arts[i].story for i in keep]
            X, y = gold_pairs(sub, list(range(len(keep))), gold, config)
            parts[(name, f)] = (X, y, sub, {arts[i].id: arts[i].story for i in keep})

    def train(f: int) -> PairModel:
        xs = [parts[(n, f)] for n in FILES]
        X = np.vstack([p[0] for p in xs])
        y = np.concatenate([p[1] for p in xs])
        w = np.concatenate([np.full(len(p[1]), len(y) / (len(xs) * len(p[1]))) for p in xs])
        gbm = HistGradientBoostingClassifier(
            max_iter=shipped["meta"]["trees"], learning_rate=0.05, max_leaf_nodes=15,
            l2_regularization=1.0, min_samples_leaf=40, early_stopping=False, random_state=0,
        ).fit(X, y, sample_weight=w)
        return PairModel(threshold=shipped["threshold"],
                         merge_threshold=shipped["merge_threshold"], version="cv",
                         forest=Forest.from_json(forest_from_sklearn(gbm)))

    models = {f: train(f) for f in (0, 1)}
    print(f"{'file':<20} {'in-sample':>10} {'out-of-fold':>12}")
    for name in FILES:
        inside, outside = [], []
        for f in (0, 1):
            for model, bucket in ((models[f], inside), (models[1 - f], outside)):
                _X, _y, sub, gold = parts[(name, f)]
                pred, _ = cluster_reps(sub, list(range(len(sub))), model, config)
                bucket.append(bcubed(pred, gold)["f1"])
        print(f"{name:<20} {np.mean(inside):>10.4f} {np.mean(outside):>12.4f}")


if __name__ == "__main__":
    main()
