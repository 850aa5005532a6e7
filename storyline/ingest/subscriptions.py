"""Subscribing to feeds, one at a time or from an OPML file, and exporting them: the one
implementation behind `storyline feeds add/import/export` and the web's Feeds page and
``/api/feeds`` for the operator: a feed added here is subscribed for every user
(``storyline.accounts.subscriptions`` has each user's own). Every URL is checked
(http(s), public address unless ``allow_private_feeds``) before it is stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine

from storyline.fetch.urls import FeedURLError, check_feed_url
from storyline.parse.opml import OPMLError, Outline, parse_opml, write_opml
from storyline.storage import categories as category_store
from storyline.storage import sources as source_store
from storyline.storage import subscriptions as subscription_store
from storyline.storage.sources import Source

__all__ = ["FeedURLError", "OPMLError", "OPMLImport", "checked_outlines", "export_opml",
           "import_opml", "subscribe"]


def subscribe(engine: Engine, urls: list[str], *, allow_private: bool
              ) -> list[tuple[Source, bool]]:
    """Subscribe to each of ``urls`` in one transaction: (feed, newly added) per URL.
    Raises :class:`FeedURLError` (nothing stored) when any URL is refused."""
    checked = [check_feed_url(url, allow_private) for url in urls]
    now = datetime.now(UTC)
    with engine.begin() as conn:
        added = [source_store.add(conn, url, now) for url in checked]
        for src, _ in added:  # the operator's feeds are every reader's
            subscription_store.subscribe_everyone(conn, src.id, now)
        return added


@dataclass
class OPMLImport:
    """What importing an OPML file did; ``skipped`` holds one reason per refused URL."""

    added: int = 0
    existing: int = 0
    skipped: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.added} new feeds ({self.existing} already there, "
                f"{len(self.skipped)} skipped)")


def checked_outlines(data: bytes, *, allow_private: bool
                     ) -> tuple[list[tuple[str, Outline]], OPMLImport]:
    """The feeds of an OPML document with their checked URLs, and an import result with
    the refused ones skipped (their reasons). Raises :class:`OPMLError` when the
    document is unusable or lists no feed."""
    outlines = parse_opml(data)
    if not outlines:
        raise OPMLError("no feeds (no <outline xmlUrl=…>) in this OPML file")
    result = OPMLImport()
    checked: list[tuple[str, Outline]] = []
    for o in outlines:
        try:
            checked.append((check_feed_url(o.url, allow_private), o))
        except FeedURLError as exc:
            result.skipped.append(str(exc))
    return checked, result


def import_opml(engine: Engine, data: bytes, *, allow_private: bool) -> OPMLImport:
    """Subscribe to every feed of an OPML document, each in its folders (categories). Raises
    :class:`OPMLError` when the document is unusable or lists no feed; a refused URL is
    skipped with its reason and the rest are stored."""
    checked, result = checked_outlines(data, allow_private=allow_private)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for url, o in checked:
            src, created = source_store.add(conn, url, now, title=o.title,
                                            site_url=o.site_url)
            if o.categories:  # folders are kept (a feed already there joins them too)
                category_store.add_feed(conn, src.id, o.categories)
            subscription_store.subscribe_everyone(conn, src.id, now, folders=o.categories)
            result.added += created
            result.existing += not created
    return result


def export_opml(engine: Engine) -> tuple[str, int]:
    """Every feed as an OPML 2.0 document (in its folders), and how many there are."""
    with engine.connect() as conn:
        rows = source_store.list_all(conn)
        folders = category_store.by_source(conn)
    outlines = [Outline(s.url, s.site_name or s.title, s.site_url, folders.get(s.id, []))
                for s in rows]
    return write_opml(outlines), len(rows)
