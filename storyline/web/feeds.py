"""The Feeds page: sources with status, last error and article counts; add (URL or OPML
upload) and remove, which need the admin token; OPML export. The same operations back
the ``/api/feeds`` endpoints."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from storyline.ingest import subscriptions
from storyline.settings import Settings
from storyline.storage import sources as source_store
from storyline.web import queries
from storyline.web.render import render
from storyline.web.security import WriteRefused, bearer_token, check_same_origin, check_token

router = APIRouter(include_in_schema=False)

FeedId = Annotated[int, Path(ge=1, le=2**62)]


# --- operations (sync; run in the threadpool) -----------------------------------------


def list_feeds(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return queries.feeds_page(conn)


def add_feed(engine: Engine, settings: Settings, url: str) -> tuple[source_store.Source, bool]:
    """Subscribe to ``url`` (refused when it is not http(s) or resolves to a private or
    loopback address, unless allow_private_feeds)."""
    if not url.strip():
        raise WriteRefused(400, "give the feed's URL")
    try:
        (added,) = subscriptions.subscribe(engine, [url],
                                           allow_private=settings.allow_private_feeds)
    except subscriptions.FeedURLError as exc:
        raise WriteRefused(400, str(exc)) from None
    return added


def import_opml(engine: Engine, settings: Settings, data: bytes) -> subscriptions.OPMLImport:
    try:
        return subscriptions.import_opml(engine, data,
                                         allow_private=settings.allow_private_feeds)
    except subscriptions.OPMLError as exc:
        raise WriteRefused(400, f"not a usable OPML file: {exc}") from None


def import_message(result: subscriptions.OPMLImport) -> str:
    return f"Imported {result.line()}." + "".join(f" Skipped: {s}." for s in result.skipped[:10])


def remove_feed(engine: Engine, feed_id: int) -> bool:
    with engine.begin() as conn:
        return source_store.remove(conn, feed_id)


def export_opml(engine: Engine) -> str:
    return subscriptions.export_opml(engine)[0]


# --- the page ----------------------------------------------------------------------------


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _engine(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


async def feeds_response(request: Request, *, message: str | None = None,
                         error: bool = False, status: int = 200) -> HTMLResponse:
    feeds = await run_in_threadpool(list_feeds, _engine(request))
    html = render("feeds.html", feeds=feeds, message=message, error=error,
                  writable=bool(_settings(request).admin_token), nav="feeds")
    return HTMLResponse(html, status_code=status)


def authorize(request: Request, form_token: str | None) -> None:
    """Same-origin check, then the admin token from the form or a Bearer header."""
    check_same_origin(request)
    check_token(_settings(request).admin_token, form_token or bearer_token(request))


@router.get("/feeds", response_class=HTMLResponse)
async def feeds_page(request: Request,
                     added: Annotated[int | None, Query(ge=1, le=2**62)] = None,
                     exists: Annotated[int | None, Query(ge=1, le=2**62)] = None,
                     removed: Annotated[int | None, Query(ge=1, le=2**62)] = None
                     ) -> HTMLResponse:
    message = None
    if added is not None:
        message = f"Added feed {added}. Its articles come in with the next fetch."
    elif exists is not None:
        message = f"Already subscribed (feed {exists})."
    elif removed is not None:
        message = f"Removed feed {removed}. Its articles stay."
    return await feeds_response(request, message=message)


@router.post("/feeds/add", response_class=HTMLResponse)
async def feeds_add(request: Request, url: Annotated[str, Form(max_length=2000)] = "",
                    token: Annotated[str, Form(max_length=500)] = "") -> Response:
    try:
        authorize(request, token)
        src, created = await run_in_threadpool(add_feed, _engine(request), _settings(request),
                                               url)
    except WriteRefused as exc:
        return await feeds_response(request, message=exc.message, error=True,
                                    status=exc.status)
    return RedirectResponse(f"/feeds?{'added' if created else 'exists'}={src.id}",
                            status_code=303)


@router.post("/feeds/import", response_class=HTMLResponse)
async def feeds_import(request: Request, file: Annotated[UploadFile, File()],
                       token: Annotated[str, Form(max_length=500)] = "") -> Response:
    try:
        authorize(request, token)
        data = await file.read()
        result = await run_in_threadpool(import_opml, _engine(request), _settings(request),
                                         data)
    except WriteRefused as exc:
        return await feeds_response(request, message=exc.message, error=True,
                                    status=exc.status)
    return await feeds_response(request, message=import_message(result))


@router.post("/feeds/{feed_id}/remove", response_class=HTMLResponse)
async def feeds_remove(request: Request, feed_id: FeedId,
                       token: Annotated[str, Form(max_length=500)] = "") -> Response:
    try:
        authorize(request, token)
        removed = await run_in_threadpool(remove_feed, _engine(request), feed_id)
    except WriteRefused as exc:
        return await feeds_response(request, message=exc.message, error=True,
                                    status=exc.status)
    if not removed:
        return await feeds_response(request, message=f"There is no feed {feed_id}.",
                                    error=True, status=404)
    return RedirectResponse(f"/feeds?removed={feed_id}", status_code=303)


@router.get("/feeds.opml")
async def feeds_opml(request: Request) -> Response:
    doc = await run_in_threadpool(export_opml, _engine(request))
    return Response(doc, media_type="text/x-opml; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="storyline-feeds.opml"'})
