"""Story build time: the extractive writer on stories of 5, 25 and 100 articles.

    .venv/bin/python bench/bench_write.py [--sizes 5 25 100] [--stories 10] [--baseline REF]

Stories are made of real full-text articles from ECB+ dev (avg 310 words): a story of n
articles takes whole ECB+ topics in topic order (an ECB+ topic, e.g. "13", holds two
events of one kind: "13_ecb" and "13_ecbplus") starting at a different topic for each
sample, and is cut at n — so the larger stories, like large real stories, hold several
related sub-events. Timed: ``ExtractiveWriter.write`` end to end (sentence split,
embedding, grouping, verification of every sentence, titles, headline, timeline,
conflicts, links), models loaded and warmed up first, each story cold (the embedder's
memo of recent sentences and the tagger's of parsed ones cleared); then the same story
grown by one article, rewritten warm — what a running service does when a story gains
an article. Prints p50/p95
(nearest rank) and the mean per size, per-article cost relative to the 5-article
stories, and the lowest support rate seen.

With ``--baseline REF`` (default ``main``; ``none`` to skip) the same stories are timed in
the same run with the writer of git revision REF, checked out in a temporary
``git worktree`` and run in a subprocess, and both are printed side by side.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(os.environ.get("BENCH_WRITE_TREE") or Path(__file__).resolve().parents[1])
sys.path.insert(0, str(REPO))
from tests.helpers import EVAL  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def load_topics() -> list[list[dict[str, str]]]:
    rows = [json.loads(x) for x in (EVAL / "ecbplus-dev.jsonl").read_text().splitlines()]
    by_topic: dict[int, list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        # "ecbplus:13_ecbplus" -> topic 13; sub-events stay together, in file order
        by_topic[int(r["story"].split(":")[1].split("_")[0])].append(r)
    return [by_topic[k] for k in sorted(by_topic)]


def make_story(topics: list[list[dict[str, str]]], start: int, size: int) -> list:
    from storyline.write.schema import StoryArticle

    picked: list[dict[str, str]] = []
    k = start
    while len(picked) < size:
        picked += topics[k % len(topics)]
        k += 1
    base = datetime(2026, 2, 18, 8, tzinfo=UTC)
    return [StoryArticle(id=i, title=r["title"], text=r["text"], outlet=f"Outlet {i % 17}",
                         url=f"https://outlet{i % 17}.example/a/{i}",
                         published=base + timedelta(minutes=7 * i))
            for i, r in enumerate(picked[:size])]


def nearest_rank(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def measure(sizes: list[int], n_stories: int) -> dict[str, object]:
    """Cold and warm build times of ``n_stories`` stories per size with this tree's writer."""
    from storyline.write.extractive import ExtractiveWriter

    topics = load_topics()
    writer = ExtractiveWriter()
    writer.write(make_story(topics, 0, 5))  # load and warm the models
    results: dict[int, list[float]] = {}
    cpu: dict[int, list[float]] = {}  # process CPU seconds (all threads): fair when loaded
    rewrites: dict[int, list[float]] = {}
    sentences: dict[int, float] = {}
    support: list[float] = []
    for size in sizes:
        times, again, checked, used = [], [], [], []
        for n in range(n_stories):
            story = make_story(topics, (n * 3) % len(topics), size)
            writer.embedder._memo.clear()  # cold: no sentence of this story seen before
            writer.verifier._cache.clear()
            getattr(writer.tagger, "_memo", {}).clear()  # nor parsed (older writers: no memo)
            t0, c0 = time.perf_counter(), time.process_time()
            summary = writer.write(story)
            times.append(time.perf_counter() - t0)
            used.append(time.process_time() - c0)
            checked.append(summary.checked_sentences)
            support.append(summary.support_rate)
            # The common case in a running service: the story gains one article and is
            # rewritten (its other sentences are still in the embedder's memo).
            grown = make_story(topics, (n * 3) % len(topics), size + 1)
            t0 = time.perf_counter()
            writer.write(grown)
            again.append(time.perf_counter() - t0)
        results[size] = times
        cpu[size] = used
        rewrites[size] = again
        sentences[size] = statistics.mean(checked)
    return {"cold": results, "cpu": cpu, "warm": rewrites, "sentences": sentences,
            "support": min(support)}


