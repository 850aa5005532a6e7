"""Train the story engine's pair model on the labelled dev sets, choosing thresholds out
of fold.

    .venv/bin/python tools/train_pair_model.py [--out storyline/cluster/pair_model.json]

1. Every dev file is cut into ``FOLDS`` folds: ECB+ by topic (both look-alike events of a
   topic in the same fold), NeuS and BASIL by story. Each fold is replayed in processing
   order with the *gold* stories as the state; each article is compared with the
   candidate stories the engine would retrieve, giving (features, same-story?) pairs —
   the same feature code as production.
2. For each fold, gradient-boosted trees are fitted on the pairs of the *other* folds of
   all three files (each file weighing the same) and the real engine clusters the fold.
   The join and merge thresholds are the pair maximising the out-of-fold BCubed F1
   averaged over the three files (one configuration for all files).
3. The shipped model is fitted with those thresholds on the pairs of each file replayed
   whole (every story of the file a candidate, as in production) and exported to JSON
   (evaluated with numpy at run time); its in-sample figures (full files, and the three
   files as one mixed stream) are recorded next to the out-of-fold ones.

``--monotone`` constrains the trees (``MONOTONE``): more similarity never lowers P(same
event), a longer time gap never raises it; ``--free`` leaves named features unconstrained.

``tools/cv_pair_model.py`` runs step 2 for feature ablations.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import sys
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from storyline.cluster.engine import ClusterEngine, EngineConfig, stored_weights  # noqa: E402
from storyline.cluster.features import FEATURES, pair_features  # noqa: E402
from storyline.cluster.model import (  # noqa: E402
    MODEL_FILE,
    Forest,
    PairModel,
    feature_columns,
    forest_from_sklearn,
)
from storyline.cluster.represent import ArticleRep  # noqa: E402
from storyline.cluster.state import StoryState  # noqa: E402
from storyline.cluster.vectorize import Vectorizer  # noqa: E402
from storyline.evaluate.clustering import bcubed  # noqa: E402
from storyline.evaluate.harness import (  # noqa: E402
    UNDATED_SEED,
    EvalArticle,
    cluster_reps,
    load_jsonl,
    mixed_order,
    processing_order,
    size_share,
    to_reps,
)
from storyline.settings import load_settings  # noqa: E402
from storyline.storage.vectorcache import VectorCache  # noqa: E402
from tests.helpers import EVAL  # noqa: E402

VERSION = "gbt-3"
# The features the shipped model reads. log_size and log_terms are the issue-14 artefact;
# every size-free set measured so far is worse out of fold on the mean (docs/clustering.md).
USED = ("dense_centroid", "dense_nearest", "title_centroid", "title_nearest", "lexical",
        "entity_coverage", "entity_jaccard", "has_entities", "number_jaccard", "time_gap",
        "rare_term", "dense_mean", "title_mean", "log_size", "log_terms")
SIZE_FREE = tuple(f for f in FEATURES if f not in ("log_size", "log_terms"))
FILES = ["neus-dev.jsonl", "ecbplus-dev.jsonl", "basil-dev.jsonl"]
FOLDS = 5
THRESHOLDS = [0.3, 0.4, 0.5, 0.6]
MERGE_THRESHOLDS = [0.99, 2.0]  # 2.0: consolidation never merges
TREES = 200
# The order undated articles are replayed in (storyline.evaluate.harness). "file" lists
# them grouped by gold story: replayed that way, the story being built is always the
# right one and a complete story never the right one, so the trees learn the order
# (a small story takes anything) instead of the news. STORYLINE_UNDATED_ORDER=file for
# comparison only.
UNDATED_ORDER = os.environ.get("STORYLINE_UNDATED_ORDER", "shuffled")
# With ``monotone``, how P(same event) may move with each feature: +1 never falls as the
# feature grows, -1 never rises, 0 free. More similarity never argues for a different
# event, a longer time gap never for the same one, and a bigger story never takes an
# article less readily than a smaller one would (big stories do attract the next report);
# the trees can then not learn pockets of one data set -- "a story of three takes no
# fourth" is a falling size curve, which +1 forbids.
MONOTONE = {
    "dense_centroid": 1, "dense_nearest": 1, "title_centroid": 1, "title_nearest": 1,
    "lexical": 1, "entity_coverage": 1, "entity_jaccard": 1, "number_jaccard": 1,
    "rare_term": 1, "dense_mean": 1, "title_mean": 1, "entity_support": 1, "dense_fit": 1,
    "title_fit": 1, "dense_min": 1, "number_known": 1, "log_size": 1, "weekday": 1,
    "year": 1,
    "time_gap": -1, "time_gap_known": -1,
}


def fold_key(story: str) -> str:
    """What a fold is made of: the ECB+ topic (``ecbplus:12_ecbplus`` -> ``12``), so a
    topic's two look-alike events stay together; the story elsewhere."""
    if story.startswith("ecbplus:"):
        return "ecbplus:" + story.split(":", 1)[1].split("_", 1)[0]
    return story


