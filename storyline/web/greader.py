"""The Google Reader API under ``/greader`` (a client's server URL is
``http://HOST:PORT/greader``): the subset Miniflux and FreshRSS serve, plus the Atom form
of streams (``/greader/reader/atom/<stream id>``) that newsboat's ``feedhq`` backend
reads. Endpoints and parameters: docs/greader.md.

Sign-in is ClientLogin (the account's name and password; rate limited like the web
sign-in), which hands out a token kept (hashed) per user; requests carry it as
``Authorization: GoogleLogin auth=TOKEN``. A user's API token works too (``Bearer``).
Each user has their own subscriptions (with their own titles) and folders
(``storyline.accounts.subscriptions``); a feed followed by several is fetched once. Read
and starred state, and mutes, are each user's own too."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MultiDict

from storyline.accounts import muting
from storyline.accounts import subscriptions as user_subs
from storyline.accounts import users as accounts
from storyline.accounts.muting import Mutes
from storyline.fetch.urls import FeedURLError
from storyline.storage import readstate, streams
from storyline.storage import subscriptions as sub_store
from storyline.storage.streams import STORY_BASE, StreamQuery
from storyline.text.wording import plural
from storyline.web import greader_items as gr
from storyline.web import queries, stored
from storyline.web.atom import link_base
from storyline.web.greader_items import Item, Stream, StreamError
from storyline.web.reader import Reader
from storyline.web.security import WriteRefused
from storyline.write.page import COUNT_SLOT, STORYLINE_SLOT, story_page, summary_fragment

router = APIRouter(prefix="/greader", include_in_schema=False)

API = "/reader/api/0"
DEFAULT_N = 20
MAX_CONTENTS = 1000
MAX_IDS = 10_000
JSON = "application/json"


# --- plumbing ----------------------------------------------------------------------------


async def params(request: Request) -> MultiDict:
    """Query and (for POST) form parameters together; repeated keys kept."""
    items = list(request.query_params.multi_items())
    if request.method == "POST":
        form = await request.form()
        items += [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    return MultiDict(items)


def auth_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, rest = header.partition(" ")
    if scheme.lower() == "googlelogin":
        key, _, value = rest.strip().partition("=")
        return value.strip() if key.strip().lower() == "auth" and value.strip() else None
    if scheme.lower() == "bearer" and rest.strip():
        return rest.strip()
    return None


async def api_user(request: Request) -> accounts.User:
    """The user of the request's token (looked up once per request); 401 without one."""
    found = getattr(request.state, "gr_user", None)
    if found is not None:
        return found  # type: ignore[no-any-return]
    token = auth_token(request)
    user = (await run_in_threadpool(accounts.token_owner, request.app.state.engine, token)
            if token else None)
    if user is None:
        raise HTTPException(401, "Unauthorized", headers={"WWW-Authenticate": "GoogleLogin"})
    request.state.gr_token = token
    request.state.gr_user = user
    return user


def reader(request: Request) -> Reader:
    return request.app.state.reader  # type: ignore[no-any-return]


def base_url(request: Request) -> str:
    s = request.app.state.settings
    return link_base(s.public_url, str(request.base_url), (s.web_host,)).rstrip("/")


def edit_token(request: Request) -> str:
    """The token of ``/token`` (T): derived from the login token, so it needs no state."""
    return accounts.digest("T:" + str(getattr(request.state, "gr_token", "")))[:57]


def check_t(request: Request, form: MultiDict) -> None:
    given = form.get("T")
    if given and given != edit_token(request):
        raise HTTPException(401, "Unauthorized", headers={"X-Reader-Google-Bad-Token": "true"})


def as_json(data: Any, status: int = 200) -> Response:
    return JSONResponse(data, status_code=status)


def ok() -> Response:
    return PlainTextResponse("OK")


def bad(message: str) -> HTTPException:
    return HTTPException(400, message)


