"""Each reader's own subscriptions, behind the web's Feeds page (signed in), the Google
Reader API and OPML import/export for a user.

A feed URL is one feed, fetched once for everyone who follows it; a subscription is one
user's link to it, with the user's own title and folders. Who follows what:

- a feed a signed-in user adds (web, Google Reader ``quickadd``/``subscribe``, their OPML
  import) is that user's subscription only;
- a feed the operator adds (``storyline feeds add/import``, the admin token) is subscribed
  for every user, and a new account starts subscribed to every feed there is (in the
  site's folders), as every existing user was when subscriptions became per user;
- a user unsubscribing drops their subscription only; the feed itself goes (articles
  kept, as ``storyline feeds remove`` does) when no one follows it any more.

The front page, category pages and the anonymous reader stay global: stories are made of
every feed's articles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from storyline.fetch.urls import check_feed_url
from storyline.ingest.subscriptions import OPMLImport, checked_outlines
from storyline.parse.opml import Outline, write_opml
from storyline.storage import sources as source_store
from storyline.storage import subscriptions as sub_store
from storyline.storage.sources import Source
from storyline.storage.subscriptions import Subscription

__all__ = ["Subscription", "Unsubscribed", "export_opml", "import_opml", "list_for",
           "subscribe", "unsubscribe"]


def _now() -> datetime:
    return datetime.now(UTC)


def clean_folders(names: Sequence[str]) -> list[str]:
    """Folder names as given, whitespace collapsed, at most 200 characters, no repeats."""
    return list(dict.fromkeys(" ".join(n.split())[:200] for n in names if n.strip()))


def subscribe(engine: Engine, user_id: int, url: str, *, allow_private: bool,
              folders: Sequence[str] = (), title: str | None = None
              ) -> tuple[Source, bool]:
    """Subscribe the user to ``url`` (the feed added when new; refused as
    ``storyline.fetch.urls`` refuses a URL): (the feed, whether the user's subscription is new)."""
    checked = check_feed_url(url, allow_private)
    now = _now()
    with engine.begin() as conn:
        src, _ = source_store.add(conn, checked, now)
        created = sub_store.subscribe(conn, user_id, src.id, now, title=title,
                                      folders=clean_folders(folders))
    return src, created


def list_for(engine: Engine, user_id: int) -> list[Subscription]:
    with engine.connect() as conn:
        return sub_store.list_for(conn, user_id)


@dataclass(slots=True, frozen=True)
class Unsubscribed:
    """What an unsubscribe did: the user's subscription went (``was``), and the feed
    too when no one else follows it (``feed_removed``)."""

    was: bool
    feed_removed: bool


def unsubscribe(engine: Engine, user_id: int, source_id: int) -> Unsubscribed:
    with engine.begin() as conn:
        was = sub_store.unsubscribe(conn, user_id, source_id)
        gone = False
        if was and not sub_store.subscribers(conn, source_id):
            gone = source_store.remove(conn, source_id)
    return Unsubscribed(was, gone)


def import_opml(engine: Engine, user_id: int, data: bytes, *, allow_private: bool
                ) -> OPMLImport:
    """Subscribe the user to every feed of an OPML document, in its folders (as the
    user's folders). ``added`` counts new subscriptions; refused URLs are skipped."""
    checked, result = checked_outlines(data, allow_private=allow_private)
    now = _now()
    with engine.begin() as conn:
        for url, o in checked:
            src, _ = source_store.add(conn, url, now, title=o.title, site_url=o.site_url)
            created = sub_store.subscribe(conn, user_id, src.id, now,
                                          folders=clean_folders(o.categories))
            result.added += created
            result.existing += not created
    return result


def export_opml(engine: Engine, user_id: int) -> tuple[str, int]:
    """The user's subscriptions as OPML 2.0 (their titles, in their folders)."""
    subs = list_for(engine, user_id)
    return write_opml([Outline(s.source.url, s.name, s.source.site_url, s.folders)
                       for s in subs]), len(subs)
