"""Sign-in, sign-out and the account page (API tokens, password, mutes); the per-user
actions "mark all read" and the muted and "new since your last visit" views. Every form
posts with a CSRF token; sign-in attempts are rate limited per client address and per
account (``signin_attempts`` in ``signin_window`` seconds)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from storyline.accounts import muting
from storyline.accounts import users as accounts
from storyline.accounts.ratelimit import RateLimiter
from storyline.storage import sources as source_store
from storyline.web import auth, personal
from storyline.web.auth import Viewer
from storyline.web.reader import Reader
from storyline.web.render import render
from storyline.web.security import WriteRefused

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=1024)]
Short = Annotated[str, Form(max_length=200)]


def limiter(request: Request) -> RateLimiter:
    state = request.app.state
    found = getattr(state, "signin_limiter", None)
    if found is None:
        s = state.settings
        found = state.signin_limiter = RateLimiter(s.signin_attempts, s.signin_window)
    return found  # type: ignore[no-any-return]


def client_key(request: Request) -> str:
    return "ip:" + (request.client.host if request.client else "?")


def _reader(request: Request) -> Reader:
    return request.app.state.reader  # type: ignore[no-any-return]


def html(template: str, who: Viewer, status: int = 200, **context: Any) -> HTMLResponse:
    body = render(template, **auth.template_context(who), **context)
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


async def check_signin(request: Request, name: str, password: str
                       ) -> tuple[accounts.User | None, int]:
    """(user, 0) when the password is right; (None, 0) when wrong; (None, seconds) when
    this client or account must wait. Shared by the web sign-in and ClientLogin."""
    rl = limiter(request)
    account_key = "user:" + name.strip().lower()[:64]
    wait = rl.retry_after(client_key(request), account_key)
    if wait:
        return None, wait
    user = await run_in_threadpool(accounts.authenticate, request.app.state.engine, name,
                                   password)
    if user is None:
        rl.failed(client_key(request), account_key)
        return None, 0
    rl.succeeded(account_key)
    return user, 0


def signin_page(request: Request, *, message: str | None = None, error: bool = False,
                status: int = 200, name: str = "", next_url: str = "/") -> Response:
    token = auth.presign_token(request)
    response = html("signin.html", auth.ANONYMOUS, status, csrf=token, next=next_url,
                    name=name, message=message, error=error, nav="signin")
    auth.set_presign_cookie(response, request, token)
    return response


@router.get("/signin", response_class=HTMLResponse)
async def signin_form(request: Request,
                      next: Annotated[str, Query(max_length=2000)] = "/") -> Response:
    return signin_page(request, next_url=auth.safe_next(next))


@router.post("/signin", response_class=HTMLResponse)
async def signin(request: Request, name: Short = "", password: Text = "",
                 csrf: Short = "", next: Annotated[str, Form(max_length=2000)] = "/"
                 ) -> Response:
    target = auth.safe_next(next)
    try:
        auth.check_presign(request, csrf)
    except WriteRefused as exc:
        return signin_page(request, message=exc.message, error=True, status=exc.status,
                           name=name, next_url=target)
    user, wait = await check_signin(request, name, password)
    if wait:
        response = signin_page(request, message=f"Too many failed sign-ins: try again in "
                                                f"{wait} seconds.", error=True, status=429,
                               name=name, next_url=target)
        response.headers["Retry-After"] = str(wait)
        return response
    if user is None:
        return signin_page(request, message="Wrong user name or password.", error=True,
                           status=401, name=name, next_url=target)
    engine = request.app.state.engine
    old = request.cookies.get(auth.SESSION_COOKIE)
    if old:  # never carry a session over a sign-in (session fixation)
        await run_in_threadpool(accounts.end_session, engine, old)
    value, _ = await run_in_threadpool(accounts.new_session, engine, user,
                                       request.app.state.settings.session_days)
    response = RedirectResponse(target, status_code=303)
    auth.set_session_cookie(response, request, value, request.app.state.settings.session_days)
    response.delete_cookie(auth.PRESIGN_COOKIE, path="/signin")
    return response


@router.post("/signout")
async def signout(request: Request, csrf: Short = "") -> Response:
    who = await auth.viewer(request)
    if who.via == "session":
        try:
            auth.check_csrf(request, who, csrf)
        except WriteRefused as exc:
            return html("error.html", who, exc.status, title="Forbidden", message=exc.message,
                        nav="")
        cookie = request.cookies.get(auth.SESSION_COOKIE, "")
        await run_in_threadpool(accounts.end_session, request.app.state.engine, cookie)
    response = RedirectResponse("/", status_code=303)
    auth.clear_session_cookie(response, request)
    return response


# --- the account page -------------------------------------------------------------------


def _account_data(request: Request, who: Viewer) -> dict[str, Any]:
    engine = request.app.state.engine
    assert who.user is not None
    with engine.connect() as conn:
        mutes = muting.load(conn, who.user.id)
        outlets = sorted({s.name for s in source_store.list_all(conn)})
    return {"mutes": mutes, "outlets": outlets,
            "tokens": accounts.tokens_of(engine, who.user)}


async def account_page(request: Request, who: Viewer, *, message: str | None = None,
                       error: bool = False, status: int = 200,
                       new_token: str | None = None) -> Response:
    data = await run_in_threadpool(_account_data, request, who)
    return html("account.html", who, status, message=message, error=error,
                new_token=new_token, nav="account", **data)


async def signed_in(request: Request) -> Viewer | Response:
    who = await auth.viewer(request)
    if who.via != "session":
        return RedirectResponse(f"/signin?next={request.url.path}", status_code=303)
    return who


@router.get("/account", response_class=HTMLResponse)
async def account(request: Request) -> Response:
    who = await signed_in(request)
    if isinstance(who, Response):
        return who
    return await account_page(request, who)


async def _form_action(request: Request, csrf: str) -> Viewer | Response:
    who = await signed_in(request)
    if isinstance(who, Response):
        return who
    try:
        auth.check_csrf(request, who, csrf)
    except WriteRefused as exc:
        return await account_page(request, who, message=exc.message, error=True,
                                  status=exc.status)
    return who


@router.post("/account/tokens", response_class=HTMLResponse)
async def token_new(request: Request, csrf: Short = "", label: Short = "") -> Response:
    who = await _form_action(request, csrf)
    if isinstance(who, Response):
        return who
    assert who.user is not None
    value = await run_in_threadpool(accounts.issue_token, request.app.state.engine, who.user,
                                    "api", label or "web")
    return await account_page(request, who, new_token=value)


@router.post("/account/tokens/{token_id}/revoke", response_class=HTMLResponse)
async def token_revoke(request: Request, token_id: Annotated[int, Path(ge=1, le=2**62)],
                       csrf: Short = "") -> Response:
    who = await _form_action(request, csrf)
    if isinstance(who, Response):
        return who
    assert who.user is not None
    done = await run_in_threadpool(accounts.revoke_token, request.app.state.engine, who.user,
                                   token_id)
    return await account_page(request, who, message="Token revoked." if done else
                              "There is no such token.", error=not done,
                              status=200 if done else 404)


@router.post("/account/password", response_class=HTMLResponse)
async def password_change(request: Request, csrf: Short = "", current: Text = "",
                          new: Text = "") -> Response:
    who = await _form_action(request, csrf)
    if isinstance(who, Response):
        return who
    assert who.user is not None
    user, wait = await check_signin(request, who.user.name, current)
    if user is None:
        msg = (f"Too many failed attempts: try again in {wait} seconds." if wait
               else "The current password is wrong.")
        return await account_page(request, who, message=msg, error=True,
                                  status=429 if wait else 403)
    engine = request.app.state.engine
    try:
        await run_in_threadpool(accounts.set_password, engine, user.name, new)
    except accounts.AccountError as exc:
        return await account_page(request, who, message=str(exc), error=True, status=400)
    # Every session ended with the change: this browser gets a fresh one.
    value, csrf_token = await run_in_threadpool(accounts.new_session, engine, user,
                                                request.app.state.settings.session_days)
    fresh = Viewer(user, csrf_token, "session")
    response = await account_page(request, fresh, message="Password changed; you were "
                                  "signed out everywhere else.")
    auth.set_session_cookie(response, request, value, request.app.state.settings.session_days)
    return response


async def _mute_change(request: Request, csrf: str, kind: str, value: str, *,
                       add: bool) -> Response:
    """A mute form (add or remove): the CSRF check, the change, the account page."""
    who = await _form_action(request, csrf)
    if isinstance(who, Response):
        return who
    assert who.user is not None
    change = muting.add if add else muting.remove
    try:
        done = await run_in_threadpool(change, request.app.state.engine, who.user.id, kind,
                                       value)
    except muting.MuteError as exc:
        return await account_page(request, who, message=str(exc), error=True, status=400)
    personal.forget_plain(_reader(request))
    if not add:
        return await account_page(request, who, message="Unmuted." if done else
                                  "That was not muted.", error=not done)
    what = muting.normalize(kind, value)
    return await account_page(request, who, message=f"Muted {kind} “{what}”." if done
                              else f"“{what}” was already muted.")


@router.post("/mutes/add", response_class=HTMLResponse)
async def mute_add(request: Request, csrf: Short = "", kind: Short = "outlet",
                   value: Short = "") -> Response:
    return await _mute_change(request, csrf, kind, value, add=True)


@router.post("/mutes/remove", response_class=HTMLResponse)
async def mute_remove(request: Request, csrf: Short = "", kind: Short = "outlet",
                      value: Short = "") -> Response:
    return await _mute_change(request, csrf, kind, value, add=False)


@router.post("/mark-read")
async def mark_read(request: Request, csrf: Short = "", category: Short = "") -> Response:
    who = await signed_in(request)
    if isinstance(who, Response):
        return who
    try:
        auth.check_csrf(request, who, csrf)
    except WriteRefused as exc:
        return html("error.html", who, exc.status, title="Forbidden", message=exc.message,
                    nav="")
    reader = _reader(request)
    await reader.cache.run(lambda: personal.mark_view_read(reader, who, category or None))
    from urllib.parse import quote

    return RedirectResponse(f"/c/{quote(category, safe='')}" if category else "/",
                            status_code=303)


@router.get("/muted", response_class=HTMLResponse)
async def muted(request: Request) -> Response:
    who = await signed_in(request)
    if isinstance(who, Response):
        return who
    reader = _reader(request)
    view = await reader.cache.run(lambda: personal.muted_view(reader, who))
    return html("muted.html", who, view=view, nav="muted")


@router.get("/new", response_class=HTMLResponse)
async def changed(request: Request) -> Response:
    who = await signed_in(request)
    if isinstance(who, Response):
        return who
    reader = _reader(request)
    view = await reader.cache.run(lambda: personal.changed_view(reader, who))
    return html("changed.html", who, view=view, nav="new")
