"""Story pages served from their rendering stored on write (``storyline.write.page``): a
story page missing the web reader's cache costs one indexed query and a few string joins;
the live parts (article count, storyline note, ``<title>``, the JSON keys in
``DYNAMIC_KEYS``) are filled in here from the story row. A stored page is used only when
it can equal the page rendered on request, byte for byte (tests/test_web_stored.py)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import Connection

from storyline.storage import summaries as summary_store
from storyline.text.wording import plural
from storyline.web.render import render, to_json
from storyline.write.page import (
    COUNT_SLOT,
    DYNAMIC_KEYS,
    STORYLINE_SLOT,
    page_version,
    static_json,
    storyline_ref,
    summary_fragment,
)


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


def story_json(dynamic: dict[str, Any], static: bytes) -> bytes:
    return to_json(dynamic)[:-1] + b"," + static + b"}"


def page_on_request(page: dict[str, Any], fmt: str) -> bytes:
    """The story page rendered now from ``write.page.story_page``."""
    if fmt == "json":
        return story_json({k: page[k] for k in DYNAMIC_KEYS}, static_json(page).encode())
    return story_html(summary_fragment(page), headline=page["headline"],
                      article_count=page["article_count"], storyline=page["storyline"])


def stored_page(conn: Connection, story_id: int, fmt: str) -> bytes | None:
    """The story page from its stored rendering (one query), or None when there is none
    that is current."""
    return page_from_row(summary_store.stored_page(conn, story_id, fmt), fmt)


def page_from_row(row: Any | None, fmt: str) -> bytes | None:
    """``stored_page`` from a row of ``storage.summaries.stored_page_columns`` read by
    the caller (a signed-in first visit reads it with the user's state)."""
    if (row is None or row.page is None or row.page_version != page_version()
            or row.status == "merged" or row.summary_members_hash != row.members_hash):
        return None
    if row.has_substories and not row.page_own_substories:
        return None  # sub-stories appeared since: the page takes them from the database
    storyline = storyline_ref(row)
    if fmt == "json":
        return story_json({"id": row.id, "has_summary": True, "stale": False,
                           "article_count": row.article_count,
                           "outlet_count": row.outlet_count, "first_time": row.first_time,
                           "last_time": row.last_time, "written_at": row.summary_written_at,
                           "storyline": storyline}, row.page.encode("utf-8"))
    return story_html(row.page, headline=row.summary_headline,
                      article_count=row.article_count, storyline=storyline)