def _int(form: MultiDict, key: str, default: int, high: int) -> int:
    raw = form.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad(f"{key} must be a whole number") from None
    return max(1, min(value, high))


def feed_ids(conn: Connection, user_id: int) -> dict[str, int]:
    """The stream ids of the feeds the user follows (others are no stream of theirs)."""
    out: dict[str, int] = {}
    for fid, url in streams.feed_refs(conn, user_id):
        out[f"feed/{fid}"] = fid
        out[f"feed/{url}"] = fid
    return out


# --- sign-in ------------------------------------------------------------------------------


@router.api_route("/accounts/ClientLogin", methods=["GET", "POST"])
async def client_login(request: Request) -> Response:
    from storyline.web.accounts import check_signin

    form = await params(request)
    name, password = form.get("Email", ""), form.get("Passwd", "")
    if not name or not password:
        return PlainTextResponse("Error=BadAuthentication\n", status_code=401)
    user, wait = await check_signin(request, name, password)
    if wait:
        return PlainTextResponse("Error=TooManyAttempts\n", status_code=429,
                                 headers={"Retry-After": str(wait)})
    if user is None:
        return PlainTextResponse("Error=BadAuthentication\n", status_code=401)
    client = (form.get("client") or form.get("source") or "reading app")[:100]
    token = await run_in_threadpool(accounts.issue_token, request.app.state.engine, user,
                                    "greader", f"Google Reader API: {client}")
    if form.get("output") == "json":
        return as_json({"SID": token, "LSID": token, "Auth": token})
    return PlainTextResponse(f"SID={token}\nLSID={token}\nAuth={token}\n")


@router.get(API + "/token")
async def token(request: Request) -> Response:
    await api_user(request)
    return PlainTextResponse(edit_token(request))


@router.get(API + "/user-info")
async def user_info(request: Request) -> Response:
    user = await api_user(request)
    return as_json({"userId": str(user.id), "userName": user.name,
                    "userProfileId": str(user.id), "userEmail": user.name,
                    "isBloggerUser": False, "isMultiLoginEnabled": False,
                    "signupTimeSec": int(user.created_at.timestamp())})


# --- subscriptions and tags -------------------------------------------------------------


def _subscriptions(engine: Any, user_id: int, base: str) -> list[dict[str, Any]]:
    out = [{"id": f"feed/{s.source.id}", "title": s.name, "url": s.source.url,
            "htmlUrl": s.source.site_url or s.source.url, "iconUrl": "",
            "firstitemmsec": str(int(s.created_at.timestamp() * 1000)),
            "sortid": f"{s.source.id:08X}",
            "categories": [{"id": gr.LABEL + name, "label": name} for name in s.folders]}
           for s in user_subs.list_for(engine, user_id)]
    out.append({"id": gr.STORIES_STREAM, "title": gr.STORIES_TITLE, "url": f"{base}/",
                "htmlUrl": f"{base}/", "iconUrl": "", "firstitemmsec": "0",
                "sortid": "FFFFFFFF", "categories": []})
    return out


@router.get(API + "/subscription/list")
async def subscription_list(request: Request) -> Response:
    user = await api_user(request)
    subs = await run_in_threadpool(_subscriptions, request.app.state.engine, user.id,
                                   base_url(request))
    return as_json({"subscriptions": subs})


def _subscribe(request: Request, user_id: int, url: str, labels: list[str],
               title: str | None = None) -> tuple[Any, bool]:
    """Subscribe the user (``WriteRefused`` 400 for a URL that is refused)."""
    if not url.strip():
        raise WriteRefused(400, "give the feed's URL")
    try:
        return user_subs.subscribe(
            request.app.state.engine, user_id, url,
            allow_private=request.app.state.settings.allow_private_feeds, folders=labels,
            title=title)
    except FeedURLError as exc:
        raise WriteRefused(400, str(exc)) from None


