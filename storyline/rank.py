"""Ranking: the order of the stories on Top Headlines and in its Atom feed. Importance
(distinct outlets, then article velocity) decayed by age, over plain story statistics;
``top_stories`` reads them from storage."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Connection

from storyline.storage import pages

RANK_CANDIDATES = 3000  # the most recent stories considered for Top Headlines

__all__ = ["RANK_CANDIDATES", "RankedStory", "StoryStats", "rank_stories", "story_score",
           "top_stories"]


class StoryStats(Protocol):
    """What ranking reads of a story (a row of ``storage.pages.rank_candidates``)."""

    @property
    def id(self) -> int: ...
    @property
    def outlet_count(self) -> int: ...
    @property
    def article_count(self) -> int: ...
    @property
    def first_time(self) -> datetime | None: ...
    @property
    def last_time(self) -> datetime | None: ...


@dataclass(slots=True)
class RankedStory:
    id: int
    score: float


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def story_score(*, outlets: int, articles: int, first: datetime | None,
                last: datetime | None, reference: datetime) -> float:
    """Importance (distinct outlets, then article velocity) decayed by age.

    Age is measured against ``reference`` (the newest story's time, not the clock), so an
    archive whose newest article is years old still ranks its latest stories first.
    """
    first = _aware(first) or _aware(last)
    last = _aware(last) or first
    if last is None or first is None:
        return 0.0
    span_days = max((last - first).total_seconds() / 86400.0, 0.0)
    velocity = articles / (1.0 + span_days)  # articles per day over the story's life
    importance = (1.0 + 2.0 * math.log2(1 + max(outlets, 0))
                  + math.log2(1 + max(articles, 0)) + math.log2(1 + velocity))
    age_hours = max((reference - last).total_seconds() / 3600.0, 0.0)
    return importance / (1.0 + age_hours / 12.0) ** 1.1


def rank_stories(candidates: Iterable[StoryStats]) -> list[RankedStory]:
    """The stories by score, best first (ties: the newer id first); age is measured
    against the newest of them (the clock when none has a time)."""
    rows = list(candidates)
    times = [t for t in (_aware(r.last_time) for r in rows) if t is not None]
    reference = max(times) if times else datetime.now(UTC)
    ranked = [RankedStory(r.id, story_score(outlets=r.outlet_count, articles=r.article_count,
                                            first=r.first_time, last=r.last_time,
                                            reference=reference))
              for r in rows]
    ranked.sort(key=lambda s: (-s.score, -s.id))
    return ranked


def top_stories(conn: Connection, *, limit: int = RANK_CANDIDATES) -> list[RankedStory]:
    """The ``limit`` most recently active stories, ranked for Top Headlines (one query)."""
    return rank_stories(pages.rank_candidates(conn, limit=limit))
