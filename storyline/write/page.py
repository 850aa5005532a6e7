"""The story page's content, and its summary part rendered on write: when a summary is
saved, the summary part of its story page (HTML) and of its ``/api`` twin (JSON) are
stored next to it, so that a story page missing the web reader's cache costs one indexed
query and a few string joins instead of a JSON decode and the full template (see
docs/web-performance.md; the web reader serves them as they are stored).

What can change without the summary being rewritten stays live, filled in per request
from the story row: the article count and the storyline note (slots in the stored HTML),
the page ``<title>``/storyline link (``story.html``), and the JSON keys in
``DYNAMIC_KEYS``. A stored page is used only when it can equal the page rendered on
request, byte for byte (tests/test_web_stored.py checks this on every story):

- the summary is current (``story_summaries.members_hash`` = ``stories.members_hash``)
  and carries its own headline, updated time and related articles, and either its own
  sub-stories or none while the database has none (``page_own_substories``);
- ``page_version`` is this code's ``page_version()``: a hash of the package version, the
  summary template and the modules that build the page, so a new release never serves
  pages rendered by an older one.

Anything else (NULL columns, an older version, a stale summary) renders on request as
before; ``render_missing`` (run by ``storyline serve`` next to the worker) fills in rows
written before migration 0005 or by another version.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from markupsafe import Markup
from sqlalchemy import Connection, Engine

from storyline import __version__
from storyline.storage import pages as page_store
from storyline.storage import summaries as summary_store
from storyline.text.dates import known_time
from storyline.write.html import environment, to_json

HERE = Path(__file__).parent
COUNT_SLOT = "<!--slot:count-->"
STORYLINE_SLOT = "<!--slot:storyline-->"
SLOTS = {"count": Markup(COUNT_SLOT), "storyline": Markup(STORYLINE_SLOT)}
# Keys of the story's JSON that come from the story row, not from its summary.
DYNAMIC_KEYS = ("id", "has_summary", "stale", "article_count", "outlet_count", "first_time",
                "last_time", "written_at", "storyline")
NOT_STORED: dict[str, Any] = {"page_html": None, "page_json": None,
                              "page_own_substories": None}


@lru_cache(maxsize=1)
def page_version() -> str:
    """Identifies the code that renders stored pages; a stored page of another version is
    ignored (and re-rendered by ``render_missing``)."""
    digest = hashlib.sha256(__version__.encode())
    storage = HERE.parent / "storage"
    for path in (HERE / "templates" / "_summary.html", HERE / "html.py", HERE / "page.py",
                 storage / "pages.py"):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def render(template: str, **context: Any) -> str:
    """One of the writer's templates (``storyline/write/templates``)."""
    return environment("storyline.write").get_template(template).render(**context)


# --- the story page's content ----------------------------------------------------------


def storyline_ref(row: Any) -> dict[str, Any] | None:
    """The story's storyline as the page shows it (``row`` from
    ``storage.pages.story_row`` or ``storage.summaries.stored_page``)."""
    if row.storyline_id is None:
        return None
    return {"id": row.storyline_id, "title": row.storyline_title,
            "story_count": row.storyline_story_count}


_PRECISION_ORDER = {"year": 0, "month": 1, "day": 2}


def timeline_key(entry: dict[str, Any]) -> tuple[str, int]:
    """Timeline entries in date order, a year or month before the days in it."""
    return (str(entry.get("date") or "")[:10], _PRECISION_ORDER.get(entry.get("precision", ""), 2))


def _by_article(sources: list[dict[str, Any]]) -> dict[str, int]:
    return {str(s.get("article_id")): int(s["index"]) for s in sources if "index" in s}


def story_page(conn: Connection, row: Any) -> dict[str, Any]:
    """Everything the story page shows (``row`` from ``storage.pages.story_row``): the
    stored summary, with the live member list and sub-stories filling whatever the
    summary lacks (or when it is stale)."""
    written = row.summary_json is not None
    summary: dict[str, Any] = json.loads(row.summary_json) if written else {}
    stale = not written or row.summary_members_hash != row.members_hash
    sources: list[dict[str, Any]] = list(summary.get("sources") or [])
    index_of = _by_article(sources)

    related: list[dict[str, Any]] = list(summary.get("related") or [])
    members: list[dict[str, Any]] | None = None
    if stale or not related:
        members = page_store.listed_articles(conn, row.id)
        related = [{"article_id": a["id"], "outlet": a["outlet"], "title": a["title"],
                    "url": a["url"],
                    "published": known_time(a["published"], a["fetched_at"],
                                            a["source_id"] is not None),
                    "source": index_of.get(str(a["id"])), "duplicate_of": a["duplicate_of"]}
                   for a in members]

    subs: list[dict[str, Any]] = list(summary.get("substories") or [])
    if not subs:
        rows = page_store.substories_of(conn, row.id)
        if rows:
            if members is None:
                members = page_store.listed_articles(conn, row.id)
            subs = [{"id": s.id, "label": s.label, "article_count": s.article_count,
                     "citations": sorted({index_of[str(a["id"])] for a in members
                                          if a["substory_id"] == s.id
                                          and str(a["id"]) in index_of})}
                    for s in rows]

    outlets = summary.get("outlets") or sorted({a["outlet"] for a in related if a["outlet"]})
    timeline = sorted(summary.get("timeline") or [], key=timeline_key)
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


