"""A polite asynchronous HTTP fetcher (httpx).

Politeness: a clear User-Agent, conditional GET (ETag / Last-Modified), a global and
a per-host concurrency cap, robots.txt on request, a body size cap, and
`Retry-After` surfaced to the scheduler. `Fetcher.fetch` never raises for network or
HTTP problems: they come back as `FetchResult.error`, one line for the user.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from types import TracebackType
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from storyline.fetch.urls import is_public_address
from storyline.text.dates import HTTP_LAYOUTS, parse_datetime

__all__ = ["DEFAULT_USER_AGENT", "FetchConfig", "FetchResult", "Fetcher", "parse_retry_after"]

DEFAULT_USER_AGENT = "Storyline/0.1 (self-hosted news reader; +https://storyline.invalid/bot)"
ROBOTS_AGENT = "Storyline"
_REDIRECTS = {301, 302, 303, 307, 308}
_ROBOTS_MAX_BYTES = 512 * 1024
_ROBOTS_RETRY_S = 300.0  # an unreachable robots.txt is retried after this long


@dataclass(slots=True)
class FetchConfig:
    user_agent: str = DEFAULT_USER_AGENT
    timeout_s: float = 20.0  # whole request, per hop, including the body
    connect_timeout_s: float = 10.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    max_concurrency: int = 16
    per_host_concurrency: int = 2
    respect_robots: bool = True
    allow_private: bool = True  # False: refuse hosts resolving to loopback/private addresses
    accept: str = (
        "application/rss+xml, application/atom+xml, application/feed+json, "
        "application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5"
    )
    trust_env: bool = True  # honour HTTP(S)_PROXY / NO_PROXY / SSL_CERT_FILE

    def __post_init__(self) -> None:
        # A zero cap would never let a request start (the fetch would hang): refuse it here.
        # Written so that NaN fails too.
        for name in ("timeout_s", "connect_timeout_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"FetchConfig.{name} must be greater than 0, "
                                 f"got {getattr(self, name)!r}")
        for name, least in (("max_body_bytes", 1), ("max_redirects", 0),
                            ("max_concurrency", 1), ("per_host_concurrency", 1)):
            if not getattr(self, name) >= least:
                raise ValueError(f"FetchConfig.{name} must be at least {least}, "
                                 f"got {getattr(self, name)!r}")


@dataclass(slots=True)
class FetchResult:
    url: str  # as requested
    final_url: str  # after redirects
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # lowercased names
    body: bytes | None = None  # decompressed; None on error or 304
    not_modified: bool = False
    error: str | None = None  # one line, None on success (2xx) and 304
    retry_after_s: float | None = None
    elapsed_s: float = 0.0
    content_type: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class _FetchError(Exception):
    """Internal: abort a fetch with a one-line message."""


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    when = parse_datetime(value, HTTP_LAYOUTS)
    if when is None:
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _format_size(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:g} {unit}"
    return f"{n} bytes"


def _http_error(status: int, reason: str) -> str:
    if not reason:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
    return f"HTTP {status} {reason}".rstrip()


def _host_key(url: str) -> str:
    parts = urlsplit(url)
    return f"{(parts.hostname or '').lower()}:{parts.port or ''}"


def _causes(exc: BaseException) -> list[BaseException]:
    """`exc` and the exceptions it was raised from (httpx wraps anyio wraps OSError)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _network_error(exc: Exception, config: FetchConfig, url: str) -> str:
    host = urlsplit(url).hostname or url
    if isinstance(exc, httpx.ConnectTimeout):
        return f"connection timed out after {config.connect_timeout_s:g}s"
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return f"timed out after {config.timeout_s:g}s"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return f"unsupported URL scheme: {url.split(':', 1)[0]}"
    if isinstance(exc, httpx.InvalidURL | ValueError):
        return f"invalid URL: {url}"
    text = " ".join(str(exc).split()) or type(exc).__name__
    lowered = " ".join(str(e) for e in _causes(exc)).lower()
    if isinstance(exc, httpx.ConnectError):
        if any(isinstance(e, ConnectionRefusedError) for e in _causes(exc)) or "refused" in lowered:
            return "connection refused"
        if "name or service not known" in lowered or "nodename nor servname" in lowered:
            return f"could not resolve host {host}"
        if "temporary failure in name resolution" in lowered or "getaddrinfo" in lowered:
            return f"could not resolve host {host}"
        if "certificate" in lowered or "ssl" in lowered:
            return f"TLS error: {text}"
        root = " ".join(str(_causes(exc)[-1]).split()) or text
        return f"could not connect: {root}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"server broke the connection: {text}"
    return f"network error: {text}"


