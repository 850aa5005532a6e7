"""The JSON API: one twin per page (same query code), feed management with the admin
token, and the API reference page at ``/api/docs`` (rendered here from the OpenAPI
description; no external scripts)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from storyline.web import auth, personal
from storyline.web import feeds as feed_ops
from storyline.web.reader import Reader, to_json
from storyline.web.render import render
from storyline.web.search import run_search
from storyline.web.security import WriteRefused, bearer_token, check_token

router = APIRouter(prefix="/api")

JSON_TYPE = "application/json"
ItemId = Annotated[int, Path(ge=1, le=2**62, description="The id.")]


def reader(request: Request) -> Reader:
    return request.app.state.reader  # type: ignore[no-any-return]


def json_response(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=JSON_TYPE)


def refused(exc: WriteRefused) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse({"detail": exc.message}, status_code=exc.status, headers=headers)


async def check_writer(request: Request) -> None:
    """Feed management: a user's API token, or the admin token."""
    who = await auth.viewer(request)
    if who.via == "token":
        return
    check_token(request.app.state.settings.admin_token, bearer_token(request))


@router.get("/health", summary="Health",
            description="Whether the server answers: {\"status\": \"ok\"}. Touches no "
                        "database (a liveness check).")
async def api_health() -> Response:
    return json_response(b'{"status":"ok"}')


@router.get("/top", summary="Top Headlines",
            description="Stories ranked by distinct outlets, article velocity and recency "
                        "(measured against the newest story), one page at a time: each with "
                        "headline, first summary sentence (lead), outlet and article counts, "
                        "updated time, image and score.")
async def api_top(request: Request,
                  page: Annotated[int, Query(ge=1, le=100_000, description="1-based page.")]
                  = 1) -> Response:
    who = await auth.viewer(request)
    if who.signed_in:
        return await personal_top(request, who, page, None)
    return json_response((await reader(request).top_view(page, "json")).body)


async def personal_top(request: Request, who: auth.Viewer, page: int,
                       category: str | None) -> Response:
    r = reader(request)

    def build() -> bytes | None:
        top = personal.headlines(r, who, page, category)
        return None if top is None else to_json(top)

    if who.signed_in:
        body = await r.cache.run(build)
    else:
        body = await r.cache.get(("view", "api-category", (category or "").lower(), page),
                                 build)
    if body is None:
        return JSONResponse({"detail": f"no category {category!r}"}, status_code=404)
    return json_response(body)


@router.get("/c/{name}", summary="A category's Top Headlines",
            description="Top Headlines restricted to the stories with an article from a "
                        "feed in the category (an OPML folder), one page at a time. Signed "
                        "in (session or API token): muted stories left out and each story "
                        "with its reader state (read, new).",
            responses={404: {"description": "No such category"}})
async def api_category(request: Request,
                       name: Annotated[str, Path(min_length=1, max_length=200)],
                       page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    return await personal_top(request, await auth.viewer(request), page, name)


@router.get("/categories", summary="Categories",
            description="The categories (OPML folders) that hold feeds, with their feed "
                        "counts.")
async def api_categories(request: Request) -> Response:
    from storyline.storage import categories as category_store

    def run() -> list[dict[str, Any]]:
        with request.app.state.engine.connect() as conn:
            return [{"name": n, "feeds": c} for n, c in category_store.list_used(conn)]

    return json_response(to_json({"categories": await run_in_threadpool(run)}))


@router.get("/me", summary="The signed-in user",
            description="Name, mutes and unread story count of the user of the session "
                        "or API token (401 otherwise).",
            responses={401: {"description": "Not signed in"}})
async def api_me(request: Request) -> Response:
    who = await auth.viewer(request)
    if who.user is None:
        return JSONResponse({"detail": "sign in or give an API token"}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})
    from storyline.accounts import muting

    user = who.user

    def run() -> dict[str, Any]:
        with request.app.state.engine.connect() as conn:
            mutes = muting.load(conn, user.id)
        return {"id": user.id, "name": user.name, "created_at": user.created_at,
                "mutes": {"outlets": list(mutes.outlets), "words": list(mutes.words)}}

    return json_response(to_json(await run_in_threadpool(run)))


@router.get("/stories/{story_id}", summary="One story",
            description="Headline, updated time, article count, image, sections of cited "
                        "sentences (citations are 1-based indices into sources), sources, "
                        "timeline, sub-stories, related articles, external links, conflicts "
                        "('sources differ') and the storyline. A merged story redirects "
                        "(301) to the story it merged into.",
            responses={301: {"description": "Merged into another story"},
                       404: {"description": "No such story"}})
async def api_story(request: Request, story_id: ItemId) -> Response:
    view, _ = await personal.story_for(reader(request), request, story_id, "json")
    if view.kind == "merged":
        return RedirectResponse(f"/api/stories/{view.target}", status_code=301)
    if view.kind == "missing":
        return JSONResponse({"detail": f"no story {story_id}"}, status_code=404)
    return json_response(view.body)


@router.get("/storylines/{storyline_id}", summary="One storyline",
            description="Its stories in time order and the joined timeline.",
            responses={404: {"description": "No such storyline"}})
