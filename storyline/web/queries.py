"""What the reader shows, as plain JSON-ready dicts: one function per page, shared by the
HTML page and its ``/api`` twin. Few queries per page (SQLAlchemy Core); the caller owns
the connection."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from storyline.storage import sources as source_store
from storyline.storage.schema import (
    articles,
    stories,
    story_members,
    story_summaries,
    storylines,
    substories,
)
from storyline.text.dates import known_time

PAGE_SIZE = 20
RANK_CANDIDATES = 3000  # the most recent stories considered for Top Headlines
MAX_MERGE_HOPS = 20


# --- ranking ----------------------------------------------------------------------


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


def rank_stories(conn: Connection, *, limit: int = RANK_CANDIDATES) -> list[RankedStory]:
    """Active stories ranked for Top Headlines (one query)."""
    rows = conn.execute(
        select(stories.c.id, stories.c.outlet_count, stories.c.article_count,
               stories.c.first_time, stories.c.last_time)
        .where(stories.c.status == "active", stories.c.article_count > 0)
        .order_by(stories.c.last_time.desc().nulls_last(), stories.c.id.desc())
        .limit(limit)
    ).all()
    times = [t for t in (_aware(r.last_time) for r in rows) if t is not None]
    reference = max(times) if times else datetime.now(UTC)
    ranked = [RankedStory(r.id, story_score(outlets=r.outlet_count, articles=r.article_count,
                                            first=r.first_time, last=r.last_time,
                                            reference=reference))
              for r in rows]
    ranked.sort(key=lambda s: (-s.score, -s.id))
    return ranked


# --- helpers ------------------------------------------------------------------------


_SUMMARIES = (select(story_summaries.c.story_id, story_summaries.c.summary)
              .where(story_summaries.c.story_id.in_(bindparam("ids", expanding=True))))


def _summaries(conn: Connection, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    rows = conn.execute(_SUMMARIES, {"ids": ids})
    return {r.story_id: json.loads(r.summary) for r in rows}


def first_sentence(summary: dict[str, Any] | None) -> str | None:
    if not summary:
        return None
    for section in summary.get("sections") or []:
        for sentence in section.get("sentences") or []:
            if sentence.get("text"):
                return str(sentence["text"])
    return None


def _card(row: Any, summary: dict[str, Any] | None) -> dict[str, Any]:
    """A story as a list entry (Top Headlines, storyline, Atom)."""
    image = (summary or {}).get("image")
    return {
        "id": row.id,
        "headline": (summary or {}).get("headline") or row.title or f"Story {row.id}",
        "lead": first_sentence(summary),
        "article_count": row.article_count,
        "outlet_count": row.outlet_count,
        "first_time": row.first_time,
        "last_time": row.last_time,
        "updated": row.last_time or row.updated_at,
        "storyline_id": row.storyline_id,
        "image": image if image and image.get("url") else None,
        "has_summary": summary is not None,
    }


_CARD_COLUMNS = (stories.c.id, stories.c.title, stories.c.article_count, stories.c.outlet_count,
                 stories.c.first_time, stories.c.last_time, stories.c.updated_at,
                 stories.c.storyline_id)


def story_cards(conn: Connection, ids: list[int]) -> list[dict[str, Any]]:
    """Cards for ``ids``, in that order (two queries)."""
    if not ids:
        return []
    rows = {r.id: r for r in conn.execute(select(*_CARD_COLUMNS).where(stories.c.id.in_(ids)))}
    summaries = _summaries(conn, ids)
    return [_card(rows[i], summaries.get(i)) for i in ids if i in rows]


# --- pages --------------------------------------------------------------------------


def top_page(conn: Connection, ranking: list[RankedStory], page: int,
             per_page: int = PAGE_SIZE) -> dict[str, Any]:
    total = len(ranking)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages)
    chosen = ranking[(page - 1) * per_page: page * per_page]
    cards = story_cards(conn, [s.id for s in chosen])
    scores = {s.id: s.score for s in chosen}
    for card in cards:
        card["score"] = round(scores[card["id"]], 6)
    return {"page": page, "pages": pages, "per_page": per_page, "total": total,
            "stories": cards}


# The story page's statements are built once (building a statement costs more than
# running it on SQLite).
_STORY_ROW = (
    select(stories, storylines.c.title.label("storyline_title"),
           storylines.c.story_count.label("storyline_story_count"),
           story_summaries.c.summary.label("summary_json"),
           story_summaries.c.members_hash.label("summary_members_hash"),
           story_summaries.c.written_at.label("summary_written_at"))
    .outerjoin(storylines, storylines.c.id == stories.c.storyline_id)
    .outerjoin(story_summaries, story_summaries.c.story_id == stories.c.id)
    .where(stories.c.id == bindparam("story_id"))
)
_MEMBERS = (
    select(articles.c.id, articles.c.title, articles.c.outlet, articles.c.url,
           articles.c.published, articles.c.fetched_at, articles.c.source_id,
           articles.c.duplicate_of, story_members.c.substory_id)
    .join(story_members, story_members.c.article_id == articles.c.id)
    .where(story_members.c.story_id == bindparam("story_id"))
    .order_by(func.coalesce(articles.c.published, articles.c.fetched_at), articles.c.id)
)
_SUBSTORIES = (
    select(substories.c.id, substories.c.label, substories.c.article_count)
    .where(substories.c.story_id == bindparam("story_id"))
    .order_by(substories.c.article_count.desc(), substories.c.id)
)


# The story page from its stored rendering (storyline/web/stored.py): the story row's
# live fields, its storyline, and the summary's stored page in one format (one query).
_STORED_COLUMNS = (
    stories.c.id, stories.c.status, stories.c.members_hash, stories.c.article_count,
    stories.c.outlet_count, stories.c.first_time, stories.c.last_time,
    stories.c.storyline_id, storylines.c.title.label("storyline_title"),
    storylines.c.story_count.label("storyline_story_count"),
    story_summaries.c.members_hash.label("summary_members_hash"),
    story_summaries.c.written_at.label("summary_written_at"),
    story_summaries.c.headline.label("summary_headline"),
    story_summaries.c.page_version, story_summaries.c.page_own_substories,
)
_HAS_SUBSTORIES = (select(substories.c.id).where(substories.c.story_id == stories.c.id)
                   .exists().label("has_substories"))
STORED_PAGE = {
    fmt: (select(*_STORED_COLUMNS, _HAS_SUBSTORIES, column.label("page"))
          .outerjoin(storylines, storylines.c.id == stories.c.storyline_id)
          .join(story_summaries, story_summaries.c.story_id == stories.c.id)
          .where(stories.c.id == bindparam("story_id")))
    for fmt, column in (("html", story_summaries.c.page_html),
                        ("json", story_summaries.c.page_json))
}


def storyline_ref(row: Any) -> dict[str, Any] | None:
    """The story's storyline as the page shows it (``row`` from ``resolve_story`` or
    ``STORED_PAGE``)."""
    if row.storyline_id is None:
        return None
    return {"id": row.storyline_id, "title": row.storyline_title,
            "story_count": row.storyline_story_count}


def resolve_story(conn: Connection, story_id: int) -> tuple[Any | None, int | None]:
    """(row, None) for a live story, (None, target id) for a merged one, (None, None).
    The row carries the storyline's title and the stored summary (one query)."""
    current = story_id
    for _ in range(MAX_MERGE_HOPS):
        row = conn.execute(_STORY_ROW, {"story_id": current}).first()
        if row is None:
            return None, None
        if row.status != "merged" or row.merged_into is None:
            return (row, None) if current == story_id else (None, current)
        current = row.merged_into
    return None, None


