"""Request-level safety: security headers on every response, a request body size limit
(413), the admin token check (constant time) and a same-origin check for write actions."""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' https: http: data:; font-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]


class _TooLarge(Exception):
    pass


class SecurityMiddleware:
    """Pure ASGI (cheap per request): adds the security headers and refuses bodies over
    ``max_body`` bytes, by Content-Length up front or while a chunked body streams in."""

    def __init__(self, app: ASGIApp, *, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        if head:  # answered as GET, without the body
            scope = {**scope, "method": "GET"}
        state = {"started": False, "overflow": False, "refused": False}

        async def send_secure(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                message = {**message, "headers": headers}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        async def refuse() -> None:
            state["refused"] = True
            body = (f"Request body too large: the limit is {self.max_body} bytes "
                    "(setting max_request_bytes).\n").encode()
            await send_secure({"type": "http.response.start", "status": 413, "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ]})
            await send_secure({"type": "http.response.body", "body": body})

        async def app_send(message: Message) -> None:
            if state["overflow"]:  # the app answering a body it could not read: 413
                if message["type"] == "http.response.start" and not state["refused"]:
                    await refuse()
                return
            if message["type"] == "http.response.start":
                state["started"] = True
            await send_secure(message)

        length = Headers(scope=scope).get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await refuse()
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    state["overflow"] = True
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited_receive, app_send)
        except _TooLarge:
            if state["started"] and not state["refused"]:
                raise
            if not state["refused"]:
                await refuse()


class WriteRefused(Exception):
    """A write action was refused; ``status`` and a message saying why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


NO_TOKEN_MESSAGE = ("write actions are disabled because no admin token is set: set "
                    "STORYLINE_ADMIN_TOKEN (or admin_token in the config file) and restart "
                    "`storyline serve`")


def bearer_token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def check_token(expected: str, given: str | None) -> None:
    """Raise WriteRefused unless ``given`` equals the configured admin token."""
    if not expected:
        raise WriteRefused(403, NO_TOKEN_MESSAGE)
    if not given:
        raise WriteRefused(401, "the admin token is required for this action")
    if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise WriteRefused(403, "wrong admin token")


def check_same_origin(request: Request, *, allow_null: bool = False) -> None:
    """Cross-site form posts are refused: the Origin (or, without it, the Referer) must
    name this host when the browser sends one. ``allow_null``: an opaque ``Origin: null``
    passes (browsers send it for same-site posts under ``Referrer-Policy: no-referrer``;
    for forms that also carry a CSRF token, which then decides)."""
    host = (request.headers.get("host") or "").lower()
    origin = request.headers.get("origin")
    if origin is not None:
        if origin == "null" and allow_null:
            return
        if origin == "null" or urlsplit(origin).netloc.lower() != host:
            raise WriteRefused(403, "cross-site request refused (Origin does not match)")
        return
    referer = request.headers.get("referer")
    if referer and urlsplit(referer).netloc.lower() != host:
        raise WriteRefused(403, "cross-site request refused (Referer does not match)")