def assign_folds(stories: Sequence[str], folds: int = FOLDS) -> list[int]:
    keys = sorted({fold_key(s) for s in stories})
    if len(keys) < 5 * folds:  # few topics: deal them out evenly in sorted order
        rank = {k: i % folds for i, k in enumerate(keys)}
        return [rank[fold_key(s)] for s in stories]
    return [zlib.crc32(fold_key(s).encode()) % folds for s in stories]


@dataclass
class FileData:
    name: str
    arts: list[EvalArticle]
    reps: list[ArticleRep]
    fold: list[int]
    pairs: dict[int, tuple[np.ndarray, np.ndarray]]  # fold -> (X, y)

    def order(self, fold: int | None = None) -> list[int]:
        return [i for i in processing_order(self.arts, UNDATED_ORDER)
                if fold is None or self.fold[i] == fold]

    def gold(self, idx: Sequence[int]) -> dict[str, str]:
        return {self.arts[i].id: self.arts[i].story for i in idx}


def gold_pairs(reps: Sequence[ArticleRep], order: Sequence[int], gold: Sequence[str],
               config: EngineConfig) -> tuple[np.ndarray, np.ndarray]:
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
        tfidf = stored_weights(engine.stats.tfidf(art.terms))
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
    return np.array(X).reshape(-1, len(FEATURES)), np.array(y)


def load_data(config: EngineConfig, vectorizer: Vectorizer | None = None,
              pairs_cache: Path | None = None, text_words: int | None = None,
              ) -> list[FileData]:
    """The dev files, their vectors and the gold-state pairs of every fold. With
    ``pairs_cache`` the pairs are read from that .npz when it was written for the same
    features, else computed and written there (they take minutes; models take seconds)."""
    vectorizer = vectorizer or Vectorizer(
        cache=VectorCache(load_settings().data_path / "cache" / "vectors.sqlite"),
        text_words=text_words)
    stamp = np.array([*FEATURES, f"text_words={text_words}", f"undated={UNDATED_ORDER}",
                      f"seed={UNDATED_SEED}"])
    cached: dict[str, np.ndarray] = {}
    if pairs_cache is not None and pairs_cache.exists():
        with np.load(pairs_cache) as npz:
            if tuple(str(x) for x in npz["features"]) == tuple(stamp):
                cached = {k: npz[k] for k in npz.files}
    out = []
    for name in FILES:
        arts = load_jsonl(EVAL / name)
        reps = to_reps(arts, vectorizer.vectorize([(a.title, a.text) for a in arts]))
        folds = assign_folds([a.story for a in arts])
        data = FileData(name, arts, reps, folds, {})
        stories = [a.story for a in arts]
        for f in range(FOLDS):
            key = f"{name}/{f}"
            if key + "/X" in cached:
                data.pairs[f] = (cached[key + "/X"], cached[key + "/y"])
            else:
                data.pairs[f] = gold_pairs(reps, data.order(f), stories, config)
        n = sum(len(p[1]) for p in data.pairs.values())
        pos = sum(int(p[1].sum()) for p in data.pairs.values())
        print(f"{name}: {len(arts)} articles, {len(set(folds))} folds, {n} pairs, "
              f"{pos} positive", flush=True)
        out.append(data)
    if pairs_cache is not None and not cached:
        arrays: dict[str, Any] = {"features": stamp}
        for d in out:
            for f, (X, y) in d.pairs.items():
                arrays[f"{d.name}/{f}/X"], arrays[f"{d.name}/{f}/y"] = X, y
        np.savez_compressed(pairs_cache, **arrays)
    return out


def whole_file_pairs(data: list[FileData], config: EngineConfig) -> list[FileData]:
    """The gold-state pairs of each file replayed whole (one fold, ``0``): every story of
    the file is a candidate, as in production, where the archive is one stream. The
    shipped model is fitted on these; fold pairs only see a fifth of the stories."""
    out = []
    for d in data:
        pairs = {0: gold_pairs(d.reps, d.order(), [a.story for a in d.arts], config)}
        out.append(FileData(d.name, d.arts, d.reps, [0] * len(d.arts), pairs))
    return out


@dataclass
class Fitted:
    forest: dict[str, Any]
    names: tuple[str, ...]  # the features it reads, in its column order


