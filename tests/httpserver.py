"""A real HTTP server on 127.0.0.1 for tests, with a programmable route table.

    server = LocalHTTPServer().start()
    server.add("/feed.xml", body=b"<rss .../>", headers={"Content-Type": "application/rss+xml"})
    server.add_conditional("/c.xml", body=b"...", etag='"v1"', last_modified="...")
    server.add_redirect_loop("/a", "/b")
    server.add_file("/page", "/path/to/page.html.gz", gzip_encoding=True)
    url = server.url("/feed.xml")
    ... server.hits["/feed.xml"], server.max_in_flight["/slow"], server.requests ...
    server.stop()

Routes match the path without the query string. Unknown paths get 404.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["LocalHTTPServer", "Request", "Response", "Route"]


@dataclass(slots=True)
class Request:
    method: str
    path: str  # without query
    query: str
    headers: dict[str, str]  # lowercased names
    body: bytes = b""  # the request body (POST)


@dataclass(slots=True)
class Response:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""
    content_length: bool = True  # False: no Content-Length, body ends at connection close


Handler = Callable[[Request], Response]


@dataclass(slots=True)
class Route:
    body: bytes | Iterable[bytes] = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    handler: Handler | None = None  # overrides body/status/headers
    content_length: bool = True


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_POST(self) -> None:  # noqa: N802 - BaseHTTPRequestHandler naming
        length = int(self.headers.get("Content-Length") or 0)
        self._serve(head=False, body=self.rfile.read(length) if length else b"")

    def _serve(self, *, head: bool, body: bytes = b"") -> None:
        owner = self.server.owner
        parts = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=parts.path,
            query=parts.query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        owner._enter(request)
        try:
            route = owner.routes.get(request.path)
            if route is None:
                response = Response(404, {"Content-Type": "text/plain"}, b"not found")
            else:
                if route.delay and owner._stopping.wait(route.delay):
                    return
                if route.handler is not None:
                    response = route.handler(request)
                else:
                    response = Response(
                        route.status, dict(route.headers), route.body, route.content_length
                    )
            self._send(response, head=head)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeouts, size caps): expected in tests
        finally:
            owner._leave(request)

    def _send(self, response: Response, *, head: bool) -> None:
        body = response.body
        chunks = [body] if isinstance(body, bytes) else body
        self.send_response(response.status)
        names = {k.lower() for k in response.headers}
        for name, value in response.headers.items():
            self.send_header(name, value)
        if "content-type" not in names and response.status != 304:
            self.send_header("Content-Type", "application/octet-stream")
        if response.status in (204, 304) or 100 <= response.status < 200:
            self.end_headers()
            return
        if response.content_length and isinstance(body, bytes):
            if "content-length" not in names:
                self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if head:
            return
        for chunk in chunks:
            self.wfile.write(chunk)
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: LocalHTTPServer

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # disconnects mid-response are part of the tests


class LocalHTTPServer:
    """A threaded HTTP/1.1 server bound to 127.0.0.1 on a free port."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.requests: list[Request] = []
        self.in_flight: Counter[str] = Counter()
        self.max_in_flight: Counter[str] = Counter()  # per path, plus "*" for the whole server
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # lifecycle --------------------------------------------------------------

    def start(self) -> LocalHTTPServer:
        server = _Server(("127.0.0.1", 0), _RequestHandler)
        server.owner = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes delayed handlers
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> LocalHTTPServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    # routes -----------------------------------------------------------------

    def add(
        self,
        path: str,
        body: bytes | str | Iterable[bytes] = b"",
        status: int = 200,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        handler: Handler | None = None,
        content_length: bool = True,
    ) -> Route:
        """Serve `body` at `path` (query strings are ignored when matching)."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        route = Route(body, status, dict(headers or {}), delay, handler, content_length)
        self.routes[path] = route
        return route

    def add_redirect(self, path: str, to: str, status: int = 302) -> Route:
        return self.add(path, status=status, headers={"Location": to})

    def add_redirect_loop(self, *paths: str, status: int = 302) -> None:
        """/a → /b → … → /a."""
        for here, there in zip(paths, paths[1:] + paths[:1], strict=True):
            self.add_redirect(here, there, status)

    def add_conditional(
        self,
        path: str,
        body: bytes | str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Route:
        """Serve 304 when If-None-Match matches `etag` or If-Modified-Since ≥ `last_modified`."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        extra = dict(headers or {})
        if etag:
            extra["ETag"] = etag
        if last_modified:
            extra["Last-Modified"] = last_modified

        def handler(request: Request) -> Response:
            if _not_modified(request, etag, last_modified):
                return Response(304, {k: v for k, v in extra.items() if k != "Content-Type"})
            return Response(200, extra, data)

        return self.add(path, handler=handler)

    def add_file(
        self,
        path: str,
        file: str | Path,
        *,
        content_type: str | None = None,
        gzip_encoding: bool = False,
    ) -> Route:
        """Serve a file; a ``.gz`` file is served decompressed, or as-is with
        ``Content-Encoding: gzip`` when `gzip_encoding` is true."""
        file = Path(file)
        raw = file.read_bytes()
        name = file.name
        if name.endswith(".gz"):
            name = name[:-3]
            data = raw if gzip_encoding else gzip.decompress(raw)
        else:
            data = gzip.compress(raw) if gzip_encoding else raw
        headers = {"Content-Type": content_type or _guess_type(name)}
        if gzip_encoding:
            headers["Content-Encoding"] = "gzip"
        return self.add(path, body=data, headers=headers)

    # bookkeeping --------------------------------------------------------------

    def _enter(self, request: Request) -> None:
        with self._lock:
            self.hits[request.path] += 1
            self.requests.append(request)
            for key in (request.path, "*"):
                self.in_flight[key] += 1
                self.max_in_flight[key] = max(self.max_in_flight[key], self.in_flight[key])

    def _leave(self, request: Request) -> None:
        with self._lock:
            for key in (request.path, "*"):
                self.in_flight[key] -= 1

    def requests_to(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]


def _not_modified(request: Request, etag: str | None, last_modified: str | None) -> bool:
    inm = request.headers.get("if-none-match")
    if inm is not None and etag is not None:
        tags = [t.strip() for t in inm.split(",")]
        return etag in tags or "*" in tags or etag.removeprefix("W/") in tags
    ims = request.headers.get("if-modified-since")
    if ims and last_modified:
        try:
            return parsedate_to_datetime(ims) >= parsedate_to_datetime(last_modified)
        except (TypeError, ValueError):
            return False
    return False


def _guess_type(name: str) -> str:
    lowered = name.lower()
    for suffix, kind in (
        (".html", "text/html; charset=utf-8"),
        (".htm", "text/html; charset=utf-8"),
        (".rss", "application/rss+xml"),
        (".atom", "application/atom+xml"),
        (".xml", "application/xml"),
        (".rdf", "application/rdf+xml"),
        (".json", "application/feed+json"),
        (".txt", "text/plain; charset=utf-8"),
    ):
        if lowered.endswith(suffix):
            return kind
    return "application/octet-stream"


def http_date(timestamp: float | None = None) -> str:
    """An HTTP-date (RFC 9110) for `timestamp` (default: now)."""
    from datetime import UTC, datetime

    when = datetime.fromtimestamp(time.time() if timestamp is None else timestamp, UTC)
    return format_datetime(when, usegmt=True)
