"""HTML pages: Top Headlines, story, storyline, search; Atom feeds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from storyline.web.app import error_page
from storyline.web.atom import link_base
from storyline.web.reader import Reader
from storyline.web.search import run_search, search_html

router = APIRouter(include_in_schema=False)

ATOM_TYPE = "application/atom+xml; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
StoryId = Annotated[int, Path(ge=1, le=2**62)]
PageNo = Annotated[int, Query(ge=1, le=100_000)]


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
    view = await reader(request).top_view(page, "html")
    return Response(view.body, media_type=HTML_TYPE)


@router.get("/stories/{story_id}", response_class=HTMLResponse)
async def story(request: Request, story_id: StoryId) -> Response:
    view = await reader(request).story_view(story_id, "html")
    if view.kind == "merged":
        return RedirectResponse(f"/stories/{view.target}", status_code=301)
    if view.kind == "missing":
        return not_found(f"story {story_id}")
    return Response(view.body, media_type=HTML_TYPE)


@router.get("/storylines/{storyline_id}.atom")
async def storyline_atom(request: Request, storyline_id: StoryId) -> Response:
    view = await reader(request).storyline_view(storyline_id, "atom", base_url(request))
    if view.kind != "ok":
        return not_found(f"storyline {storyline_id}")
    return Response(view.body, media_type=ATOM_TYPE)


@router.get("/storylines/{storyline_id}", response_class=HTMLResponse)
async def storyline(request: Request, storyline_id: StoryId) -> Response:
    view = await reader(request).storyline_view(storyline_id, "html")
    if view.kind != "ok":
        return not_found(f"storyline {storyline_id}")
    return Response(view.body, media_type=HTML_TYPE)


@router.get("/feeds/top.atom")
async def top_atom(request: Request) -> Response:
    view = await reader(request).top_atom(base_url(request))
    return Response(view.body, media_type=ATOM_TYPE)


@router.get("/search", response_class=HTMLResponse)
async def search(request: Request, q: Annotated[str, Query(max_length=500)] = "") -> Response:
    results, unavailable = await run_search(request.app.state.engine, q)
    return HTMLResponse(search_html(q, results, unavailable))