def censored(d: FileData, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Without the pairs that a fixed-size file cannot label: where every story of a file
    has the same size k (a set built k articles per event), a candidate story that already
    has k members is a negative by construction, not because the article reports another
    event. Those pairs are dropped, so no model learns "a story of k takes no more"."""
    sizes = Counter(a.story for a in d.arts).values()
    if len(set(sizes)) != 1:
        return X, y
    full = X[:, FEATURES.index("log_size")] >= math.log1p(next(iter(sizes))) - 1e-9
    return X[~full], y[~full]


def fit(data: list[FileData], folds: Sequence[int], names: Sequence[str] = USED,
        trees: int = TREES, monotone: bool | Sequence[str] = False,
        censor: bool = False) -> Fitted:
    """Trees on the pairs of ``folds`` of every file, each file weighing the same, reading
    only the features ``names`` (with ``monotone``, constrained as ``MONOTONE`` says; a
    sequence of names constrains only those; with ``censor``, without the pairs
    :func:`censored` drops)."""
    cols = feature_columns(tuple(names))
    raw = [(d, np.vstack([d.pairs[f][0] for f in folds]),
            np.concatenate([d.pairs[f][1] for f in folds])) for d in data]
    if censor:
        raw = [(d, *censored(d, X, y)) for d, X, y in raw]
    xs = [(X[:, cols], y) for _, X, y in raw]
    X = np.vstack([x for x, _ in xs])
    y = np.concatenate([y for _, y in xs])
    w = np.concatenate([np.full(len(yy), len(y) / (len(xs) * len(yy))) for _, yy in xs])
    gbm = HistGradientBoostingClassifier(
        max_iter=trees, learning_rate=0.05, max_leaf_nodes=15, l2_regularization=1.0,
        min_samples_leaf=40, early_stopping=False, random_state=0,
        monotonic_cst=[MONOTONE.get(n, 0) if monotone is True or (
            not isinstance(monotone, bool) and n in monotone) else 0 for n in names]
        if monotone else None,
    ).fit(X, y, sample_weight=w)
    forest = forest_from_sklearn(gbm)
    probe = PairModel(threshold=0.5, merge_threshold=2.0, version="probe",
                      forest=Forest.from_json(forest))
    sample = X[:2000]
    drift = float(np.abs(probe.score(sample) - gbm.predict_proba(sample)[:, 1]).max())
    assert drift < 1e-6, f"exported trees differ from scikit-learn by {drift}"
    return Fitted(forest, tuple(names))


def with_thresholds(fitted: Fitted, thr: float, merge: float) -> PairModel:
    return PairModel(threshold=thr, merge_threshold=merge, version=VERSION,
                     forest=Forest.from_json(fitted.forest),
                     columns=feature_columns(fitted.names))


@dataclass
class Score:
    f1: dict[str, float]  # file -> BCubed F1 (pooled over folds)
    share3: dict[str, tuple[float, float]]  # file -> (predicted, gold) share of 3-stories
    mixed: float | None = None

    @property
    def mean(self) -> float:
        return float(np.mean(list(self.f1.values())))

    def line(self) -> str:
        parts = [f"{n.split('-')[0]} {s:.4f}" for n, s in self.f1.items()]
        mixed = "" if self.mixed is None else f"  mixed {self.mixed:.4f}"
        ecb = self.share3.get("ecbplus-dev.jsonl")
        share = "" if ecb is None else f"  ecb 3-share {100 * ecb[0]:.1f}% (gold {100 * ecb[1]:.1f}%)"
        return " ".join(parts) + f"  mean {self.mean:.4f}{mixed}{share}"


def score(data: list[FileData], models: dict[int | None, Fitted],
          thr: float, merge: float, config: EngineConfig, mixed: bool = False) -> Score:
    """BCubed F1 per file: each fold clustered by ``models[fold]`` (out of fold), or the
    whole file by ``models[None]`` (in sample); predictions pooled over folds."""
    f1, share3 = {}, {}
    folds: list[int | None] = [None] if None in models else list(range(FOLDS))
    for d in data:
        pred: dict[str, str] = {}
        for f in folds:
            reps = [d.reps[i] for i in d.order(f)]
            got, _ = cluster_reps(reps, list(range(len(reps))),
                                  with_thresholds(models[f], thr, merge), config)
            pred.update({k: f"{f}/{v}" for k, v in got.items()})
        gold = d.gold(range(len(d.arts)))
        f1[d.name] = bcubed(pred, gold)["f1"]
        share3[d.name] = (size_share(pred.values()), size_share(gold.values()))
    out = Score(f1, share3)
    if mixed:
        pred, gold = {}, {}
        for f in folds:
            arts, reps, files = [], [], []
            for n, d in enumerate(data):
                for i in range(len(d.arts)):
                    if f is None or d.fold[i] == f:
                        arts.append(d.arts[i])
                        reps.append(d.reps[i])
                        files.append(n)
            got, _ = cluster_reps(reps, mixed_order(arts, files, UNDATED_ORDER),
                                  with_thresholds(models[f], thr, merge), config)
            pred.update({k: f"{f}/{v}" for k, v in got.items()})
            gold.update({a.id: a.story for a in arts})
        out.mixed = bcubed(pred, gold)["f1"]
    return out


def out_of_fold(data: list[FileData], config: EngineConfig, names: Sequence[str] = USED,
                grid: Sequence[tuple[float, float]] | None = None, trees: int = TREES,
                monotone: bool | Sequence[str] = False, censor: bool = False,
                ) -> tuple[tuple[float, float], Score, dict[int | None, Fitted]]:
    """Fold models, and the (join, merge) thresholds with the best mean out-of-fold F1."""
    models: dict[int | None, Fitted] = {
        f: fit(data, [g for g in range(FOLDS) if g != f], names, trees, monotone, censor)
        for f in range(FOLDS)}
    best: tuple[tuple[float, float], Score] | None = None
    for thr, merge in grid or itertools.product(THRESHOLDS, MERGE_THRESHOLDS):
        s = score(data, models, thr, merge, config)
        print(f"  out of fold, threshold {thr} merge {merge}: {s.line()}", flush=True)
        if best is None or s.mean > best[1].mean:
            best = ((thr, merge), s)
    assert best is not None
    return best[0], best[1], models


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=MODEL_FILE)
    ap.add_argument("--trees", type=int, default=TREES)
    ap.add_argument("--features", default=",".join(USED),
                    help="comma-separated features the model may read (default: the "
                         f"shipped set; size-free: {','.join(SIZE_FREE)})")
    ap.add_argument("--drop", nargs="*", default=[], choices=FEATURES,
                    help="features the model may not use (ablation)")
    ap.add_argument("--merge-max-small", type=int, default=EngineConfig().merge_max_small,
                    help="consolidation: the smaller story is at most this big (the "
                         "engine's default is what the service runs)")
    ap.add_argument("--pairs-cache", type=Path, default=None,
                    help=".npz of the gold-state pairs (read when current, else written)")
    ap.add_argument("--thresholds", type=float, nargs="+", default=THRESHOLDS)
    ap.add_argument("--merge", type=float, nargs="+", default=MERGE_THRESHOLDS)
    ap.add_argument("--text-words", type=int, default=None,
                    help="entities, numbers and terms from this many words of the text "
                         "(default: the lead, as the service computes them)")
    ap.add_argument("--monotone", action="store_true",
                    help="constrain the trees as MONOTONE says")
    ap.add_argument("--free", default="",
                    help="with --monotone: comma-separated features left unconstrained")
    ap.add_argument("--censor", action="store_true",
                    help="drop the pairs a fixed-size file cannot label (a candidate "
                         "story already as big as every story of its file)")
    args = ap.parse_args()
    config = EngineConfig(merge_max_small=args.merge_max_small)
    data = load_data(config, pairs_cache=args.pairs_cache, text_words=args.text_words)
    wanted = [f for f in args.features.split(",") if f]
    unknown = sorted(set(wanted) - set(FEATURES))
    if unknown:
        raise SystemExit(f"unknown features: {', '.join(unknown)}")
    names = tuple(f for f in wanted if f not in args.drop)
    grid = list(itertools.product(args.thresholds, args.merge))
    monotone: bool | list[str] = (
        [n for n in names if n not in args.free.split(",")] if args.monotone else False)
    (thr, merge), oof, models = out_of_fold(data, config, names, grid, trees=args.trees,
                                            monotone=monotone, censor=args.censor)
    oof_mixed = score(data, models, thr, merge, config, mixed=True)
    print(f"chosen: threshold {thr} merge {merge}; out of fold {oof_mixed.line()}")
    forest = fit(whole_file_pairs(data, config), [0], names, args.trees, monotone,
                 args.censor)
    inside = score(data, {None: forest}, thr, merge, config, mixed=True)
    print(f"in sample: {inside.line()}")

    def figures(s: Score) -> dict[str, Any]:
        return {"bcubed_f1": {n: round(v, 4) for n, v in s.f1.items()},
                "mean": round(s.mean, 4), "mixed_stream": round(s.mixed or 0.0, 4),
                "share_of_3_predicted": {n: round(v[0], 4) for n, v in s.share3.items()},
                "share_of_3_gold": {n: round(v[1], 4) for n, v in s.share3.items()}}

    doc = {
        "version": VERSION, "kind": "trees", "features": list(names), "threshold": thr,
        "merge_threshold": merge, "forest": forest.forest,
        "meta": {"trained_on": FILES, "folds": FOLDS, "dropped": list(args.drop),
                 "text_words": args.text_words, "merge_max_small": args.merge_max_small,
                 "trees": args.trees, "monotone": monotone, "censor": args.censor,
                 "out_of_fold": figures(oof_mixed),
                 "in_sample": figures(inside),
                 "pairs": int(sum(len(p[1]) for d in data for p in d.pairs.values()))},
    }
    args.out.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