# --- rendering ---------------------------------------------------------------------------


def summary_fragment(page: dict[str, Any]) -> str:
    """The summary part of the story page (``story_page``), with its slots."""
    return render("_summary.html", story=page, slots=SLOTS, standalone=False)


def static_json(page: dict[str, Any]) -> str:
    """The summary's keys of the story's JSON, without the braces."""
    return to_json({k: v for k, v in page.items() if k not in DYNAMIC_KEYS})[1:-1].decode()


def summary_html(summary: dict[str, Any]) -> str:
    """A story summary (``StorySummary.to_dict()``) as one standalone HTML document
    (``storyline stories summary --html``)."""
    story = {
        "id": summary.get("story_id"),
        "headline": summary.get("headline") or "",
        "has_summary": True,
        "stale": False,
        "updated_at": summary.get("updated_at"),
        "article_count": summary.get("article_count", 0),
        "outlets": summary.get("outlets") or [],
        "image": summary.get("image"),
        "sections": summary.get("sections") or [],
        "sources": summary.get("sources") or [],
        "timeline": summary.get("timeline") or [],
        "substories": summary.get("substories") or [],
        "related": summary.get("related") or [],
        "external_links": summary.get("external_links") or [],
        "conflicts": summary.get("conflicts") or [],
        "storyline": None,
        "support_rate": summary.get("support_rate"),
        "checked_sentences": summary.get("checked_sentences", 0),
    }
    return render("summary_standalone.html", story=story, standalone=True)


# --- what a visit sees ----------------------------------------------------------------


def sentence_key(text: str) -> str:
    """A sentence's identity across rewrites of a summary: its words, lower-cased."""
    norm = " ".join(text.lower().split())
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()[:16]


def sentence_keys(page: dict[str, Any]) -> set[str]:
    """The keys of the sentences of a summary (or of a page built from one)."""
    return {sentence_key(s["text"]) for section in page.get("sections") or []
            for s in section.get("sentences") or [] if s.get("text")}


def listed_articles(page: dict[str, Any]) -> set[int]:
    """The articles a summary (or a page built from one) lists."""
    return {int(a["article_id"]) for a in page.get("related") or []
            if a.get("article_id") is not None}


def visit_columns(summary: dict[str, Any]) -> dict[str, str]:
    """``visit_articles`` and ``visit_sentences`` of a summary: what a reader's visit of
    its page sees (besides the story's members), as sorted JSON lists."""
    return {"visit_articles": json.dumps(sorted(listed_articles(summary))),
            "visit_sentences": json.dumps(sorted(sentence_keys(summary)))}


# --- storing -----------------------------------------------------------------------------


def render_for_storage(conn: Connection, story_id: int, *, members_hash: str,
                       headline: str, summary_json: str, written_at: Any) -> dict[str, Any]:
    """The ``page_*`` column values for a summary about to be (or just) saved: renderings
    when a stored page can stand for the page rendered on request, else NULLs; and its
    ``visit_*`` columns. Reads the story row; does not write."""
    summary = json.loads(summary_json)
    values = {**NOT_STORED, "page_version": page_version(), **visit_columns(summary)}
    row = page_store.story_row(conn, story_id)
    if row is None or row.status == "merged":
        return values
    if not (summary.get("headline") and summary["headline"] == headline
            and summary.get("updated_at") and summary.get("related")):
        return values
    live = SimpleNamespace(**{**row._mapping, "summary_json": summary_json,
                              "summary_members_hash": members_hash,
                              "summary_written_at": written_at})
    page = story_page(conn, live)
    own_substories = bool(summary.get("substories"))
    if page["stale"] or (page["substories"] and not own_substories):
        return values
    values.update(page_html=summary_fragment(page), page_json=static_json(page),
                  page_own_substories=own_substories)
    return values


def render_missing(engine: Engine, *, batch: int = 100, pause: float = 0.0,
                   stop: Callable[[], bool] | None = None) -> int:
    """Store the pages of every summary saved without them (before migration 0005) or by
    another version of this code; one transaction per ``batch`` summaries, ``pause``
    seconds between two. Returns how many rows it updated."""
    version, after, done = page_version(), 0, 0
    while stop is None or not stop():
        with engine.begin() as conn:
            rows = summary_store.unrendered(conn, after=after, version=version, limit=batch)
            for r in rows:
                values = render_for_storage(conn, r.story_id, members_hash=r.members_hash,
                                            headline=r.headline, summary_json=r.summary,
                                            written_at=r.written_at)
                # Only if the summary was not rewritten meanwhile.
                done += summary_store.store_pages(conn, r.story_id, written_at=r.written_at,
                                                  pages=values)
        if len(rows) < batch:
            break
        after = rows[-1].story_id
        if pause:
            time.sleep(pause)
    return done
