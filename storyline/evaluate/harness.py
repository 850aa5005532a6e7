"""The clustering evaluation harness: the production engine over labelled JSONL files.

One file: articles without a ``published`` date come first, in a seeded random order
(:data:`UNDATED_SEED`), with one shared unknown time (time neither helps nor hurts them,
and the stories they start never age out of the candidate index); then the dated articles
follow in date order.

The undated articles are shuffled because the dev files list them grouped by gold story
(the data's README says to shuffle): fed in file order, the three articles of a NeuS
roundup arrive one after the other, so the story an article should join is always the
one still being built -- the order gives the answer away, to the engine being scored and
to a model trained on replays of that order. ``undated="file"`` keeps the file order, for
comparison only.

Several files are one *mixed stream* (:func:`mixed_order`): the dated articles of all
files in date order, the undated ones spread evenly through it (each file's in its
shuffled order), so look-alike events meet unrelated ones as in a real feed.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from storyline.cluster.engine import ClusterEngine, EngineConfig
from storyline.cluster.model import PairModel
from storyline.cluster.represent import ArticleRep, to_days
from storyline.cluster.vectorize import Vectorizer, Vectors
from storyline.evaluate.clustering import bcubed, cluster_counts, pairwise
from storyline.text.dates import parse_datetime
from storyline.text.jsonio import json_objects


class EvalInputError(ValueError):
    """The evaluation file cannot be used; the message says where."""


@dataclass(slots=True)
class EvalArticle:
    id: str
    story: str
    title: str
    text: str
    published: datetime | None
    source: str | None


@dataclass
class EvalResult:
    predicted: dict[str, str]
    gold: dict[str, str]
    bcubed: dict[str, float]
    pairwise: dict[str, float]
    counts: dict[str, int]
    seconds_vectorize: float
    seconds_cluster: float
    merged: int = 0
    split: int = 0
    extra: dict[str, float] = field(default_factory=dict)
    per_file: dict[str, float] = field(default_factory=dict)  # mixed stream: F1 per file

    @property
    def articles_per_second(self) -> float:
        total = self.seconds_vectorize + self.seconds_cluster
        return self.counts["items"] / total if total else 0.0


def read_objects(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of a JSON-lines evaluation file; a file that cannot be read
    or a line that is not a JSON object is an ``EvalInputError`` naming the place."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalInputError(f"{path}: cannot read: {exc}") from None
    for n, obj in json_objects(text):
        if isinstance(obj, str):
            raise EvalInputError(f"{path}:{n}: {obj}")
        yield n, obj


def load_jsonl(path: Path) -> list[EvalArticle]:
    out: list[EvalArticle] = []
    seen: set[str] = set()
    for n, obj in read_objects(path):
        if not isinstance(obj.get("id"), str) or not isinstance(obj.get("story"), str):
            raise EvalInputError(f"{path}:{n}: needs string fields \"id\" and \"story\"")
        if obj["id"] in seen:
            raise EvalInputError(f"{path}:{n}: duplicate id {obj['id']!r}")
        seen.add(obj["id"])
        pub = obj.get("published")
        out.append(EvalArticle(
            id=obj["id"], story=obj["story"], title=str(obj.get("title") or ""),
            text=str(obj.get("text") or ""),
            published=parse_datetime(pub) if isinstance(pub, str) and pub else None,
            source=obj.get("source") if isinstance(obj.get("source"), str) else None,
        ))
    if not out:
        raise EvalInputError(f"{path}: no articles")
    return out


UNDATED_SEED = 0
UNDATED_ORDERS = ("shuffled", "file")


def undated_order(idx: list[int], undated: str = "shuffled") -> list[int]:
    """The undated articles ``idx`` (indices in file order) in processing order: a
    random order fixed by :data:`UNDATED_SEED` (the same on every machine and run), or
    file order with ``undated="file"``."""
    if undated not in UNDATED_ORDERS:
        raise ValueError(f"undated order must be one of {UNDATED_ORDERS}, not {undated!r}")
    out = list(idx)
    if undated == "shuffled":
        random.Random(UNDATED_SEED).shuffle(out)
    return out


def _dated(arts: list[EvalArticle]) -> list[int]:
    """The dated articles in date order (file order between equal dates)."""
    return sorted((i for i, a in enumerate(arts) if a.published is not None),
                  key=lambda i: (arts[i].published, i))


def processing_order(arts: list[EvalArticle], undated: str = "shuffled") -> list[int]:
    dated = _dated(arts)
    return undated_order([i for i, a in enumerate(arts) if a.published is None],
                         undated) + dated


def mixed_order(arts: list[EvalArticle], files: list[int],
                undated: str = "shuffled") -> list[int]:
    """Processing order of several files as one stream: dated articles in date order;
    the undated articles of each file (``files[i]`` names the file of ``arts[i]``) in
    the order :func:`undated_order` gives, spread evenly over the stream."""
    dated = _dated(arts)
    keyed = [((r + 0.5) / len(dated), 0, i) for r, i in enumerate(dated)]
    for f in sorted(set(files)):
        rest = undated_order([i for i, a in enumerate(arts)
                              if a.published is None and files[i] == f], undated)
        keyed += [((r + 0.5) / len(rest), 1, i) for r, i in enumerate(rest)]
    return [i for _k, _u, i in sorted(keyed)]


def to_reps(arts: list[EvalArticle], vectors: list[Vectors]) -> list[ArticleRep]:
    return [
        ArticleRep(id=a.id, dense=v.dense, title_dense=v.title_dense, terms=v.terms,
                   entities=frozenset(v.entities), numbers=frozenset(v.numbers),
                   time=to_days(a.published), outlet=a.source, title=a.title)
        for a, v in zip(arts, vectors, strict=True)
    ]


def cluster_reps(reps: list[ArticleRep], order: list[int], model: PairModel,
                 config: EngineConfig | None = None) -> tuple[dict[str, str], ClusterEngine]:
    engine = ClusterEngine(model, config)
    for i in order:
        engine.assign(reps[i])
    engine.consolidate()
    predicted = {str(rep.id): str(engine.resolve(engine.article_story[rep.id]))
                 for rep in reps}
    return predicted, engine


def size_share(labels: Iterable[str], size: int = 3) -> float:
    """Share of the clusters in ``labels`` (one label per item) with exactly ``size``
    items."""
    sizes = Counter(labels).values()
    return sum(1 for n in sizes if n == size) / len(sizes) if sizes else 0.0


def evaluate_file(path: Path, *, vectorizer: Vectorizer, model: PairModel | None = None,
                  config: EngineConfig | None = None, undated: str = "shuffled"
                  ) -> EvalResult:
    return evaluate_files([path], vectorizer=vectorizer, model=model, config=config,
                          undated=undated)


def evaluate_files(paths: list[Path], *, vectorizer: Vectorizer,
                   model: PairModel | None = None,
                   config: EngineConfig | None = None,
                   undated: str = "shuffled") -> EvalResult:
    """The production engine over one file, or over several as one mixed stream."""
    arts: list[EvalArticle] = []
    files: list[int] = []
    seen: set[str] = set()
    for f, path in enumerate(paths):
        for a in load_jsonl(path):
            if a.id in seen:
                raise EvalInputError(f"{path}: id {a.id!r} is in an earlier file too")
            seen.add(a.id)
            arts.append(a)
            files.append(f)
    model = model or PairModel.load()
    t0 = time.perf_counter()
    vectors = vectorizer.vectorize([(a.title, a.text) for a in arts])
    t1 = time.perf_counter()
    reps = to_reps(arts, vectors)
    order = (processing_order(arts, undated) if len(paths) == 1
             else mixed_order(arts, files, undated))
    predicted, engine = cluster_reps(reps, order, model, config)
    t2 = time.perf_counter()
    gold = {a.id: a.story for a in arts}
    per_file = {}
    if len(paths) > 1:
        for f, path in enumerate(paths):
            sub = {a.id: a.story for a, g in zip(arts, files, strict=True) if g == f}
            per_file[str(path)] = bcubed(predicted, sub)["f1"]
    return EvalResult(
        predicted=predicted, gold=gold, bcubed=bcubed(predicted, gold),
        pairwise=pairwise(predicted, gold), counts=cluster_counts(predicted, gold),
        seconds_vectorize=t1 - t0, seconds_cluster=t2 - t1,
        extra={"share_of_3_predicted": size_share(predicted.values()),
               "share_of_3_gold": size_share(gold.values())},
        per_file=per_file,
    )
