"""What the reader shows, as plain JSON-ready dicts: one function per page, shared by the
HTML page and its ``/api`` twin. The SQL is in ``storyline.storage`` (``pages``,
``summaries``, ``sources``), the ranking in ``storyline.rank``, the story
page's content in ``storyline.write.page``; the caller owns the connection."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Connection

from storyline.rank import RankedStory
from storyline.storage import categories as category_store
from storyline.storage import pages as page_store
from storyline.storage import sources as source_store
from storyline.storage import subscriptions as subscription_store
from storyline.storage import summaries as summary_store
from storyline.write.page import timeline_key

PAGE_SIZE = 20
MAX_MERGE_HOPS = 20


# --- helpers ------------------------------------------------------------------------


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


def story_cards(conn: Connection, ids: list[int]) -> list[dict[str, Any]]:
    """Cards for ``ids``, in that order (two queries)."""
    if not ids:
        return []
    rows = {r.id: r for r in page_store.card_rows(conn, ids)}
    summaries = summary_store.load_many(conn, ids)
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


def resolve_story(conn: Connection, story_id: int) -> tuple[Any | None, int | None]:
    """(row, None) for a live story, (None, target id) for a merged one, (None, None).
    The row carries the storyline's title and the stored summary (one query)."""
    current = story_id
    for _ in range(MAX_MERGE_HOPS):
        row = page_store.story_row(conn, current)
        if row is None:
            return None, None
        if row.status != "merged" or row.merged_into is None:
            return (row, None) if current == story_id else (None, current)
        current = row.merged_into
    return None, None


def storyline_page(conn: Connection, storyline_id: int) -> dict[str, Any] | None:
    """A storyline's stories in time order and their joined timeline (three queries)."""
    line = page_store.storyline_row(conn, storyline_id)
    if line is None:
        return None
    rows = page_store.storyline_card_rows(conn, storyline_id)
    summaries = summary_store.load_many(conn, [r.id for r in rows])
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
    timeline.sort(key=timeline_key)
    return {"id": line.id, "title": line.title or (cards[-1]["headline"] if cards else None),
            "story_count": len(cards), "first_time": line.first_time,
            "last_time": line.last_time, "updated_at": line.updated_at,
            "stories": cards, "timeline": timeline}


def feeds_page(conn: Connection, user_id: int | None = None) -> list[dict[str, Any]]:
    """Every feed with its folders; with ``user_id``, the user's subscriptions with
    their titles (``name``) and their folders."""
    if user_id is None:
        folders = category_store.by_source(conn)
        rows = [(s, s.name, folders.get(s.id, [])) for s in source_store.list_all(conn)]
    else:
        rows = [(sub.source, sub.name, sub.folders)
                for sub in subscription_store.list_for(conn, user_id)]
    return [{"id": s.id, "url": s.url, "name": name, "title": s.title,
             "site_name": s.site_name, "site_url": s.site_url, "status": s.status,
             "articles": s.article_count, "error_count": s.error_count,
             "last_error": s.last_error, "last_checked": s.last_checked,
             "last_success": s.last_success, "next_check": s.next_check,
             "created_at": s.created_at, "categories": cats}
            for s, name, cats in rows]
