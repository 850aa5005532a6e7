"""Feature ablation, out of fold: how well does clustering generalise to stories (and ECB+
topics) the model never saw, with and without some features?

    .venv/bin/python tools/cv_pair_model.py [--variants "" "time_gap" "rare_term,lexical"]
        [--pairs-cache /tmp/pairs.npz] [--thresholds 0.3 0.4] [--merge 0.99 2.0]

Same protocol as ``tools/train_pair_model.py`` (ECB+ folds by topic, NeuS and BASIL by
story; fold models trained on the other folds of all three files; thresholds chosen on
the out-of-fold F1 averaged over the files). Each variant names the features held out
(comma-separated; "" = all features). Prints, per variant, the out-of-fold BCubed F1 per
file, the mean, the mixed stream, and the share of predicted 3-article ECB+ stories.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tools"))

from train_pair_model import (  # noqa: E402
    MERGE_THRESHOLDS,
    THRESHOLDS,
    USED,
    load_data,
    out_of_fold,
    score,
)

from storyline.cluster.engine import EngineConfig  # noqa: E402
from storyline.cluster.features import FEATURES  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variants", nargs="+", default=[""])
    ap.add_argument("--thresholds", type=float, nargs="+", default=THRESHOLDS)
    ap.add_argument("--merge", type=float, nargs="+", default=MERGE_THRESHOLDS)
    ap.add_argument("--base", default=",".join(USED),
                    help="comma-separated features the variants start from")
    ap.add_argument("--pairs-cache", type=Path, default=None)
    ap.add_argument("--text-words", type=int, default=None,
                    help="entities, numbers and terms from this many words (default: lead)")
    ap.add_argument("--merge-max-small", type=int, default=EngineConfig().merge_max_small,
                    help="consolidation: the smaller story is at most this big")
    ap.add_argument("--monotone", action="store_true",
                    help="constrain the trees as train_pair_model.MONOTONE says")
    ap.add_argument("--free", default="",
                    help="with --monotone: comma-separated features left unconstrained")
    ap.add_argument("--censor", action="store_true",
                    help="drop the pairs a fixed-size file cannot label (a candidate "
                         "story already as big as every story of its file)")
    args = ap.parse_args()
    config = EngineConfig(merge_max_small=args.merge_max_small)
    data = load_data(config, pairs_cache=args.pairs_cache, text_words=args.text_words)
    base = [f for f in args.base.split(",") if f]
    grid = list(itertools.product(args.thresholds, args.merge))
    rows = []
    for variant in args.variants:
        drop = [f for f in variant.split(",") if f]
        unknown = set(drop + base) - set(FEATURES)
        if unknown:
            raise SystemExit(f"unknown features: {sorted(unknown)}")
        print(f"variant: without {drop or 'nothing'}", flush=True)
        names = [f for f in base if f not in drop]
        (thr, merge), _s, models = out_of_fold(
            data, config, names, grid,
            monotone=[n for n in names if n not in args.free.split(",")]
            if args.monotone else False, censor=args.censor)
        s = score(data, models, thr, merge, config, mixed=True)
        rows.append((variant or "(all)", thr, merge, s.line()))
        print(f"  -> {rows[-1]}", flush=True)
    print(f"{'without':<30} {'thr':>4} {'merge':>5}  out-of-fold BCubed F1")
    for variant, thr, merge, line in rows:
        print(f"{variant:<30} {thr:>4} {merge:>5}  {line}")


if __name__ == "__main__":
    main()
