"""Story pages rendered on write: when a summary is saved, the summary part of its story
page (HTML) and of its ``/api`` twin (JSON) are stored next to it, so that a story page
missing the web reader's cache costs one indexed query and a few string joins instead of
a JSON decode and the full template (see docs/web-performance.md).

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

from markupsafe import Markup, escape
from sqlalchemy import Connection, Engine, and_, bindparam, or_, select, update

from storyline import __version__
from storyline.storage.schema import story_summaries
from storyline.web import queries
from storyline.web.render import plural, render, to_json

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
    for path in (HERE / "templates" / "_summary.html", HERE / "render.py", HERE / "stored.py",
                 HERE / "queries.py"):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# --- assembling a page -----------------------------------------------------------------


def summary_fragment(page: dict[str, Any]) -> str:
    """The summary part of the story page (``queries.story_page``), with its slots."""
    return render("_summary.html", story=page, slots=SLOTS, standalone=False)


def storyline_note(line: dict[str, Any] | None) -> str:
    if line is None:
        return ""
    title = line["title"] or f"Storyline {line['id']}"
    return (f'<p class="storyline-note">Part of the storyline\n'
            f'    <a class="storyline-link" href="/storylines/{line["id"]}">{escape(title)}</a>\n'
            f'    ({plural(line["story_count"], "story", "stories")})</p>')


def story_html(fragment: str, *, headline: str, article_count: int,
               storyline: dict[str, Any] | None) -> bytes:
    """The whole story page around a summary fragment."""
    body = (fragment.replace(COUNT_SLOT, plural(article_count, "article"), 1)
            .replace(STORYLINE_SLOT, storyline_note(storyline), 1))
    return render("story.html", headline=headline, storyline=storyline, body=Markup(body),
                  nav="story").encode("utf-8")


def static_json(page: dict[str, Any]) -> str:
    """The summary's keys of the story's JSON, without the braces."""
    return to_json({k: v for k, v in page.items() if k not in DYNAMIC_KEYS})[1:-1].decode()


def story_json(dynamic: dict[str, Any], static: bytes) -> bytes:
    return to_json(dynamic)[:-1] + b"," + static + b"}"


def page_on_request(page: dict[str, Any], fmt: str) -> bytes:
    """The story page rendered now from ``queries.story_page``."""
    if fmt == "json":
        return story_json({k: page[k] for k in DYNAMIC_KEYS}, static_json(page).encode())
    return story_html(summary_fragment(page), headline=page["headline"],
                      article_count=page["article_count"], storyline=page["storyline"])


def stored_page(conn: Connection, story_id: int, fmt: str) -> bytes | None:
    """The story page from its stored rendering (one query), or None when there is none
    that is current."""
    row = conn.execute(queries.STORED_PAGE[fmt], {"story_id": story_id}).first()
    if (row is None or row.page is None or row.page_version != page_version()
            or row.status == "merged" or row.summary_members_hash != row.members_hash):
        return None
    if row.has_substories and not row.page_own_substories:
        return None  # sub-stories appeared since: the page takes them from the database
    storyline = queries.storyline_ref(row)
    if fmt == "json":
        return story_json({"id": row.id, "has_summary": True, "stale": False,
                           "article_count": row.article_count,
                           "outlet_count": row.outlet_count, "first_time": row.first_time,
                           "last_time": row.last_time, "written_at": row.summary_written_at,
                           "storyline": storyline}, row.page.encode("utf-8"))
    return story_html(row.page, headline=row.summary_headline,
                      article_count=row.article_count, storyline=storyline)


# --- storing ------------------------------------------------------------------------


def render_for_storage(conn: Connection, story_id: int, *, members_hash: str,
                       headline: str, summary_json: str, written_at: Any) -> dict[str, Any]:
    """The ``page_*`` column values for a summary about to be (or just) saved: renderings
    when a stored page can stand for the page rendered on request, else NULLs. Reads the
    story row; does not write."""
    values = {**NOT_STORED, "page_version": page_version()}
    row = conn.execute(queries._STORY_ROW, {"story_id": story_id}).first()
    if row is None or row.status == "merged":
        return values
    summary = json.loads(summary_json)
    if not (summary.get("headline") and summary["headline"] == headline
            and summary.get("updated_at") and summary.get("related")):
        return values
    live = SimpleNamespace(**{**row._mapping, "summary_json": summary_json,
                              "summary_members_hash": members_hash,
                              "summary_written_at": written_at})
    page = queries.story_page(conn, live)
    own_substories = bool(summary.get("substories"))
    if page["stale"] or (page["substories"] and not own_substories):
        return values
    values.update(page_html=summary_fragment(page), page_json=static_json(page),
                  page_own_substories=own_substories)
    return values


_UNRENDERED = (select(story_summaries.c.story_id, story_summaries.c.members_hash,
                      story_summaries.c.headline, story_summaries.c.summary,
                      story_summaries.c.written_at)
               .where(story_summaries.c.story_id > bindparam("after"),
                      or_(story_summaries.c.page_version.is_(None),
                          story_summaries.c.page_version != bindparam("version")))
               .order_by(story_summaries.c.story_id)
               .limit(bindparam("limit")))


def render_missing(engine: Engine, *, batch: int = 100, pause: float = 0.0,
                   stop: Callable[[], bool] | None = None) -> int:
    """Store the pages of every summary saved without them (before migration 0005) or by
    another version of this code; one transaction per ``batch`` summaries, ``pause``
    seconds between two. Returns how many rows it updated."""
    version, after, done = page_version(), 0, 0
    while stop is None or not stop():
        with engine.begin() as conn:
            rows = conn.execute(_UNRENDERED, {"after": after, "version": version,
                                              "limit": batch}).all()
            for r in rows:
                values = render_for_storage(conn, r.story_id, members_hash=r.members_hash,
                                            headline=r.headline, summary_json=r.summary,
                                            written_at=r.written_at)
                # Only if the summary was not rewritten meanwhile.
                done += conn.execute(update(story_summaries).where(and_(
                    story_summaries.c.story_id == r.story_id,
                    story_summaries.c.written_at == r.written_at)).values(**values)).rowcount
        if len(rows) < batch:
            break
        after = rows[-1].story_id
        if pause:
            time.sleep(pause)
    return done