def _by_article(sources: list[dict[str, Any]]) -> dict[str, int]:
    return {str(s.get("article_id")): int(s["index"]) for s in sources if "index" in s}


def story_page(conn: Connection, row: Any) -> dict[str, Any]:
    """Everything the story page shows (``row`` from ``resolve_story``): the stored summary, with the live member
    list and sub-stories filling whatever the summary lacks (or when it is stale)."""
    written = row.summary_json is not None
    summary: dict[str, Any] = json.loads(row.summary_json) if written else {}
    stale = not written or row.summary_members_hash != row.members_hash
    sources: list[dict[str, Any]] = list(summary.get("sources") or [])
    index_of = _by_article(sources)

    related: list[dict[str, Any]] = list(summary.get("related") or [])
    members: list[dict[str, Any]] | None = None
    if stale or not related:
        members = [dict(r._mapping) for r in conn.execute(_MEMBERS, {"story_id": row.id})]
        related = [{"article_id": a["id"], "outlet": a["outlet"], "title": a["title"],
                    "url": a["url"],
                    "published": known_time(a["published"], a["fetched_at"],
                                            a["source_id"] is not None),
                    "source": index_of.get(str(a["id"])), "duplicate_of": a["duplicate_of"]}
                   for a in members]

    subs: list[dict[str, Any]] = list(summary.get("substories") or [])
    if not subs:
        rows = conn.execute(_SUBSTORIES, {"story_id": row.id}).all()
        if rows:
            if members is None:
                members = [dict(r._mapping)
                           for r in conn.execute(_MEMBERS, {"story_id": row.id})]
            subs = [{"id": s.id, "label": s.label, "article_count": s.article_count,
                     "citations": sorted({index_of[str(a["id"])] for a in members
                                          if a["substory_id"] == s.id
                                          and str(a["id"]) in index_of})}
                    for s in rows]

    outlets = summary.get("outlets") or sorted({a["outlet"] for a in related if a["outlet"]})
    timeline = sorted(summary.get("timeline") or [], key=_timeline_key)
    return {
        "id": row.id,
        "headline": summary.get("headline") or row.title or f"Story {row.id}",
        "has_summary": written,
        "stale": stale and written,
        "updated_at": summary.get("updated_at") or row.last_time or row.updated_at,
        "written_at": row.summary_written_at,
        "article_count": row.article_count,
        "outlet_count": row.outlet_count,
        "outlets": outlets,
        "first_time": row.first_time,
        "last_time": row.last_time,
        "image": summary.get("image") or None,
        "sections": summary.get("sections") or [],
        "sources": sources,
        "timeline": timeline,
        "substories": subs,
        "related": related,
        "external_links": summary.get("external_links") or [],
        "conflicts": summary.get("conflicts") or [],
        "storyline": storyline_ref(row),
        "support_rate": summary.get("support_rate"),
        "checked_sentences": summary.get("checked_sentences", 0),
        "supported_sentences": summary.get("supported_sentences", 0),
        "writer": summary.get("writer"),
    }


