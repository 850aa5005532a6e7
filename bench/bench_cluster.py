"""Story engine throughput: embedding alone, clustering alone at 1k/10k/100k articles in
the database, and end to end; peak memory per scale.

    .venv/bin/python bench/bench_cluster.py [--scales 1000 10000 100000] [--new 500]
        [--baseline DIR]

``--baseline DIR`` (a checkout of an earlier commit, e.g. ``git worktree add /tmp/base
main``) runs the clustering scales with that code as well, alternating run by run, and
prints its figures next to this checkout's.

Scaling uses synthetic article vectors arriving at a constant rate (PER_DAY), so that the
archive grows with the scale while the number of *active* stories (inside the clustering
window) stays the same — the situation of a long-running installation. Each scale runs in its own process (peak RSS is per process).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.helpers import EVAL  # noqa: E402

PER_DAY = 200  # synthetic archive: articles per day


def real_texts(n: int) -> list[tuple[str, str]]:
    rows = [json.loads(x) for x in (EVAL / "basil-dev.jsonl").read_text().splitlines()]
    rows += [json.loads(x) for x in (EVAL / "neus-dev.jsonl").read_text().splitlines()]
    return [(r["title"], r["text"]) for r in rows[:n]]


def bench_embedding(runs: int) -> float:
    from storyline.cluster.vectorize import Vectorizer

    items = real_texts(300)  # basil full texts: the 256-token case
    vec = Vectorizer()
    vec.vectorize(items[:8])  # load models
    rates = []
    for _ in range(runs):
        t0 = time.perf_counter()
        vec.embedder.encode([f"{t}. {x}" for t, x in items])
        rates.append(len(items) / (time.perf_counter() - t0))
    return statistics.median(rates)


def build_db(path: str, n_old: int, n_new: int, seed: int = 0) -> None:
    """n_old clustered synthetic articles over ~60 days + n_new pending ones today."""
    from sqlalchemy import insert

    from storyline.cluster.service import _members_hash
    from storyline.settings import load_settings
    from storyline.storage import open_database
    from storyline.storage.schema import (
        article_vectors,
        articles,
        stories,
        story_members,
    )

    rng = np.random.default_rng(seed)
    settings = load_settings(env={"STORYLINE_CONFIG": "", "STORYLINE_DATA_DIR": path})
    engine = open_database(settings, f"{path}/bench.db")
    now = datetime(2026, 11, 22, tzinfo=UTC)
    dim = 384
    per_story = 5
    centres = rng.normal(size=((n_old + n_new) // per_story + 1, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    with engine.begin() as conn:
        art_rows, vec_rows, story_rows, member_rows = [], [], [], []
        for i in range(n_old + n_new):
            sid = i // per_story + 1
            old = i < n_old
            # a constant arrival rate: the archive grows, the active window does not
            when = now - timedelta(days=(n_old - i) / PER_DAY) if old else now
            v = centres[sid - 1] + 0.25 * rng.normal(size=dim).astype(np.float32)
            v /= np.linalg.norm(v)
            art_rows.append(dict(
                id=i + 1, identity=f"bench-{i}", title=f"Synthetic event {sid} report {i}",
                text="x", published=when, fetched_at=when, content_hash=f"h{i}",
                extraction_method="bench", inferred_fields="[]", links="[]",
                is_flagged=False, outlet=f"outlet{i % 7}",
            ))
            vec_rows.append(dict(
                article_id=i + 1, content_hash=f"h{i}", model="bench", dense=v.tobytes(),
                title_dense=v.tobytes(), signals_version="bench",
                entities=json.dumps([f"entity{sid}", f"place{sid % 50}"]), numbers="[]",
                terms=json.dumps({f"event{sid}": 2, f"word{i % 97}": 1}),
            ))
            if old:
                member_rows.append(dict(article_id=i + 1, story_id=sid, score=1.0,
                                        assigned_at=when))
                if i % per_story == per_story - 1 or i == n_old - 1:
                    first = when - timedelta(hours=2)
                    ids = list(range(sid * per_story - per_story + 1, i + 2))
                    story_rows.append(dict(
                        id=sid, created_at=first, updated_at=when, first_time=first,
                        last_time=when, article_count=len(ids), outlet_count=5,
                        title=f"Synthetic event {sid}", status="active",
                        members_hash=_members_hash(ids)))
        for table, rows in ((articles, art_rows), (article_vectors, vec_rows),
                            (stories, story_rows), (story_members, member_rows)):
            for k in range(0, len(rows), 5000):
                conn.execute(insert(table), rows[k : k + 5000])
    engine.dispose()


def one_scale(n_old: int, n_new: int) -> dict[str, float]:
    from storyline.cluster.service import ClusterService
    from storyline.cluster.vectorize import Vectorizer
    from storyline.settings import load_settings
    from storyline.storage import open_database

    with tempfile.TemporaryDirectory() as tmp:
        build_db(tmp, n_old, n_new)
        settings = load_settings(env={"STORYLINE_CONFIG": "", "STORYLINE_DATA_DIR": tmp})
        engine = open_database(settings, f"{tmp}/bench.db")

        class Stored(Vectorizer):  # the synthetic vectors are already stored
            model_version = "bench"  # type: ignore[assignment]
            signals_version = "bench"  # type: ignore[assignment]

        t0, c0 = time.perf_counter(), time.process_time()
        service = ClusterService(engine, settings, vectorizer=Stored.__new__(Stored))
        report = service.run()
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        assert report.articles == n_new, report
        active = service.index.active_count if service.index else 0
        engine.dispose()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "per_s": n_new / seconds, "per_cpu_s": n_new / cpu,
            "active": active, "peak": peak_mib}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scales", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--new", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--baseline", type=Path, default=None,
                    help="checkout of earlier code to run side by side")
    ap.add_argument("--no-embedding", action="store_true", help="skip the embedding figure")
    args = ap.parse_args()
    if args.one is not None:
        print(json.dumps(one_scale(args.one, args.new)))
        return

    embed_rate = 0.0
    if not args.no_embedding:
        embed_rate = bench_embedding(args.runs)
        print(f"embedding alone: {embed_rate:.1f} articles/s (basil full texts, 256 tokens, "
              f"median of {args.runs})")
    trees = {"this": REPO}
    if args.baseline is not None:
        trees["baseline"] = args.baseline.resolve()
    results: dict[str, dict[int, float]] = {name: {} for name in trees}
    cpu_results: dict[str, dict[int, float]] = {name: {} for name in trees}
    for n in args.scales:
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
        for _ in range(args.runs):
            for name, root in trees.items():
                env = {**os.environ, "PYTHONPATH": str(root)}
                out = subprocess.run(
                    [sys.executable, str(root / "bench" / "bench_cluster.py"), "--one", str(n),
                     "--new", str(args.new)], capture_output=True, text=True, check=True,
                    env=env, cwd=root)
                runs[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
        for name, rates in runs.items():
            med = statistics.median(r["per_s"] for r in rates)
            results[name][n] = med
            cpu_results[name][n] = statistics.median(r["per_cpu_s"] for r in rates)
            print(f"clustering alone [{name}], {n:>7} articles in the database: {med:8.1f} "
                  f"articles/s, {cpu_results[name][n]:8.1f} per CPU-second (active stories "
                  f"{rates[0]['active']}, peak RSS {max(r['peak'] for r in rates):.0f} MiB)")
    for name, res in results.items():
        base = res[args.scales[0]]
        cpu_base = cpu_results[name][args.scales[0]]
        for n in args.scales[1:]:
            print(f"cost per article [{name}] at {n} vs {args.scales[0]}: "
                  f"{base / res[n]:.2f}x wall, {cpu_base / cpu_results[name][n]:.2f}x CPU")
    if not embed_rate:
        return
    results_this = results["this"]
    cluster_rate = results_this[args.scales[-1]]
    e2e = 1 / (1 / embed_rate + 1 / cluster_rate)
    print(f"end to end (embedding + clustering at {args.scales[-1]}): {e2e:.1f} articles/s; "
          f"clustering overhead {100 * embed_rate / cluster_rate:.1f}% of embedding time")


if __name__ == "__main__":
    main()
