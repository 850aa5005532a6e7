"""The Feeds page: sources with status, last error and article counts; add (URL or OPML
upload) and remove; OPML export. Signed in, it is the user's own subscriptions (their
folders, their OPML; ``storyline.accounts.subscriptions``); otherwise every feed, and
changes need the admin token. The same operations back the ``/api/feeds`` endpoints."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from storyline.accounts import subscriptions as user_subs
from storyline.ingest import subscriptions
from storyline.settings import Settings
from storyline.storage import sources as source_store
from storyline.storage import subscriptions as sub_store
from storyline.web import auth, queries
from storyline.web.render import render
from storyline.web.security import WriteRefused, bearer_token, check_same_origin, check_token

router = APIRouter(include_in_schema=False)

FeedId = Annotated[int, Path(ge=1, le=2**62)]


# --- operations (sync; run in the threadpool) -----------------------------------------


def list_feeds(engine: Engine, user_id: int | None = None) -> list[dict[str, Any]]:
    """Every feed; with ``user_id``, that user's subscriptions (their titles, folders)."""
    with engine.connect() as conn:
        return queries.feeds_page(conn, user_id)


def add_feed(engine: Engine, settings: Settings, url: str, user_id: int | None = None
             ) -> tuple[source_store.Source, bool]:
    """Subscribe to ``url`` (refused when it is not http(s) or resolves to a private or
    loopback address, unless allow_private_feeds): the user, or (None) everyone."""
    if not url.strip():
        raise WriteRefused(400, "give the feed's URL")
    try:
        if user_id is not None:
            return user_subs.subscribe(engine, user_id, url,
                                       allow_private=settings.allow_private_feeds)
        (added,) = subscriptions.subscribe(engine, [url],
                                           allow_private=settings.allow_private_feeds)
    except subscriptions.FeedURLError as exc:
        raise WriteRefused(400, str(exc)) from None
    return added


def import_opml(engine: Engine, settings: Settings, data: bytes, user_id: int | None = None
                ) -> subscriptions.OPMLImport:
    try:
        if user_id is not None:
            return user_subs.import_opml(engine, user_id, data,
                                         allow_private=settings.allow_private_feeds)
        return subscriptions.import_opml(engine, data,
                                         allow_private=settings.allow_private_feeds)
    except subscriptions.OPMLError as exc:
        raise WriteRefused(400, f"not a usable OPML file: {exc}") from None


def import_message(result: subscriptions.OPMLImport) -> str:
    return f"Imported {result.line()}." + "".join(f" Skipped: {s}." for s in result.skipped[:10])


def remove_feed(engine: Engine, feed_id: int, user_id: int | None = None) -> bool:
    """Remove the feed for everyone; with ``user_id``, the user's subscription (the feed
    stays for others who follow it)."""
    if user_id is not None:
        return user_subs.unsubscribe(engine, user_id, feed_id).was
    with engine.begin() as conn:
        return source_store.remove(conn, feed_id)


def export_opml(engine: Engine, user_id: int | None = None) -> str:
    if user_id is not None:
        return user_subs.export_opml(engine, user_id)[0]
    return subscriptions.export_opml(engine)[0]


def user_of(who: auth.Viewer) -> int | None:
    """Whose subscriptions a request works on: the signed-in user's, else None (all)."""
    return who.user.id if who.user is not None else None