def baseline(ref: str, sizes: list[int], n_stories: int) -> dict[str, object] | None:
    """``measure`` with the writer of git revision ``ref``, in a temporary worktree."""
    here = Path(__file__).resolve()
    with tempfile.TemporaryDirectory(prefix="bench-write-") as tmp:
        tree = Path(tmp) / "tree"
        shared = here.parents[2] / "shared"  # the eval data beside the checkout
        if shared.exists():
            (Path(tmp) / "shared").symlink_to(shared)
        made = subprocess.run(["git", "-C", str(here.parents[1]), "worktree", "add",
                               "--detach", str(tree), ref], capture_output=True, text=True)
        if made.returncode != 0:
            print(f"baseline {ref}: {made.stderr.strip().splitlines()[-1]}", file=sys.stderr)
            return None
        try:
            env = dict(os.environ, BENCH_WRITE_TREE=str(tree), PYTHONPATH=str(tree))
            out = subprocess.run([sys.executable, str(here), "--sizes", *map(str, sizes),
                                  "--stories", str(n_stories), "--baseline", "none",
                                  "--json"], capture_output=True, text=True, env=env)
            if out.returncode != 0:
                print(f"baseline {ref} failed: {out.stderr.strip()[-300:]}", file=sys.stderr)
                return None
            data: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
            return data
        finally:
            subprocess.run(["git", "-C", str(here.parents[1]), "worktree", "remove",
                            "--force", str(tree)], capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 25, 100])
    parser.add_argument("--stories", type=int, default=10,
                        help="stories timed per size (default 10)")
    parser.add_argument("--baseline", default="main",
                        help="git revision whose writer is timed alongside (default main; "
                             "'none' to skip)")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.json:  # the baseline's half of a side-by-side run
        got = measure(args.sizes, args.stories)
        print(json.dumps({k: ({str(s): v for s, v in val.items()}
                              if isinstance(val, dict) else val) for k, val in got.items()}))
        return
    old = baseline(args.baseline, args.sizes, args.stories) if args.baseline != "none" \
        else None
    new = measure(args.sizes, args.stories)
    results = new["cold"]
    rewrites = new["warm"]
    sentences = new["sentences"]
    assert isinstance(results, dict) and isinstance(rewrites, dict) and \
        isinstance(sentences, dict)
    print(f"story build time, extractive writer ({args.stories} stories per size, "
          f"{os.cpu_count()} cores, ECB+ full-text articles):")
    base = statistics.median(results[args.sizes[0]]) / args.sizes[0]
    for size, times in results.items():
        p50, p95 = statistics.median(times), nearest_rank(times, 0.95)
        per_article = p50 / size
        line = (f"  {size:4d} articles: p50 {1000 * p50:7.0f} ms  p95 {1000 * p95:7.0f} ms  "
                f"mean {1000 * statistics.mean(times):7.0f} ms  "
                f"({sentences[size]:.0f} sentences checked; per article "
                f"{per_article / base:.2f}x the {args.sizes[0]}-article cost)")
        mine = new["cpu"][size]  # type: ignore[index]
        line += f"\n        CPU time p50 {1000 * statistics.median(mine):7.0f} ms"
        if old is not None:
            was = old["cold"][str(size)]  # type: ignore[index]
            line += (f"\n        {args.baseline}: p50 {1000 * statistics.median(was):7.0f} ms  "
                     f"p95 {1000 * nearest_rank(was, 0.95):7.0f} ms  "
                     f"(now/then {p50 / statistics.median(was):.2f}x)")
            then = old.get("cpu", {}).get(str(size))  # type: ignore[union-attr]
            if then:
                line += (f"; CPU time p50 {1000 * statistics.median(then):7.0f} ms "
                         f"(now/then {statistics.median(mine) / statistics.median(then):.2f}x)")
        print(line)
    print("rewrite after one more article (embedder memo warm):")
    for size, times in rewrites.items():
        line = (f"  {size:4d}+1 articles: p50 {1000 * statistics.median(times):7.0f} ms  "
                f"p95 {1000 * nearest_rank(times, 0.95):7.0f} ms")
        if old is not None:
            was = old["warm"][str(size)]  # type: ignore[index]
            line += f"  ({args.baseline}: p50 {1000 * statistics.median(was):7.0f} ms)"
        print(line)
    print(f"support rate: min {new['support']:.3f} over {len(args.sizes) * args.stories} "
          f"stories" + (f" ({args.baseline}: {old['support']:.3f})" if old else ""))


if __name__ == "__main__":
    main()