_PRECISION_ORDER = {"year": 0, "month": 1, "day": 2}


def _timeline_key(entry: dict[str, Any]) -> tuple[str, int]:
    return (str(entry.get("date") or "")[:10], _PRECISION_ORDER.get(entry.get("precision", ""), 2))


def storyline_page(conn: Connection, storyline_id: int) -> dict[str, Any] | None:
    """A storyline's stories in time order and their joined timeline (three queries)."""
    line = conn.execute(select(storylines.c.id, storylines.c.title, storylines.c.story_count,
                               storylines.c.first_time, storylines.c.last_time,
                               storylines.c.updated_at)
                        .where(storylines.c.id == storyline_id)).first()
    if line is None:
        return None
    rows = conn.execute(select(*_CARD_COLUMNS)
                        .where(stories.c.storyline_id == storyline_id,
                               stories.c.status == "active", stories.c.article_count > 0)
                        .order_by(stories.c.first_time.nulls_last(), stories.c.id)).all()
    summaries = _summaries(conn, [r.id for r in rows])
    cards = [_card(r, summaries.get(r.id)) for r in rows]
    members = {r.id for r in rows}
    timeline: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for card in cards:
        for entry in (summaries.get(card["id"]) or {}).get("timeline") or []:
            if entry.get("story_id") in members:
                continue  # the storyline's own stories are listed as such
            key = (str(entry.get("date"))[:10], entry.get("text", ""))
            if key in seen:
                continue
            seen.add(key)
            timeline.append({**entry, "from_story": card["id"]})
        if card["first_time"] is not None:
            timeline.append({"date": card["first_time"].date().isoformat(), "precision": "day",
                             "text": card["headline"], "citations": [],
                             "story_id": card["id"], "from_story": card["id"]})
    timeline.sort(key=_timeline_key)
    return {"id": line.id, "title": line.title or (cards[-1]["headline"] if cards else None),
            "story_count": len(cards), "first_time": line.first_time,
            "last_time": line.last_time, "updated_at": line.updated_at,
            "stories": cards, "timeline": timeline}


def feeds_page(conn: Connection) -> list[dict[str, Any]]:
    return [{"id": s.id, "url": s.url, "name": s.name, "title": s.title,
             "site_name": s.site_name, "site_url": s.site_url, "status": s.status,
             "articles": s.article_count, "error_count": s.error_count,
             "last_error": s.last_error, "last_checked": s.last_checked,
             "last_success": s.last_success, "next_check": s.next_check,
             "created_at": s.created_at}
            for s in source_store.list_all(conn)]


def data_version(conn: Connection) -> tuple[Any, ...]:
    """Changes whenever anything a cached page shows is written (one cheap query)."""
    return tuple(conn.execute(_VERSION).one())


_VERSION = select(
    select(func.max(stories.c.updated_at)).scalar_subquery(),
    select(func.count()).select_from(stories).scalar_subquery(),
    select(func.max(story_summaries.c.written_at)).scalar_subquery(),
    select(func.count()).select_from(story_summaries).scalar_subquery(),
    select(func.max(storylines.c.updated_at)).scalar_subquery(),
)

