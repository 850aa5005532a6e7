"""What a user has read and seen. Opening a story page marks the story's articles read
and records the visit: what the page showed (its articles and sentences), so that the
next visit after the story changed can mark what is new since then. A visit to an
unchanged story writes nothing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from storyline.storage import personal as personal_store
from storyline.storage import readstate
from storyline.storage import summaries as summary_store
from storyline.storage.readstate import Visit
from storyline.write.page import listed_articles, sentence_keys, visit_columns


def fingerprint(members_hash: str | None, written_at: Any) -> str:
    stamp = written_at.isoformat() if isinstance(written_at, datetime) else str(written_at)
    return hashlib.sha256(f"{members_hash}|{stamp}".encode()).hexdigest()


def record_visit(conn: Connection, user_id: int, story_id: int, page: dict[str, Any], *,
                 fp: str, members: Sequence[int], now: datetime | None = None) -> Visit:
    """Mark the story's ``members`` read and remember what ``page`` showed; returns the
    visit, whose ``new_*`` sets are what changed since the one before."""
    now = now or datetime.now(UTC)
    before = readstate.visit(conn, user_id, story_id)
    if before is not None and before.fingerprint == fp:
        readstate.mark_read(conn, user_id, members, now)
        return before
    seen_a, seen_s = listed_articles(page) | set(members), sentence_keys(page)
    if before is None:
        new_a: set[int] = set()
        new_s: set[str] = set()
        previous = None
    else:
        new_a = seen_a - before.seen_articles
        new_s = (seen_s - before.seen_sentences) if before.seen_sentences else set()
        previous = before.visited_at
    visit = Visit(now, fp, frozenset(seen_a), frozenset(seen_s), previous,
                  frozenset(new_a), frozenset(new_s))
    readstate.save_visit(conn, user_id, story_id, visit)
    readstate.mark_read(conn, user_id, members, now)
    return visit


def record_first_visit(conn: Connection, user_id: int, story_id: int, *, fp: str,
                       visit_articles: str | None, visit_sentences: str | None,
                       member_ids: str | None, now: datetime | None = None) -> None:
    """A first visit of a story with nothing personal to show (no mutes): what the page
    shows is what its summary lists (``visit_articles``, ``visit_sentences``: the
    summary's columns, see ``write.page.visit_columns``; None for a summary saved before
    they existed, then taken from the summary itself) and the members (``member_ids``,
    "1,2,3"), all read by ``storage.personal.story_view_state``; two statements built
    once."""
    now = now or datetime.now(UTC)
    if visit_articles is None or visit_sentences is None:
        summary = summary_store.load(conn, story_id) or {}
        keys = visit_columns(summary)
        visit_articles, visit_sentences = keys["visit_articles"], keys["visit_sentences"]
    seen = set(json.loads(visit_articles))
    if member_ids:
        seen.update(int(x) for x in member_ids.split(","))
    personal_store.insert_first_visit(
        conn, user_id, story_id, now, fingerprint=fp, seen_articles=json.dumps(sorted(seen)),
        seen_sentences=visit_sentences)
    personal_store.mark_story_read(conn, user_id, story_id, now)
