"""Train the story engine's pair model on the labelled dev sets and tune its thresholds.

    .venv/bin/python tools/train_pair_model.py [--out storyline/cluster/pair_model.json]

1. Every dev file is replayed in processing order with the *gold* stories as the state;
   each article is compared with the candidate stories the engine would retrieve, giving
   (features, same-story?) pairs — the same feature code as production.
2. Gradient-boosted trees are fitted on the pairs, each file weighing the same, and
   exported to JSON (evaluated with numpy at run time).
3. The join threshold and the merge threshold are chosen by running the real engine on
   every file and maximising the mean BCubed F1 (one configuration for all files).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from storyline.cluster.engine import ClusterEngine, EngineConfig  # noqa: E402
from storyline.cluster.features import FEATURES, pair_features  # noqa: E402
from storyline.cluster.model import (  # noqa: E402
    MODEL_FILE,
    Forest,
    PairModel,
    forest_from_sklearn,
)
from storyline.cluster.state import StoryState  # noqa: E402
from storyline.cluster.vectorize import Vectorizer  # noqa: E402
from storyline.evaluate.clustering import bcubed  # noqa: E402
from storyline.evaluate.harness import cluster_reps, load_jsonl, processing_order, to_reps  # noqa: E402
from storyline.settings import load_settings  # noqa: E402
from storyline.storage.vectorcache import VectorCache  # noqa: E402
from tests.helpers import EVAL  # noqa: E402

VERSION = "gbt-1"
FILES = ["neus-dev.jsonl", "ecbplus-dev.jsonl", "basil-dev.jsonl"]


def gold_pairs(reps, order, gold, config):  # type: ignore[no-untyped-def]
    dummy = PairModel(threshold=2.0, merge_threshold=2.0, version="oracle",
                      coef=np.zeros(len(FEATURES)), mean=np.zeros(len(FEATURES)),
                      scale=np.ones(len(FEATURES)))
    engine = ClusterEngine(dummy, EngineConfig(**{**config.__dict__,
                                                  "consolidate_every": 10**9}))
    story_of: dict[str, int] = {}
    X, y = [], []
    for i in order:
        art = reps[i]
        engine.stats.observe(art.terms, art.entities)
        tfidf = engine.stats.tfidf(art.terms)
        for cand in engine._candidates(art.dense, art.time):
            X.append(pair_features(art, tfidf, engine.stories[cand], engine.stats))
            y.append(1 if story_of.get(gold[i]) == cand else 0)
        sid = story_of.get(gold[i])
        if sid is None:
            sid = engine.next_story_id
            engine.next_story_id += 1
            engine.stories[sid] = StoryState(id=sid)
            story_of[gold[i]] = sid
        engine._join(art, tfidf, sid, None, "gold")
    return np.array(X), np.array(y)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=MODEL_FILE)
    ap.add_argument("--trees", type=int, default=200)
    args = ap.parse_args()
    settings = load_settings()
    vectorizer = Vectorizer(cache=VectorCache(settings.data_path / "cache" / "vectors.sqlite"))
    config = EngineConfig()
    data = {}
    for name in FILES:
        arts = load_jsonl(EVAL / name)
        reps = to_reps(arts, vectorizer.vectorize([(a.title, a.text) for a in arts]))
        order = processing_order(arts)
        gold = [a.story for a in arts]
        X, y = gold_pairs(reps, order, gold, config)
        data[name] = (arts, reps, order, X, y)
        print(f"{name}: {len(arts)} articles, {len(y)} pairs, {int(y.sum())} positive",
              flush=True)

    X = np.vstack([d[3] for d in data.values()])
    y = np.concatenate([d[4] for d in data.values()])
    w = np.concatenate([np.full(len(d[4]), len(y) / (len(data) * len(d[4])))
                        for d in data.values()])
    gbm = HistGradientBoostingClassifier(
        max_iter=args.trees, learning_rate=0.05, max_leaf_nodes=15, l2_regularization=1.0,
        min_samples_leaf=40, early_stopping=False, random_state=0,
    ).fit(X, y, sample_weight=w)
    forest = forest_from_sklearn(gbm)
    probe = PairModel(threshold=0.5, merge_threshold=2.0, version="probe",
                      forest=Forest.from_json(forest))
    drift = float(np.abs(probe.score(X[:2000]) - gbm.predict_proba(X[:2000])[:, 1]).max())
    print(f"trees exported; max |numpy - sklearn| on 2000 pairs: {drift:.2e}")
    assert drift < 1e-6

    def candidate(thr: float, merge: float) -> PairModel:
        return PairModel(threshold=thr, merge_threshold=merge, version=VERSION,
                         forest=Forest.from_json(forest))

    best = None
    for thr, merge in itertools.product([0.3, 0.4, 0.5], [0.9, 0.99, 2.0]):
        model = candidate(thr, merge)
        scores = []
        for _name, (arts, reps, order, _X, _y) in data.items():
            pred, _ = cluster_reps(reps, order, model, config)
            scores.append(bcubed(pred, {a.id: a.story for a in arts})["f1"])
        line = " ".join(f"{n.split('-')[0]} {s:.4f}" for n, s in zip(data, scores, strict=True))
        print(f"threshold {thr} merge {merge}: {line} mean {np.mean(scores):.4f}", flush=True)
        if best is None or np.mean(scores) > best[0]:
            best = (float(np.mean(scores)), thr, merge, scores)
    assert best is not None
    _, thr, merge, scores = best
    doc = {
        "version": VERSION, "kind": "trees", "features": list(FEATURES), "threshold": thr,
        "merge_threshold": merge, "forest": forest,
        "meta": {"trained_on": FILES, "in_sample_bcubed_f1": dict(
            zip(FILES, [round(s, 4) for s in scores], strict=True)),
            "trees": args.trees, "pairs": int(len(y)), "positives": int(y.sum())},
    }
    args.out.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"wrote {args.out}: threshold {thr}, merge {merge}, in-sample BCubed F1 {scores}")


if __name__ == "__main__":
    main()