def _labels(values: list[str]) -> list[str]:
    out = []
    for v in values:
        name = gr.label_of(v)
        if name:
            out.append(name[:200])
    return out


@router.post(API + "/subscription/quickadd")
async def subscription_quickadd(request: Request) -> Response:
    user = await api_user(request)
    form = await params(request)
    check_t(request, form)
    url = (form.get("quickadd") or "").strip()
    if url.startswith("feed/"):
        url = url[5:]
    try:
        src, _ = await run_in_threadpool(_subscribe, request, user.id, url, [])
    except WriteRefused as exc:
        return as_json({"numResults": 0, "error": exc.message}, status=exc.status)
    reader(request).cache.invalidate()
    return as_json({"numResults": 1, "query": url, "streamId": f"feed/{src.id}",
                    "streamName": src.name})


def _edit_subscriptions(request: Request, user_id: int, form: MultiDict) -> None:
    """``ac`` subscribe (``s`` the feed URL or feed/URL, ``t`` its title, ``a`` folders),
    unsubscribe, or edit (``t`` renames, ``a``/``r`` add and remove folders); one ``t``
    applies to every ``s``. Only the user's own subscriptions change."""
    engine = request.app.state.engine
    action = form.get("ac", "")
    add, remove = _labels(form.getlist("a")), _labels(form.getlist("r"))
    title = " ".join((form.get("t") or "").split())[:500] or None
    targets = form.getlist("s")
    if action not in ("subscribe", "unsubscribe", "edit"):
        raise bad("ac must be subscribe, unsubscribe or edit")
    if not targets:
        raise bad("give the subscription (s)")
    for target in targets:
        if action == "subscribe":
            url = target[5:] if target.startswith("feed/") else target
            try:
                _subscribe(request, user_id, url, add, title)
            except WriteRefused as exc:
                raise HTTPException(exc.status, exc.message) from None
            continue
        with engine.connect() as conn:
            try:
                stream = gr.parse_stream(target, feed_ids(conn, user_id))
            except StreamError as exc:
                raise HTTPException(404, str(exc)) from None
        if stream.kind != "feed" or stream.source_id is None:
            raise bad(f"not a feed: {target}")
        if action == "unsubscribe":
            user_subs.unsubscribe(engine, user_id, stream.source_id)
            continue
        with engine.begin() as conn:
            if title:
                sub_store.set_title(conn, user_id, stream.source_id, title)
            sub_store.add_folders(conn, user_id, stream.source_id, add)
            for name in remove:
                sub_store.remove_folder(conn, user_id, stream.source_id, name)


@router.post(API + "/subscription/edit")
async def subscription_edit(request: Request) -> Response:
    user = await api_user(request)
    form = await params(request)
    check_t(request, form)
    await run_in_threadpool(_edit_subscriptions, request, user.id, form)
    reader(request).cache.invalidate()
    return ok()


