"""The reader's data service: each page's rendered HTML/JSON/Atom bytes, computed once per
content version and served from the in-process cache. A miss costs one trip to the
threadpool; a hit, a dict lookup.

Only rendered bytes are cached, never the page data behind them (thousands of small
objects per story page that the cyclic garbage collector would walk again and again).
A story page that misses the cache is assembled from its stored rendering when it has a
current one (``storyline.web.stored``: one query, no template work for the summary),
else rendered from the summary as before (``storyline.write.page``). Top Headlines are
ranked by ``storyline.rank``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, Engine

from storyline import rank
from storyline.settings import Settings
from storyline.web import atom, queries, stored
from storyline.web.cache import PageCache
from storyline.web.render import render, to_json
from storyline.web.visits import VisitWriter
from storyline.write.page import story_page

__all__ = ["Format", "Lookup", "Reader", "View", "to_json"]

ATOM_ENTRIES = 50
Format = Literal["html", "json", "atom"]


@dataclass(slots=True, frozen=True)
class Lookup:
    """A story or storyline looked up by id: found, merged into another, or missing."""

    kind: Literal["ok", "merged", "missing"]
    data: dict[str, Any] | None = None
    target: int | None = None


@dataclass(slots=True, frozen=True)
class View:
    """A page in one format: its bytes when found, else why not (and where it went)."""

    kind: Literal["ok", "merged", "missing"]
    body: bytes = b""
    target: int | None = None


class Reader:
    def __init__(self, settings: Settings, engine: Engine, *, cache_ttl: float = 1.0,
                 cache_entries: int = 4096) -> None:
        self.settings = settings
        self.engine = engine
        self.cache = PageCache(engine, ttl=cache_ttl, max_entries=cache_entries)
        # (user, story) -> (until, content version, user's state version): signed-in
        # views found "plain" (storyline.web.personal), per reader since ids repeat
        # across databases.
        self.plain_views: dict[tuple[int, int], tuple[float, Any, int | None]] = {}
        # Signed-in views' writes (first visits), committed in batches.
        self.visits = VisitWriter(engine)

    # --- data (sync: called on a worker thread, cached) ------------------------------

    def ranking(self) -> list[rank.RankedStory]:
        def build() -> list[rank.RankedStory]:
            with self.engine.connect() as conn:
                return rank.top_stories(conn)

        return self.cache.get_sync(("ranking",), build)

    def top(self, page: int) -> dict[str, Any]:
        def build() -> dict[str, Any]:
            ranking = self.ranking()
            with self.engine.connect() as conn:
                return queries.top_page(conn, ranking, page)

        return self.cache.get_sync(("top", page), build)

    def story_page(self, story_id: int, fmt: Format, *, use_stored: bool = True,
                   conn: Connection | None = None) -> View:
        """A story page in ``fmt`` (html or json), built now: from its stored rendering
        when there is a current one (``use_stored``), else from the summary. On ``conn``
        when given (a connection the caller holds), else on one of its own."""
        if conn is None:
            with self.engine.connect() as own:
                return self.story_page(story_id, fmt, use_stored=use_stored, conn=own)
        body = stored.stored_page(conn, story_id, fmt) if use_stored else None
        if body is not None:
            return View("ok", body)
        row, target = queries.resolve_story(conn, story_id)
        if target is not None:
            return View("merged", target=target)
        if row is None:
            return View("missing")
        return View("ok", stored.page_on_request(story_page(conn, row), fmt))

    def storyline(self, storyline_id: int) -> Lookup:
        def build() -> Lookup:
            with self.engine.connect() as conn:
                data = queries.storyline_page(conn, storyline_id)
            return Lookup("ok", data) if data is not None else Lookup("missing")

        return self.cache.get_sync(("storyline", storyline_id), build)

    # --- views (async: one cache lookup, or one threadpool trip) -----------------------

    async def _view(self, key: tuple[Any, ...], build: Callable[[], View]) -> View:
        return await self.cache.get(("view", *key), build)

    async def top_view(self, page: int, fmt: Format) -> View:
        def build() -> View:
            top = self.top(page)
            if fmt == "json":
                return View("ok", to_json(top))
            return View("ok", render("index.html", top=top, nav="top").encode("utf-8"))

        return await self._view(("top", page, fmt), build)

    async def story_view(self, story_id: int, fmt: Format) -> View:
        return await self._view(("story", story_id, fmt),
                                lambda: self.story_page(story_id, fmt))

    async def storyline_view(self, storyline_id: int, fmt: Format, base_url: str = "") -> View:
        base = base_url.rstrip("/")

        def build() -> View:
            found = self.storyline(storyline_id)
            line = found.data
            if line is None:
                return View("missing")
            if fmt == "json":
                return View("ok", to_json(line))
            if fmt == "html":
                return View("ok", render("storyline.html", line=line,
                                         nav="storyline").encode("utf-8"))
            title = line["title"] or f"Storyline {line['id']}"
            cards = sorted(line["stories"], key=lambda c: (c["first_time"] is not None,
                                                          c["first_time"]), reverse=True)
            url = f"{base}/storylines/{line['id']}"
            return View("ok", atom.story_feed(
                title=f"Storyline: {title}", feed_id=f"{url}.atom", self_url=f"{url}.atom",
                page_url=url, base_url=base, cards=cards[:ATOM_ENTRIES],
                subtitle=f"{len(cards)} stories of one storyline"))

        return await self._view(("storyline", storyline_id, fmt, base if fmt == "atom"
                                 else ""), build)

    async def top_atom(self, base_url: str) -> View:
        base = base_url.rstrip("/")

        def build() -> View:
            ranking = self.ranking()[:ATOM_ENTRIES]
            with self.engine.connect() as conn:
                cards = queries.story_cards(conn, [s.id for s in ranking])
            return View("ok", atom.story_feed(
                title="Storyline: Top Headlines", feed_id=f"{base}/feeds/top.atom",
                self_url=f"{base}/feeds/top.atom", page_url=f"{base}/", base_url=base,
                cards=cards, subtitle=f"The {len(cards)} top stories"))

        return await self._view(("top.atom", base), build)
