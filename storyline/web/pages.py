"""HTML pages: Top Headlines (and a category's, ``/c/NAME``), story, storyline, search;
Atom feeds. A signed-in reader gets the personal views of ``storyline.web.personal``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from storyline.web import auth, personal
from storyline.web.app import error_page
from storyline.web.atom import link_base
from storyline.web.reader import Reader, View
from storyline.web.search import run_search, search_html

router = APIRouter(include_in_schema=False)

ATOM_TYPE = "application/atom+xml; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
PRIVATE = {"Cache-Control": "private, no-store", "Vary": "Cookie"}
StoryId = Annotated[int, Path(ge=1, le=2**62)]
PageNo = Annotated[int, Query(ge=1, le=100_000)]
CategoryName = Annotated[str, Path(min_length=1, max_length=200)]


def reader(request: Request) -> Reader:
    return request.app.state.reader  # type: ignore[no-any-return]


def base_url(request: Request) -> str:
    """Where the links of Atom feeds point (never a Host header that is not ours)."""
    settings = request.app.state.settings
    return link_base(settings.public_url, str(request.base_url), (settings.web_host,))


def not_found(what: str) -> Response:
    return error_page(404, f"There is no {what}.")


@router.get("/", response_class=HTMLResponse)
async def top_headlines(request: Request, page: PageNo = 1) -> Response:
    return await headlines_page(request, page, None)


async def headlines_page(request: Request, page: int, category: str | None) -> Response:
    who = await auth.viewer(request)
    r = reader(request)
    key = ("headlines", category.lower() if category else None, page)

    def build() -> View:
        top = personal.headlines(r, who, page, category)
        if top is None:
            return View("missing")
        return View("ok", personal.headlines_html(r, who, top))

    if not who.signed_in:
        view = await r.cache.get(("view", *key), build)
    elif who.state is not None:
        # The user's page as of their state version (read marks, visits, mutes, folders:
        # users.state_version, read with the session) and the content version (the
        # cache's own): a view that changed nothing since the last is a dict lookup.
        assert who.user is not None
        view = await r.cache.get(("user-view", who.user.id, who.state, who.csrf, *key),
                                 build)
    else:
        view = await r.cache.run(build)
    if view.kind == "missing":
        return not_found(f"category “{category}”")
    return Response(view.body, media_type=HTML_TYPE,
                    headers=PRIVATE if who.signed_in else None)


@router.get("/c/{name}.atom")
async def category_atom(request: Request, name: CategoryName) -> Response:
    view = await category_feed(request, name)
    if view.kind != "ok":
        return not_found(f"category “{name}”")
    return Response(view.body, media_type=ATOM_TYPE)


async def category_feed(request: Request, name: str) -> View:
    from storyline.web import atom, queries
    from storyline.web.reader import ATOM_ENTRIES

    r = reader(request)
    base = base_url(request).rstrip("/")

    def build() -> View:
        ranking = personal.category_ranking(r, name)
        if ranking is None:
            return View("missing")
        with r.engine.connect() as conn:
            cards = queries.story_cards(conn, [s.id for s in ranking[:ATOM_ENTRIES]])
        from urllib.parse import quote

        url = f"{base}/c/{quote(name, safe='')}"
        return View("ok", atom.story_feed(
            title=f"Storyline: {name}", feed_id=f"{url}.atom", self_url=f"{url}.atom",
            page_url=url, base_url=base, cards=cards,
            subtitle=f"The {len(cards)} top stories in {name}"))

    return await r.cache.get(("view", "category.atom", name.lower(), base), build)


@router.get("/c/{name}", response_class=HTMLResponse)
async def category(request: Request, name: CategoryName, page: PageNo = 1) -> Response:
    return await headlines_page(request, page, name)


@router.get("/stories/{story_id}", response_class=HTMLResponse)
async def story(request: Request, story_id: StoryId) -> Response:
    view, who = await personal.story_for(reader(request), request, story_id, "html")
    if view.kind == "merged":
        return RedirectResponse(f"/stories/{view.target}", status_code=301)
    if view.kind == "missing":
        return not_found(f"story {story_id}")
    return Response(view.body, media_type=HTML_TYPE,
                    headers=PRIVATE if who.signed_in else None)


@router.get("/storylines/{storyline_id}.atom")
async def storyline_atom(request: Request, storyline_id: StoryId) -> Response:
    view = await reader(request).storyline_view(storyline_id, "atom", base_url(request))
    if view.kind != "ok":
        return not_found(f"storyline {storyline_id}")
    return Response(view.body, media_type=ATOM_TYPE)


@router.get("/storylines/{storyline_id}", response_class=HTMLResponse)
async def storyline(request: Request, storyline_id: StoryId) -> Response:
    who = await auth.viewer(request)
    view = await reader(request).storyline_view(storyline_id, "html")
    if view.kind != "ok":
        return not_found(f"storyline {storyline_id}")
    return Response(auth.personalize(view.body, who), media_type=HTML_TYPE,
                    headers=PRIVATE if who.signed_in else None)


@router.get("/feeds/top.atom")
async def top_atom(request: Request) -> Response:
    view = await reader(request).top_atom(base_url(request))
    return Response(view.body, media_type=ATOM_TYPE)


@router.get("/search", response_class=HTMLResponse)
async def search(request: Request, q: Annotated[str, Query(max_length=500)] = "") -> Response:
    who = await auth.viewer(request)
    results, unavailable = await run_search(request.app.state.engine, q)
    return HTMLResponse(auth.personalize(search_html(q, results, unavailable).encode(), who))
