"""Who is asking: a signed-in user (session cookie), a user's API token (``Authorization:
Bearer``), the admin token, or nobody. Sessions are cookies (HttpOnly, SameSite=Lax,
Secure when the request came over HTTPS or ``public_url`` is https) whose value is
stored only as a hash; every signed-in form carries the session's CSRF token and passes
the same-origin check. The sign-in form itself, before any session, carries a
double-submit token (a cookie and a form field that must match)."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request
from markupsafe import Markup, escape
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from storyline.accounts import users as accounts
from storyline.accounts.users import User
from storyline.storage.prepared import drop_held, held_connection
from storyline.web.security import WriteRefused, bearer_token, check_same_origin

SESSION_COOKIE = "storyline_session"
PRESIGN_COOKIE = "storyline_signin"
#: What an anonymous page shows where a signed-in one shows the account menu (pages are
#: cached as bytes: a signed-in view swaps this for its own menu).
ANON_ACCOUNT = '<a class="account-link" href="/signin">Sign in</a>'


@dataclass(slots=True, frozen=True)
class Viewer:
    """The one asking. ``user`` None: anonymous (or the admin token, ``admin``)."""

    user: User | None = None
    csrf: str | None = None  # the session's CSRF token (cookie sign-ins only)
    via: str = "anonymous"  # anonymous | session | token | admin
    #: The user's state version (``users.state_version``) read with the session: what
    #: the signed-in page cache keys on; None when not known (API tokens).
    state: int | None = None

    @property
    def signed_in(self) -> bool:
        return self.user is not None

    @property
    def name(self) -> str:
        return self.user.name if self.user else ""


ANONYMOUS = Viewer()
ADMIN = Viewer(via="admin")

def _loop_lookup(engine: Engine, cookie: str) -> accounts.Session | None:
    """SQLite only: the session looked up on the event loop itself, on a connection the
    storage layer keeps for this thread (``storage.prepared.held_connection``). An
    indexed read of a local file costs less than the trip to the threadpool (measured:
    that trip was most of a signed-in page view's extra CPU), and never waits on a
    writer (WAL). PostgreSQL lookups go to the threadpool."""
    conn = held_connection(engine)
    try:
        return accounts.session_on(conn, cookie)
    except Exception:
        drop_held(engine)
        raise


async def _session_viewer(engine: Engine, cookie: str) -> Viewer | None:
    """The session's viewer: one indexed lookup per request, never cached, so that
    signing out, a password change or a removed user takes effect at once on every
    server process."""
    if engine.dialect.name == "sqlite":
        session = _loop_lookup(engine, cookie)
    else:
        session = await run_in_threadpool(accounts.session_of, engine, cookie)
    if session is None:
        return None
    return Viewer(session.user, session.csrf, "session", session.state)


def session_to_find(request: Request) -> str | None:
    """The session cookie of a request whose viewer is not looked up yet and that has
    no ``Authorization`` header, for a view that looks the session up on its own
    connection (``web.personal.story_view``); else None (``viewer`` finds who asks)."""
    if getattr(request.state, "viewer", None) is not None or bearer_token(request):
        return None
    return request.cookies.get(SESSION_COOKIE) or None


def secure_request(request: Request) -> bool:
    public = request.app.state.settings.public_url.strip().lower()
    return request.url.scheme == "https" or public.startswith("https://")


async def viewer(request: Request) -> Viewer:
    """The viewer of this request (looked up once per request)."""
    found = getattr(request.state, "viewer", None)
    if found is not None:
        return found  # type: ignore[no-any-return]
    found = ANONYMOUS
    engine = request.app.state.engine
    cookie = request.cookies.get(SESSION_COOKIE)
    token = bearer_token(request)
    if cookie:
        found = await _session_viewer(engine, cookie) or ANONYMOUS
    if found is ANONYMOUS and token:
        admin = request.app.state.settings.admin_token
        if admin and hmac.compare_digest(token.encode(), admin.encode()):
            found = ADMIN
        else:
            user = await run_in_threadpool(accounts.token_owner, engine, token)
            if user is not None:
                found = Viewer(user, None, "token")
    request.state.viewer = found
    return found


async def reading_allowed(request: Request) -> None:
    """Router dependency: with anonymous_reading off, pages and the API need an account
    (pages send the browser to the sign-in page, the API answers 401)."""
    if request.app.state.settings.anonymous_reading or request.url.path == "/api/health":
        return
    who = await viewer(request)
    if who.signed_in or who.via == "admin":
        return
    if request.url.path.startswith("/api/"):
        raise HTTPException(401, "sign in or give an API token (Authorization: Bearer)",
                            headers={"WWW-Authenticate": "Bearer"})
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise HTTPException(303, "Sign in to read.",
                        headers={"Location": f"/signin?next={quote(target, safe='')}"})


def check_csrf(request: Request, who: Viewer, given: str | None) -> None:
    """A signed-in form post: same origin, and the session's CSRF token."""
    check_same_origin(request, allow_null=True)
    if who.via == "session" and (not given or not who.csrf or not hmac.compare_digest(
            given.encode(), who.csrf.encode())):
        raise WriteRefused(403, "this form has expired or did not come from this site "
                                    "(CSRF token missing or wrong): reload the page and "
                                    "try again")


def require_user(who: Viewer) -> User:
    if who.user is None:
        raise WriteRefused(401, "sign in first")
    return who.user


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def set_session_cookie(response: Response, request: Request, value: str, days: int) -> None:
    response.set_cookie(SESSION_COOKIE, value, max_age=days * 86400, path="/", httponly=True,
                        samesite="lax", secure=secure_request(request))


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=secure_request(request))


def presign_token(request: Request) -> str:
    """The double-submit token of the sign-in form (kept when the browser has one)."""
    current = request.cookies.get(PRESIGN_COOKIE, "")
    return current if 20 <= len(current) <= 100 else secrets.token_urlsafe(24)


def set_presign_cookie(response: Response, request: Request, value: str) -> None:
    response.set_cookie(PRESIGN_COOKIE, value, max_age=3600, path="/signin", httponly=True,
                        samesite="strict", secure=secure_request(request))


def check_presign(request: Request, given: str | None) -> None:
    check_same_origin(request, allow_null=True)
    cookie = request.cookies.get(PRESIGN_COOKIE, "")
    if not given or not cookie or not hmac.compare_digest(given.encode(), cookie.encode()):
        raise WriteRefused(403, "the sign-in form has expired (CSRF token missing or "
                                "wrong): reload the page and try again")


def account_menu(who: Viewer) -> str:
    """The header's account part for a signed-in viewer."""
    if who.user is None:
        return ANON_ACCOUNT
    csrf = escape(who.csrf or "")
    return (f'<a class="account-link" href="/account">{escape(who.user.name)}</a>'
            f'<form class="signout-form" method="post" action="/signout">'
            f'<input type="hidden" name="csrf" value="{csrf}">'
            f'<button type="submit">Sign out</button></form>')


def personalize(body: bytes, who: Viewer) -> bytes:
    """A cached anonymous page's bytes with the viewer's account menu."""
    if who.user is None:
        return body
    return body.replace(ANON_ACCOUNT.encode(), account_menu(who).encode(), 1)


def template_context(who: Viewer) -> dict[str, Any]:
    return {"viewer": who, "account_menu": Markup(account_menu(who))}