async def api_storyline(request: Request, storyline_id: ItemId) -> Response:
    view = await reader(request).storyline_view(storyline_id, "json")
    if view.kind != "ok":
        return JSONResponse({"detail": f"no storyline {storyline_id}"}, status_code=404)
    return json_response(view.body)


@router.get("/search", summary="Search",
            description="Full text over stories (their summaries) and articles. Words are "
                        "all required; \"a phrase\", word*, -word and OR work. Snippets are "
                        "plain text; snippet_parts marks the matches.")
async def api_search(request: Request,
                     q: Annotated[str, Query(max_length=500, description="What to find.")]
                     = "",
                     limit: Annotated[int, Query(ge=1, le=100)] = 20) -> Response:
    results, unavailable = await run_search(request.app.state.engine, q, limit)
    if unavailable:
        return JSONResponse({"detail": unavailable}, status_code=503)
    return json_response(to_json(results))


@router.get("/feeds", summary="Feeds",
            description="Every source with status, error count, last error, article count "
                        "and check times; for a signed-in user (session or API token), "
                        "that user's subscriptions, with their titles and folders.")
async def api_feeds(request: Request) -> Response:
    who = await auth.viewer(request)
    feeds = await run_in_threadpool(feed_ops.list_feeds, request.app.state.engine,
                                    feed_ops.user_of(who))
    return json_response(to_json({"feeds": feeds}))


class FeedIn(BaseModel):
    url: str = Field(max_length=2000, description="The feed's URL (RSS, Atom or JSON Feed).")


@router.post("/feeds", summary="Add a feed", status_code=201,
             description="Needs `Authorization: Bearer <admin token or a user's API "
                         "token>`: the admin token subscribes every user, a user's token "
                         "that user. URLs that resolve to private or loopback addresses "
                         "are refused unless allow_private_feeds is set. 201 when added "
                         "(the subscription is new), 200 when it existed.",
             responses={400: {"description": "Not a usable feed URL"},
                        401: {"description": "No admin token given"},
                        403: {"description": "Wrong token, or no token configured"}})
async def api_feeds_add(request: Request, body: FeedIn) -> Response:
    settings = request.app.state.settings
    try:
        await check_writer(request)
        src, created = await run_in_threadpool(feed_ops.add_feed, request.app.state.engine,
                                               settings, body.url,
                                               feed_ops.user_of(await auth.viewer(request)))
    except WriteRefused as exc:
        return refused(exc)
    return JSONResponse({"id": src.id, "url": src.url, "created": created},
                        status_code=201 if created else 200)


@router.delete("/feeds/{feed_id}", summary="Remove a feed",
               description="Needs `Authorization: Bearer <admin token or a user's API "
                           "token>`: the admin token removes the feed, a user's token that "
                           "user's subscription (the feed stays for others who follow it). "
                           "Its articles stay.",
               responses={404: {"description": "No such feed"}})
async def api_feeds_remove(request: Request, feed_id: ItemId) -> Response:
    try:
        await check_writer(request)
    except WriteRefused as exc:
        return refused(exc)
    if not await run_in_threadpool(feed_ops.remove_feed, request.app.state.engine, feed_id,
                                   feed_ops.user_of(await auth.viewer(request))):
        return JSONResponse({"detail": f"no feed {feed_id}"}, status_code=404)
    return JSONResponse({"id": feed_id, "removed": True})


def _schema_type(schema: dict[str, Any]) -> str:
    if "type" in schema:
        return str(schema["type"])
    options = [str(s.get("type")) for s in schema.get("anyOf", []) if s.get("type")]
    return " or ".join(options) or "any"


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    ops = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            body = None
            content = (op.get("requestBody") or {}).get("content") or {}
            if content:
                ctype, media = next(iter(content.items()))
                ref = str((media.get("schema") or {}).get("$ref", "")).rsplit("/", 1)[-1]
                fields = spec.get("components", {}).get("schemas", {}).get(ref, {})
                names = ", ".join(f'"{k}"' for k in fields.get("properties", {}))
                body = f"{ctype} {{{names}}}" if names else ctype
            ops.append({
                "method": method.upper(), "path": path, "summary": op.get("summary"),
                "description": op.get("description"), "body": body,
                "anchor": f"{method}-{path}".replace("/", "-").strip("-"),
                "parameters": [{"name": p["name"], "in": p["in"],
                                "type": _schema_type(p.get("schema") or {}),
                                "required": p.get("required", False)}
                               for p in op.get("parameters", [])],
                "responses": sorted(op.get("responses", {})),
            })
    return ops


@router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
async def api_docs(request: Request) -> Response:
    async def page() -> bytes:
        spec = request.app.openapi()
        return render("api_docs.html", spec=spec, operations=operations(spec),
                      spec_url=request.app.openapi_url, nav="api").encode("utf-8")

    cached = getattr(request.app.state, "api_docs", None)
    if cached is None:
        cached = request.app.state.api_docs = await page()
    return Response(cached, media_type="text/html; charset=utf-8")