class Fetcher:
    """Fetch URLs politely. Use as ``async with Fetcher(config) as fetcher: ...``."""

    def __init__(
        self,
        config: FetchConfig | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config or FetchConfig()
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._global = asyncio.Semaphore(self.config.max_concurrency)
        self._per_host: dict[str, asyncio.Semaphore] = {}
        self._robots: dict[str, tuple[RobotFileParser | None, float]] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}

    async def __aenter__(self) -> Fetcher:
        cfg = self.config
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(cfg.timeout_s, connect=cfg.connect_timeout_s),
            headers={"User-Agent": cfg.user_agent, "Accept": cfg.accept},
            limits=httpx.Limits(
                max_connections=cfg.max_concurrency,
                max_keepalive_connections=cfg.max_concurrency,
            ),
            trust_env=cfg.trust_env,
            transport=self._transport,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        check_robots: bool = False,
    ) -> FetchResult:
        """GET `url` following redirects. Never raises for network or HTTP errors.

        `check_robots` asks for a robots.txt check (done only when the config's
        `respect_robots` is on); use it for article pages, not for feeds the user added.
        """
        if self._client is None:
            raise RuntimeError("Fetcher must be used as 'async with Fetcher(...) as f'")
        started = time.monotonic()
        result = FetchResult(url=url, final_url=url)
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            if (
                check_robots
                and self.config.respect_robots
                and not await self.allowed_by_robots(url)
            ):
                raise _FetchError("blocked by robots.txt")
            await self._get(url, headers, result, self.config.max_body_bytes)
        except _FetchError as exc:
            result.error = str(exc)
            result.body = None
        except (httpx.HTTPError, httpx.InvalidURL, TimeoutError, OSError, ValueError) as exc:
            result.error = _network_error(exc, self.config, result.final_url)
            result.body = None
        result.elapsed_s = time.monotonic() - started
        return result

    async def _get(
        self, url: str, headers: dict[str, str], result: FetchResult, max_bytes: int
    ) -> None:
        """Follow redirects from `url`, filling `result`; raise on failure."""
        assert self._client is not None
        visited = {url}
        current = url
        for _hop in range(self.config.max_redirects + 1):
            result.final_url = current
            parts = urlsplit(current)
            if parts.scheme not in ("http", "https"):
                raise _FetchError(f"unsupported URL scheme: {parts.scheme or '(none)'}")
            if not parts.hostname:
                raise _FetchError(f"invalid URL: {current}")
            if not self.config.allow_private and not await asyncio.to_thread(
                is_public_address, parts.hostname
            ):
                raise _FetchError(f"refusing to fetch {parts.hostname}: not a public address")
            location = await self._request(current, headers, result, max_bytes)
            if location is None:
                return
            target = urljoin(current, location)
            if target in visited:
                raise _FetchError("too many redirects (redirect loop?)")
            visited.add(target)
            current = target
        raise _FetchError(f"too many redirects (more than {self.config.max_redirects})")

    async def _request(
        self, url: str, headers: dict[str, str], result: FetchResult, max_bytes: int
    ) -> str | None:
        """One GET. Returns the redirect Location, or None when `result` is final."""
        assert self._client is not None
        host = _host_key(url)
        host_sem = self._per_host.get(host)
        if host_sem is None:
            host_sem = self._per_host[host] = asyncio.Semaphore(self.config.per_host_concurrency)
        # Host slot first: waiting for a busy host must not hold a global slot.
        async with (
            host_sem,
            self._global,
            asyncio.timeout(self.config.timeout_s),
            self._client.stream("GET", url, headers=headers) as response,
        ):
            result.status = response.status_code
            result.headers = {k.lower(): v for k, v in response.headers.items()}
            result.content_type = response.headers.get("content-type")
            result.retry_after_s = parse_retry_after(response.headers.get("retry-after"))
            status = response.status_code
            if status in _REDIRECTS and response.headers.get("location"):
                return response.headers["location"]
            if status == 304:
                result.not_modified = True
                return None
            if status >= 400 or status < 200:
                raise _FetchError(_http_error(status, response.reason_phrase))
            if status in _REDIRECTS:
                raise _FetchError(f"HTTP {status} redirect without a Location header")
            length = response.headers.get("content-length", "")
            limit_msg = f"response larger than {_format_size(max_bytes)} limit"
            if length.isdigit() and int(length) > max_bytes:
                raise _FetchError(limit_msg)
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise _FetchError(limit_msg)
                chunks.append(chunk)
            result.body = b"".join(chunks)
            return None

    # robots.txt -------------------------------------------------------------

    async def allowed_by_robots(self, url: str) -> bool:
        """Whether robots.txt of `url`'s host lets our agent fetch it.

        Fetched once per host per Fetcher. A missing robots.txt (4xx) allows all; a
        server error or timeout allows all too, and is retried after a few minutes
        instead of being cached for the Fetcher's lifetime.
        """
        parts = urlsplit(url)
        if not parts.hostname:
            return True
        origin = f"{parts.scheme}://{parts.netloc}"
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            cached = self._robots.get(origin)
            if cached is None or cached[1] < time.monotonic():
                cached = await self._load_robots(origin)
                self._robots[origin] = cached
        parser = cached[0]
        return True if parser is None else parser.can_fetch(ROBOTS_AGENT, url)

    async def _load_robots(self, origin: str) -> tuple[RobotFileParser | None, float]:
        robots_url = origin + "/robots.txt"
        result = FetchResult(url=robots_url, final_url=robots_url)
        forever = float("inf")
        try:
            await self._get(
                robots_url, {"Accept": "text/plain, */*;q=0.5"}, result, _ROBOTS_MAX_BYTES
            )
        except _FetchError:
            status = result.status or 0
            if 400 <= status < 500:
                return None, forever  # no robots.txt: everything allowed
            return None, time.monotonic() + _ROBOTS_RETRY_S
        except (httpx.HTTPError, httpx.InvalidURL, TimeoutError, OSError, ValueError):
            return None, time.monotonic() + _ROBOTS_RETRY_S
        parser = RobotFileParser(robots_url)
        text = (result.body or b"").decode("utf-8", errors="replace")
        parser.parse(text.splitlines())
        parser.modified()  # can_fetch() refuses everything until "last checked" is set
        return parser, forever
