"""The clustering evaluation harness: the production engine over a labelled JSONL file.

Articles without a ``published`` date come first, in file order, with one shared
unknown time (time neither helps nor hurts them, and the stories they start never age
out of the candidate index); then the dated articles follow in date order.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
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


def processing_order(arts: list[EvalArticle]) -> list[int]:
    dated = sorted((i for i, a in enumerate(arts) if a.published is not None),
                   key=lambda i: (arts[i].published, i))
    undated = [i for i, a in enumerate(arts) if a.published is None]
    return undated + dated


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


def evaluate_file(path: Path, *, vectorizer: Vectorizer, model: PairModel | None = None,
                  config: EngineConfig | None = None) -> EvalResult:
    arts = load_jsonl(path)
    model = model or PairModel.load()
    t0 = time.perf_counter()
    vectors = vectorizer.vectorize([(a.title, a.text) for a in arts])
    t1 = time.perf_counter()
    reps = to_reps(arts, vectors)
    predicted, engine = cluster_reps(reps, processing_order(arts), model, config)
    t2 = time.perf_counter()
    gold = {a.id: a.story for a in arts}
    return EvalResult(
        predicted=predicted, gold=gold, bcubed=bcubed(predicted, gold),
        pairwise=pairwise(predicted, gold), counts=cluster_counts(predicted, gold),
        seconds_vectorize=t1 - t0, seconds_cluster=t2 - t1,
    )
