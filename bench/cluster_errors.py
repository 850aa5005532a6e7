"""Where the clusterer's BCubed loss is, on the dev sets (issue 14).

  HF_HUB_OFFLINE=1 PYTHONPATH=. .venv/bin/python bench/cluster_errors.py [--model M.json]

Three figures, each with the shipped engine and configuration, undated articles in the
harness's fair (seeded, shuffled) order:

1. ECB+ as it is, and with every predicted story cut by the gold sub-topic (``ecb`` /
   ``ecbplus``, the two look-alike events of a topic) and nothing else changed: the
   precision that is lost to look-alike twins, and what is lost elsewhere.
2. NeuS, replayed article by article: for each article whose gold story already has a
   member, did it join that story, score it below the threshold with nothing above
   (a split), miss it among the candidates, or join another?
3. NeuS F1 on random subsets of whole stories (fewer stories competing at once, as in a
   dated stream's window), median of three seeds per size.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.helpers import EVAL  # noqa: E402


def main() -> None:
    from storyline.cluster.engine import ClusterEngine, stored_weights
    from storyline.cluster.features import pair_features
    from storyline.cluster.model import PairModel
    from storyline.cluster.service import engine_config
    from storyline.cluster.vectorize import Vectorizer
    from storyline.evaluate.clustering import bcubed
    from storyline.evaluate.harness import cluster_reps, load_jsonl, processing_order, to_reps
    from storyline.settings import load_settings

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=None, help="pair model (default: shipped)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 150, 450, 900])
    args = ap.parse_args()
    model = PairModel.load(args.model) if args.model else PairModel.load()
    config = engine_config(load_settings())
    vectorizer = Vectorizer()

    def load(name: str):  # type: ignore[no-untyped-def]
        arts = load_jsonl(EVAL / name)
        return arts, to_reps(arts, vectorizer.vectorize([(a.title, a.text) for a in arts]))

    def fmt(b: dict[str, float]) -> str:
        return f"P {b['precision']:.3f}  R {b['recall']:.3f}  F1 {b['f1']:.3f}"

    # 1. ECB+ twins
    arts, reps = load("ecbplus-dev.jsonl")
    gold = {a.id: a.story for a in arts}
    pred, _ = cluster_reps(reps, processing_order(arts), model, config)
    cut = {a: f"{p}|{gold[a].rsplit('_', 1)[1]}" for a, p in pred.items()}
    print(f"ECB+ in sample, as is:                    {fmt(bcubed(pred, gold))}")
    print(f"ECB+, each story cut by ecb/ecbplus:      {fmt(bcubed(cut, gold))}")
    mixed = Counter()
    for story in set(pred.values()):
        subs = Counter(gold[a].rsplit("_", 1)[1] for a, p in pred.items() if p == story)
        if min(subs.values(), default=0) >= 1 and len(subs) == 2:
            mixed[min(subs.values()) >= 2] += 1
    print(f"  predicted stories holding both events of a topic: {sum(mixed.values())} "
          f"({mixed[True]} with at least 2 of each)")

    # 2. NeuS, why an article did not join its story
    arts, reps = load("neus-dev.jsonl")
    gold = {a.id: a.story for a in arts}
    engine = ClusterEngine(model, config)
    outcome: Counter[str] = Counter()
    missed: list[float] = []
    story_of: dict[str, set[int]] = {}
    for i in processing_order(arts):
        art = reps[i]
        mates = {engine.resolve(s) for s in story_of.get(gold[art.id], set())}
        if mates:
            cands = engine._candidates(art.dense, art.time)
            engine.stats.observe(art.terms, art.entities)
            tfidf = stored_weights(engine.stats.tfidf(art.terms))
            engine.stats.observe = lambda *_a, **_k: None  # type: ignore[method-assign]
            hits = [c for c in cands if c in mates]
            if not hits:
                outcome["its story not among the candidates"] += 1
            else:
                probs = model.score(np.array([pair_features(
                    art, tfidf, engine.stories[c], engine.stats, wanted=model.reads)
                    for c in cands]))
                mate = max(float(probs[cands.index(c)]) for c in hits)
                if mate >= float(probs.max()) and mate >= model.threshold:
                    outcome["joined its story"] += 1
                elif float(probs.max()) < model.threshold:
                    outcome["nothing above the threshold (split)"] += 1
                    missed.append(mate)
                else:
                    outcome["joined another story"] += 1
            assignment = engine.assign(art)
            del engine.stats.observe  # back to the class's method
        else:
            assignment = engine.assign(art)
        story_of.setdefault(gold[art.id], set()).add(assignment.story_id)
    print(f"NeuS, {sum(outcome.values())} articles whose story already had a member:")
    for what, n in outcome.most_common():
        print(f"  {what:40s} {n:5d}")
    if missed:
        print(f"  p of its story when split: median {statistics.median(missed):.3f}")

    # 3. NeuS by number of competing stories
    stories = sorted(set(gold.values()))
    for n in [*args.sizes, len(stories)]:
        f1s = []
        for seed in range(3 if n < len(stories) else 1):
            pick = set(random.Random(seed).sample(stories, n))
            idx = [i for i, a in enumerate(arts) if a.story in pick]
            sub = [arts[i] for i in idx]
            p, _ = cluster_reps([reps[i] for i in idx], processing_order(sub), model, config)
            f1s.append(bcubed(p, {a.id: a.story for a in sub})["f1"])
        print(f"NeuS, {n:5d} stories: F1 " + " ".join(f"{f:.3f}" for f in f1s)
              + f"  median {statistics.median(f1s):.3f}")


if __name__ == "__main__":
    main()