def _tags(engine: Any, user_id: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        names = sub_store.folder_names(conn, user_id)
    return ([{"id": gr.STARRED, "sortid": "00000001"}]
            + [{"id": gr.LABEL + n, "label": n, "type": "folder"} for n in names])


@router.get(API + "/tag/list")
async def tag_list(request: Request) -> Response:
    user = await api_user(request)
    return as_json({"tags": await run_in_threadpool(_tags, request.app.state.engine,
                                                    user.id)})


@router.post(API + "/rename-tag")
async def rename_tag(request: Request) -> Response:
    user = await api_user(request)
    form = await params(request)
    check_t(request, form)
    old, new = gr.label_of(form.get("s", "")), gr.label_of(form.get("dest", ""))
    if not old or not new:
        raise bad("give s and dest as user/-/label/NAME")

    def run() -> bool:
        with request.app.state.engine.begin() as conn:
            return sub_store.rename_folder(conn, user.id, old, new[:200])

    if not await run_in_threadpool(run):
        raise HTTPException(404, f"no label {old}")
    return ok()


@router.post(API + "/disable-tag")
async def disable_tag(request: Request) -> Response:
    user = await api_user(request)
    form = await params(request)
    check_t(request, form)
    name = gr.label_of(form.get("s", ""))
    if not name:
        raise bad("give s as user/-/label/NAME")

    def run() -> bool:
        with request.app.state.engine.begin() as conn:
            return sub_store.remove_folder_everywhere(conn, user.id, name)

    if not await run_in_threadpool(run):
        raise HTTPException(404, f"no label {name}")
    return ok()


# --- unread counts --------------------------------------------------------------------------


def _unread(engine: Any, user_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        mutes = muting.load(conn, user_id)
        per_feed = streams.unread_by_feed(conn, user_id, mutes.outlets)
        feeds = {fid for fid, _ in streams.feed_refs(conn, user_id)}
        cats = sub_store.folders_by_source(conn, user_id)
        n_stories, newest_story = streams.unread_stories(conn, user_id, mutes.outlets,
                                                          mutes.words)
    counts: list[dict[str, Any]] = []
    labels: dict[str, list[Any]] = {}
    total, newest_all = n_stories, newest_story

    def usec(when: datetime | None) -> str:
        return str(int(when.timestamp() * 1_000_000)) if when else "0"

    for fid, (n, newest) in sorted(per_feed.items()):
        if fid not in feeds:
            continue
        counts.append({"id": f"feed/{fid}", "count": n, "newestItemTimestampUsec": usec(newest)})
        total += n
        newest_all = max(filter(None, (newest_all, newest)), default=None)
        for name in cats.get(fid, []):
            entry = labels.setdefault(name, [0, None])
            entry[0] += n
            entry[1] = max(filter(None, (entry[1], newest)), default=None)
    for name, (n, newest) in sorted(labels.items()):
        counts.append({"id": gr.LABEL + name, "count": n,
                       "newestItemTimestampUsec": usec(newest)})
    counts.append({"id": gr.STORIES_STREAM, "count": n_stories,
                   "newestItemTimestampUsec": usec(newest_story)})
    counts.append({"id": f"user/{user_id}/state/com.google/reading-list", "count": total,
                   "newestItemTimestampUsec": usec(newest_all)})
    return {"max": max([c["count"] for c in counts] + [0]), "unreadcounts": counts}


@router.get(API + "/unread-count")
async def unread_count(request: Request) -> Response:
    user = await api_user(request)
    return as_json(await run_in_threadpool(_unread, request.app.state.engine, user.id))


# --- streams --------------------------------------------------------------------------------


def stream_query(conn: Connection, user_id: int, stream: Stream, form: MultiDict,
                 mutes: Mutes) -> StreamQuery:
    q = StreamQuery(user_id, muted=mutes.outlets, muted_words=mutes.words,
                    followed_only=not streams.follows_all(conn, user_id))
    if stream.kind == "feed":
        q.source_ids = [stream.source_id] if stream.source_id else []
    elif stream.kind == "stories":
        q.articles, q.stories = False, True
    elif stream.kind == "label":
        q.source_ids = sub_store.folder_source_ids(conn, user_id, stream.label or "")
    elif stream.kind in ("all", "starred", "read"):
        q.stories = True
        q.only_starred = stream.kind == "starred"
        q.only_read = stream.kind == "read"
    else:  # a state this server does not keep (broadcast, like, …): empty
        q.articles, q.source_ids = False, []
    for value in form.getlist("xt"):
        if gr.is_state(value, "read"):
            q.exclude_read = True
    for value in form.getlist("it"):
        if gr.is_state(value, "read"):
            q.only_read = True
        elif gr.is_state(value, "starred"):
            q.only_starred = True
    try:
        q.newer_than = gr.parse_time(form.get("ot"))
        q.older_than = gr.parse_time(form.get("nt"))
        q.oldest_first = form.get("r") == "o"
        if form.get("c"):
            q.after = gr.decode_continuation(form["c"])
    except StreamError as exc:
        raise bad(str(exc)) from None
    return q


def _page(engine: Any, user_id: int, stream_id: str, form: MultiDict, limit: int
          ) -> tuple[Stream, Mutes, list[tuple[str, int, datetime]], str | None]:
    with engine.connect() as conn:
        try:
            stream = gr.parse_stream(stream_id, feed_ids(conn, user_id))
        except StreamError as exc:
            raise HTTPException(404, str(exc)) from None
        mutes = muting.load(conn, user_id)
        q = stream_query(conn, user_id, stream, form, mutes)
        refs = streams.items(conn, q, limit + 1)
    more = len(refs) > limit
    refs = refs[:limit]
    cont = gr.encode_continuation(refs[-1][2], refs[-1][1]) if more and refs else None
    return stream, mutes, refs, cont


def story_content(r: Reader, story_id: int, mutes: Mutes, base: str) -> str:
    """A story item's content: its page's summary part, links absolute."""
    def build() -> str:
        with r.engine.connect() as conn:
            row, _ = queries.resolve_story(conn, story_id)
            if row is None:
                return ""
            page, _removed = muting.filter_page(story_page(conn, row), mutes)
        fragment = (summary_fragment(page)
                    .replace(COUNT_SLOT, plural(page["article_count"], "article"), 1)
                    .replace(STORYLINE_SLOT, stored.storyline_note(page["storyline"]), 1))
        url = f"{base}/stories/{story_id}"
        return (fragment.replace('href="/', f'href="{base}/')
                .replace('href="#', f'href="{url}#'))

    return r.cache.get_sync(("greader-story", story_id, mutes.outlets, base), build)


def build_items(r: Reader, user_id: int, mutes: Mutes, refs: list[tuple[str, int, Any]],
                base: str) -> list[Item]:
    aids = [i for k, i, _ in refs if k == "a"]
    sids = [i - STORY_BASE for k, i, _ in refs if k == "s"]
    with r.engine.connect() as conn:
        arts = streams.article_items(conn, aids)
        read = readstate.read_among(conn, user_id, aids)
        starred_a = readstate.starred_among(conn, user_id, "article", aids)
        titles = sub_store.titles(conn, user_id) if aids else {}
        folders = sub_store.folders_by_source(conn, user_id) if aids else {}
        rows = streams.story_items(conn, sids)
        states = readstate.story_states(conn, user_id, sids, mutes.outlets)
        starred_s = readstate.starred_among(conn, user_id, "story", sids)
    out: list[Item] = []
    for kind, item_id, _ts in refs:
        if kind == "a":
            a = arts.get(item_id)
            if a is None:
                continue
            labels = folders.get(a.source_id, []) if a.source_id else []
            out.append(Item(
                item_id, a.title, a.url, a.published or a.fetched_at, a.published or a.fetched_at,
                a.fetched_at, a.byline or a.outlet, gr.text_html(a.text),
                f"feed/{a.source_id}" if a.source_id else gr.STORIES_STREAM,
                titles.get(a.source_id) or a.feed_title or a.outlet or "", a.feed_site,
                gr.categories_for(user_id, read=item_id in read,
                                  starred=item_id in starred_a, labels=labels)))
        else:
            sid = item_id - STORY_BASE
            s = rows.get(sid)
            if s is None:
                continue
            st = states.get(sid)
            title = f"{s.headline or f'Story {sid}'} ({plural(s.article_count, 'article')})"
            out.append(Item(
                item_id, title, f"{base}/stories/{sid}", s.first_time or s.updated_at,
                s.updated_at, s.updated_at, f"{plural(s.outlet_count, 'outlet')}",
                story_content(r, sid, mutes, base), gr.STORIES_STREAM, gr.STORIES_TITLE,
                f"{base}/",
                gr.categories_for(user_id, read=bool(st and st.is_read),
                                  starred=sid in starred_s, labels=[])))
    return out


async def _contents(request: Request, stream_id: str) -> tuple[Stream, list[Item], str | None]:
    user = await api_user(request)
    form = await params(request)
    limit = _int(form, "n", DEFAULT_N, MAX_CONTENTS)
    r, base = reader(request), base_url(request)

    def run() -> tuple[Stream, list[Item], str | None]:
        stream, mutes, refs, cont = _page(r.engine, user.id, stream_id, form, limit)
        return stream, build_items(r, user.id, mutes, refs, base), cont

    return await r.cache.run(run)


def _stream_title(engine: Any, user_id: int, stream: Stream) -> str:
    if stream.kind == "feed" and stream.source_id:
        with engine.connect() as conn:
            sub = sub_store.get(conn, user_id, stream.source_id)
        return sub.name if sub else stream.id
    return {"stories": gr.STORIES_TITLE, "all": "Reading list", "starred": "Starred",
            "read": "Read"}.get(stream.kind, stream.label or stream.id)


@router.api_route(API + "/stream/contents/{stream_id:path}", methods=["GET", "POST"])
async def stream_contents_of(request: Request, stream_id: str) -> Response:
    return await _stream_contents(request, stream_id)


@router.api_route(API + "/stream/contents", methods=["GET", "POST"])
async def stream_contents(request: Request) -> Response:
    return await _stream_contents(request, (await params(request)).get("s") or gr.READING_LIST)


async def _stream_contents(request: Request, sid: str) -> Response:
    user = await api_user(request)
    stream, items, cont = await _contents(request, sid)
    title = await run_in_threadpool(_stream_title, request.app.state.engine, user.id, stream)
    data: dict[str, Any] = {"direction": "ltr", "id": stream.id, "title": title,
                            "self": [{"href": str(request.url)}],
                            "updated": int(datetime.now(UTC).timestamp()),
                            "items": [i.to_json() for i in items]}
    if cont:
        data["continuation"] = cont
    return as_json(data)


@router.api_route(API + "/stream/items/ids", methods=["GET", "POST"])
async def stream_item_ids(request: Request) -> Response:
    user = await api_user(request)
    form = await params(request)
    limit = _int(form, "n", DEFAULT_N, MAX_IDS)
    sid = form.get("s") or gr.READING_LIST
    r = reader(request)
    _, _, refs, cont = await r.cache.run(lambda: _page(r.engine, user.id, sid, form, limit))
    data: dict[str, Any] = {"itemRefs": [
        {"id": str(i), "directStreamIds": [],
         "timestampUsec": str(int(ts.timestamp() * 1_000_000)) if ts else "0"}
        for _, i, ts in refs]}
    if cont:
        data["continuation"] = cont
    return as_json(data)


def _item_refs(engine: Any, ids: list[int]) -> list[tuple[str, int, Any]]:
    aids = [i for i in ids if not gr.is_story(i)]
    with engine.connect() as conn:
        have = streams.existing_articles(conn, aids)
        sids = [i - STORY_BASE for i in ids if gr.is_story(i)]
        live = streams.story_items(conn, sids)
    return [("s" if gr.is_story(i) else "a", i, None) for i in ids
            if (i in have) or (gr.is_story(i) and i - STORY_BASE in live)]


@router.post(API + "/stream/items/contents")
async def stream_items_contents(request: Request) -> Response:
    user = await api_user(request)
    form = await params(request)
    try:
        ids = [gr.parse_item(v) for v in form.getlist("i")][:MAX_CONTENTS]
    except StreamError as exc:
        raise bad(str(exc)) from None
    r, base = reader(request), base_url(request)

    def run() -> list[Item]:
        with r.engine.connect() as conn:
            mutes = muting.load(conn, user.id)
        return build_items(r, user.id, mutes, _item_refs(r.engine, ids), base)

    items = await r.cache.run(run)
    return as_json({"direction": "ltr", "id": "user/-/state/com.google/reading-list",
                    "updated": int(datetime.now(UTC).timestamp()),
                    "items": [i.to_json() for i in items]})


# --- changing state -----------------------------------------------------------------------


def _edit_tags(engine: Any, user_id: int, ids: list[int], add: list[str],
               remove: list[str]) -> None:
    aids = [i for i in ids if not gr.is_story(i)]
    sids = [i - STORY_BASE for i in ids if gr.is_story(i)]
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for tag in add:
            if gr.is_state(tag, "read"):
                readstate.mark_read(conn, user_id, aids, now)
                readstate.mark_stories_read(conn, user_id, sids, now)
            elif gr.is_state(tag, "kept-unread"):
                readstate.mark_unread(conn, user_id, aids)
                readstate.mark_stories_unread(conn, user_id, sids)
            elif gr.is_state(tag, "starred"):
                readstate.star(conn, user_id, "article", aids, now)
                readstate.star(conn, user_id, "story", sids, now)
        for tag in remove:
            if gr.is_state(tag, "read"):
                readstate.mark_unread(conn, user_id, aids)
                readstate.mark_stories_unread(conn, user_id, sids)
            elif gr.is_state(tag, "starred"):
                readstate.unstar(conn, user_id, "article", aids)
                readstate.unstar(conn, user_id, "story", sids)


@router.post(API + "/edit-tag")
async def edit_tag(request: Request) -> Response:
    user = await api_user(request)
    form = await params(request)
    check_t(request, form)
    try:
        ids = [gr.parse_item(v) for v in form.getlist("i")]
    except StreamError as exc:
        raise bad(str(exc)) from None
    if not ids:
        raise bad("give the items (i)")
    add, remove = form.getlist("a"), form.getlist("r")
    if not add and not remove:
        raise bad("give a tag to add (a) or remove (r)")
    await run_in_threadpool(_edit_tags, request.app.state.engine, user.id, ids, add, remove)
    return ok()


def _mark_all(engine: Any, user_id: int, stream_id: str, form: MultiDict) -> int:
    with engine.connect() as conn:
        try:
            stream = gr.parse_stream(stream_id, feed_ids(conn, user_id))
        except StreamError as exc:
            raise HTTPException(404, str(exc)) from None
        mutes = muting.load(conn, user_id)
        q = stream_query(conn, user_id, stream, MultiDict(), mutes)
        q.exclude_read = True
        try:
            q.older_than = gr.parse_time(form.get("ts"))
        except StreamError as exc:
            raise bad(str(exc)) from None
        refs = streams.items(conn, q, 10_000_000)
    aids = [i for k, i, _ in refs if k == "a"]
    sids = [i - STORY_BASE for k, i, _ in refs if k == "s"]
    now = datetime.now(UTC)
    with engine.begin() as conn:
        return (readstate.mark_read(conn, user_id, aids, now)
                + readstate.mark_stories_read(conn, user_id, sids, now))


@router.post(API + "/mark-all-as-read")
async def mark_all_as_read(request: Request) -> Response:
    user = await api_user(request)
    form = await params(request)
    check_t(request, form)
    stream_id = form.get("s")
    if not stream_id:
        raise bad("give the stream (s)")
    await run_in_threadpool(_mark_all, request.app.state.engine, user.id, stream_id, form)
    return ok()


# --- the Atom form ---------------------------------------------------------------------------


@router.get("/reader/atom/{stream_id:path}")
async def atom_stream(request: Request,
                      stream_id: Annotated[str, Path(max_length=2000)]) -> Response:
    user = await api_user(request)
    stream, items, cont = await _contents(request, stream_id or gr.READING_LIST)
    title = await run_in_threadpool(_stream_title, request.app.state.engine, user.id, stream)
    body = gr.atom_feed(stream_id=stream.id, title=title, self_url=str(request.url),
                        items=items, continuation=cont)
    return Response(body, media_type="application/atom+xml; charset=utf-8")