# --- the page ----------------------------------------------------------------------------


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _engine(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


async def feeds_response(request: Request, *, message: str | None = None,
                         error: bool = False, status: int = 200) -> HTMLResponse:
    who = await auth.viewer(request)
    feeds = await run_in_threadpool(list_feeds, _engine(request), user_of(who))
    html = render("feeds.html", feeds=feeds, message=message, error=error,
                  writable=bool(_settings(request).admin_token) or who.signed_in,
                  nav="feeds", **auth.template_context(who))
    return HTMLResponse(html, status_code=status,
                        headers={"Cache-Control": "no-store"} if who.signed_in else None)


async def authorize(request: Request, form_token: str | None, csrf: str | None = None
                    ) -> None:
    """A signed-in user: same origin and the session's CSRF token (or a user's API
    token); else same origin, then the admin token from the form or a Bearer header."""
    who = await auth.viewer(request)
    if who.via == "session":
        auth.check_csrf(request, who, csrf)
        return
    if who.via == "token":
        return
    # The admin token in the form is the secret a cross-site page cannot know, so an
    # opaque ``Origin: null`` (Chromium's under our no-referrer policy) passes here too.
    check_same_origin(request, allow_null=True)
    check_token(_settings(request).admin_token, form_token or bearer_token(request))


def set_folders(engine: Engine, user_id: int, feed_id: int, names: list[str]) -> bool:
    """The user's folders of one of their subscriptions; False when not subscribed."""
    with engine.begin() as conn:
        if sub_store.get(conn, user_id, feed_id) is None:
            return False
        sub_store.set_folders(conn, user_id, feed_id, names)
    return True


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
                    token: Annotated[str, Form(max_length=500)] = "",
                    csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    try:
        await authorize(request, token, csrf)
        src, created = await run_in_threadpool(add_feed, _engine(request), _settings(request),
                                               url, user_of(await auth.viewer(request)))
    except WriteRefused as exc:
        return await feeds_response(request, message=exc.message, error=True,
                                    status=exc.status)
    return RedirectResponse(f"/feeds?{'added' if created else 'exists'}={src.id}",
                            status_code=303)


@router.post("/feeds/import", response_class=HTMLResponse)
async def feeds_import(request: Request, file: Annotated[UploadFile, File()],
                       token: Annotated[str, Form(max_length=500)] = "",
                    csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    try:
        await authorize(request, token, csrf)
        data = await file.read()
        result = await run_in_threadpool(import_opml, _engine(request), _settings(request),
                                         data, user_of(await auth.viewer(request)))
    except WriteRefused as exc:
        return await feeds_response(request, message=exc.message, error=True,
                                    status=exc.status)
    return await feeds_response(request, message=import_message(result))


@router.post("/feeds/{feed_id}/remove", response_class=HTMLResponse)
async def feeds_remove(request: Request, feed_id: FeedId,
                       token: Annotated[str, Form(max_length=500)] = "",
                    csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    try:
        await authorize(request, token, csrf)
        removed = await run_in_threadpool(remove_feed, _engine(request), feed_id,
                                          user_of(await auth.viewer(request)))
    except WriteRefused as exc:
        return await feeds_response(request, message=exc.message, error=True,
                                    status=exc.status)
    if not removed:
        return await feeds_response(request, message=f"There is no feed {feed_id}.",
                                    error=True, status=404)
    return RedirectResponse(f"/feeds?removed={feed_id}", status_code=303)


@router.post("/feeds/{feed_id}/folders", response_class=HTMLResponse)
async def feeds_folders(request: Request, feed_id: FeedId,
                        folders: Annotated[str, Form(max_length=1000)] = "",
                        csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    """The user's folders of a feed they follow, comma-separated; signed-in users only."""
    who = await auth.viewer(request)
    try:
        if not who.signed_in:
            raise WriteRefused(401, "sign in to file feeds into folders")
        auth.check_csrf(request, who, csrf)
    except WriteRefused as exc:
        return await feeds_response(request, message=exc.message, error=True,
                                    status=exc.status)
    assert who.user is not None
    names = user_subs.clean_folders(folders.split(","))
    if not await run_in_threadpool(set_folders, _engine(request), who.user.id, feed_id, names):
        return await feeds_response(request, message=f"There is no feed {feed_id}.",
                                    error=True, status=404)
    request.app.state.reader.cache.invalidate()
    return RedirectResponse(f"/feeds#feed-{feed_id}", status_code=303)


@router.get("/feeds.opml")
async def feeds_opml(request: Request) -> Response:
    who = await auth.viewer(request)
    doc = await run_in_threadpool(export_opml, _engine(request), user_of(who))
    return Response(doc, media_type="text/x-opml; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="storyline-feeds.opml"'})
