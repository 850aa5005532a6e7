"""A small reader database made through the storage layer (no models): feeds in folders,
their articles (one a syndicated copy), stories over them with written summaries. For
the accounts, Google Reader API and newsboat tests, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine

from storyline.models import ArticleIn
from storyline.storage import articles as article_store
from storyline.storage import categories as category_store
from storyline.storage import sources as source_store
from storyline.storage import stories as story_store
from storyline.storage import summaries as summary_store
from storyline.write.page import NOT_STORED

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@dataclass
class ReaderData:
    feeds: dict[str, int] = field(default_factory=dict)  # outlet -> feed id
    articles: dict[str, int] = field(default_factory=dict)  # key -> article id
    stories: dict[str, int] = field(default_factory=dict)  # key -> story id


def add_article(target: Engine | Connection, *, source_id: int | None, outlet: str,
                title: str, text: str, published: datetime, duplicate_of: int | None = None,
                key: str = "") -> int:
    """Store one article (in its own transaction when given the engine)."""
    if isinstance(target, Engine):
        with target.begin() as conn:
            return add_article(conn, source_id=source_id, outlet=outlet, title=title,
                               text=text, published=published, duplicate_of=duplicate_of,
                               key=key)
    identity = hashlib.sha256(f"{outlet}|{title}|{key}".encode()).hexdigest()
    return article_store.insert_article(
        target, ArticleIn(title=title, text=text, url=f"https://{outlet.lower()}.example/"
                          f"{identity[:10]}", source_id=source_id, outlet=outlet,
                          published=published, extraction_method="feed-content"),
        identity=identity, content_hash=identity, fetched_at=published, minhash=None,
        buckets=[], duplicate_of=duplicate_of,
        duplicate_kind="exact" if duplicate_of else None, similarity=None)


def write_story(engine: Engine, story_id: int, members: list[int], *, headline: str,
                sentences: list[tuple[str, list[int]]], now: datetime | None = None) -> None:
    """Create or update a story over ``members`` with a summary whose sentences cite
    members by position (1-based)."""
    now = now or datetime.now(UTC)
    with engine.begin() as conn:
        rows = {a["id"]: a for a in (article_store.get(conn, i) for i in members) if a}
        mhash = hashlib.sha256(json.dumps(sorted(members)).encode()).hexdigest()
        times = [rows[i]["published"] for i in members]
        outlets = sorted({rows[i]["outlet"] for i in members})
        story_store.save_story(conn, story_id, now, first_time=min(times), last_time=max(times),
                               article_count=len(members), outlet_count=len(outlets),
                               title=headline, members_hash=mhash)
        have = {a["id"] for a in story_store.member_articles(conn, story_id)}
        story_store.add_members(conn, [(i, story_id, 1.0) for i in members if i not in have],
                                now)
        sources = [{"index": n, "article_id": i, "outlet": rows[i]["outlet"],
                    "title": rows[i]["title"], "url": rows[i]["url"],
                    "published": rows[i]["published"].isoformat()}
                   for n, i in enumerate(members, 1)]
        summary = {
            "headline": headline, "updated_at": max(times).isoformat(),
            "article_count": len(members), "outlets": outlets,
            "sections": [{"title": "What happened",
                          "sentences": [{"text": t, "citations": c} for t, c in sentences]}],
            "sources": sources, "timeline": [], "image": None, "writer": "extractive",
            "checked_sentences": len(sentences), "supported_sentences": len(sentences),
            "substories": [], "conflicts": [], "external_links": [],
            "related": [{"article_id": i, "outlet": rows[i]["outlet"],
                         "title": rows[i]["title"], "url": rows[i]["url"],
                         "published": rows[i]["published"].isoformat(), "source": n,
                         "duplicate_of": None} for n, i in enumerate(members, 1)],
            "story_id": story_id, "storyline_id": None, "support_rate": 1.0,
        }
        summary_store.replace(conn, story_id=story_id, members_hash=mhash, writer="extractive",
                              headline=headline, support_rate=1.0,
                              summary=json.dumps(summary), written_at=now,
                              pages={**NOT_STORED, "page_version": None})


def build(engine: Engine) -> ReaderData:
    """Three feeds (Wire and Daily in folder "World", Courier in "Local" and "World"),
    eight articles, one a syndicated copy; two stories and a single-article one."""
    data = ReaderData()
    now = T0
    with engine.begin() as conn:
        for outlet, folders in (("Wire", ["World"]), ("Daily", ["World"]),
                                ("Courier", ["Local", "World"])):
            src, _ = source_store.add(conn, f"https://{outlet.lower()}.example/feed.xml", now,
                                      title=f"{outlet} feed")
            source_store.set_site_name(conn, src.id, outlet)
            category_store.add_feed(conn, src.id, folders)
            data.feeds[outlet] = src.id
    arts = data.articles
    f = data.feeds
    arts["talks-wire"] = add_article(engine, source_id=f["Wire"], outlet="Wire",
                                     title="Talks open in Geneva", published=T0,
                                     text="Delegations met in Geneva on Monday.\nThe talks "
                                          "focus on a ceasefire.")
    arts["talks-daily"] = add_article(engine, source_id=f["Daily"], outlet="Daily",
                                      title="Geneva talks begin", published=T0 + timedelta(hours=1),
                                      text="Envoys opened talks in Geneva.")
    arts["talks-copy"] = add_article(engine, source_id=f["Courier"], outlet="Courier",
                                     title="Talks open in Geneva", published=T0 + timedelta(hours=2),
                                     text="Delegations met in Geneva on Monday.",
                                     duplicate_of=arts["talks-wire"])
    arts["storm-courier"] = add_article(engine, source_id=f["Courier"], outlet="Courier",
                                        title="Storm floods harbour", published=T0 + timedelta(hours=3),
                                        text="A storm flooded the harbour district.")
    arts["storm-wire"] = add_article(engine, source_id=f["Wire"], outlet="Wire",
                                     title="Harbour storm cuts power",
                                     published=T0 + timedelta(hours=4),
                                     text="Power was cut to 12,000 homes.")
    arts["market"] = add_article(engine, source_id=f["Daily"], outlet="Daily",
                                 title="Markets rise on rate hopes",
                                 published=T0 + timedelta(hours=5),
                                 text="Shares rose on Tuesday.")
    write_story(engine, 1, [arts["talks-wire"], arts["talks-daily"], arts["talks-copy"]],
                headline="Geneva peace talks open",
                sentences=[("Delegations met in Geneva on Monday.", [1]),
                           ("Envoys opened the talks.", [2])])
    write_story(engine, 2, [arts["storm-courier"], arts["storm-wire"]],
                headline="Storm floods the harbour",
                sentences=[("A storm flooded the harbour district.", [1]),
                           ("Power was cut to 12,000 homes.", [2])])
    write_story(engine, 3, [arts["market"]], headline="Markets rise on rate hopes",
                sentences=[("Shares rose on Tuesday.", [1])])
    data.stories = {"talks": 1, "storm": 2, "market": 3}
    return data
