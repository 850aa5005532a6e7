"""The fetcher against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gzip
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from storyline.fetch import DEFAULT_USER_AGENT, FetchConfig, Fetcher, FetchResult

try:
    from tests.fixtures_http import http_server  # noqa: F401 - pytest fixture
    from tests.helpers import BENCH
    from tests.httpserver import LocalHTTPServer, http_date
except ImportError:  # pragma: no cover - tests/ on sys.path instead of the repository root
    from fixtures_http import http_server  # type: ignore[no-redef]  # noqa: F401
    from helpers import BENCH  # type: ignore[no-redef]
    from httpserver import LocalHTTPServer, http_date  # type: ignore[no-redef]

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'


def fetch(url: str, config: FetchConfig | None = None, **kwargs: Any) -> FetchResult:
    async def go() -> FetchResult:
        async with Fetcher(config or FetchConfig(trust_env=False)) as fetcher:
            return await fetcher.fetch(url, **kwargs)

    return asyncio.run(go())


def fetch_many(urls: list[str], config: FetchConfig, **kwargs: Any) -> list[FetchResult]:
    async def go() -> list[FetchResult]:
        async with Fetcher(config) as fetcher:
            return list(await asyncio.gather(*(fetcher.fetch(u, **kwargs) for u in urls)))

    return asyncio.run(go())


def test_200_body_headers_and_user_agent(http_server: LocalHTTPServer) -> None:
    http_server.add(
        "/feed.xml", RSS, headers={"Content-Type": "application/rss+xml", "X-Thing": "1"}
    )
    result = fetch(http_server.url("/feed.xml"))
    assert result.error is None and result.ok
    assert result.status == 200
    assert result.body == RSS
    assert result.content_type == "application/rss+xml"
    assert result.headers["x-thing"] == "1"
    assert result.final_url == result.url == http_server.url("/feed.xml")
    assert not result.not_modified
    assert result.elapsed_s > 0
    (request,) = http_server.requests_to("/feed.xml")
    assert request.headers["user-agent"] == DEFAULT_USER_AGENT
    assert "if-none-match" not in request.headers


def test_etag_round_trip_gives_304(http_server: LocalHTTPServer) -> None:
    http_server.add_conditional("/c.xml", RSS, etag='"v1"')
    first = fetch(http_server.url("/c.xml"))
    assert first.status == 200 and first.body == RSS
    etag = first.headers["etag"]
    assert etag == '"v1"'
    second = fetch(http_server.url("/c.xml"), etag=etag)
    assert second.status == 304
    assert second.not_modified is True
    assert second.body is None and second.error is None
    assert http_server.requests_to("/c.xml")[-1].headers["if-none-match"] == '"v1"'
    stale = fetch(http_server.url("/c.xml"), etag='"v0"')
    assert stale.status == 200 and stale.body == RSS and not stale.not_modified
    assert http_server.hits["/c.xml"] == 3


def test_last_modified_round_trip_gives_304(http_server: LocalHTTPServer) -> None:
    stamp = http_date(1_700_000_000)
    http_server.add_conditional("/lm.xml", RSS, last_modified=stamp)
    first = fetch(http_server.url("/lm.xml"))
    assert first.headers["last-modified"] == stamp
    second = fetch(http_server.url("/lm.xml"), last_modified=first.headers["last-modified"])
    assert second.not_modified and second.status == 304 and second.body is None
    assert http_server.requests_to("/lm.xml")[-1].headers["if-modified-since"] == stamp


@pytest.mark.parametrize(
    ("status", "message"),
    [(404, "HTTP 404 Not Found"), (410, "HTTP 410 Gone"), (500, "HTTP 500 Internal Server Error")],
)
def test_http_errors(http_server: LocalHTTPServer, status: int, message: str) -> None:
    http_server.add("/x", b"nope", status=status)
    result = fetch(http_server.url("/x"))
    assert result.status == status
    assert result.error == message
    assert result.body is None
    assert not result.ok


def test_unknown_path_is_404(http_server: LocalHTTPServer) -> None:
    assert fetch(http_server.url("/missing")).error == "HTTP 404 Not Found"


def test_429_retry_after_seconds(http_server: LocalHTTPServer) -> None:
    http_server.add("/busy", b"slow down", status=429, headers={"Retry-After": "120"})
    result = fetch(http_server.url("/busy"))
    assert result.error == "HTTP 429 Too Many Requests"
    assert result.retry_after_s == 120.0


def test_503_retry_after_http_date(http_server: LocalHTTPServer) -> None:
    http_server.add("/down", status=503, headers={"Retry-After": http_date(time.time() + 600)})
    result = fetch(http_server.url("/down"))
    assert result.error == "HTTP 503 Service Unavailable"
    assert result.retry_after_s is not None
    assert 590 <= result.retry_after_s <= 601


def test_timeout(http_server: LocalHTTPServer) -> None:
    http_server.add("/slow", RSS, delay=5.0)
    started = time.monotonic()
    result = fetch(http_server.url("/slow"), FetchConfig(timeout_s=0.5, trust_env=False))
    assert result.error == "timed out after 0.5s"
    assert result.status is None and result.body is None
    assert time.monotonic() - started < 3.0


def test_redirects_followed(http_server: LocalHTTPServer) -> None:
    http_server.add_redirect("/old", "/mid", status=301)
    http_server.add_redirect("/mid", http_server.url("/new"), status=308)
    http_server.add("/new", RSS)
    result = fetch(http_server.url("/old"))
    assert result.error is None
    assert result.final_url == http_server.url("/new")
    assert result.url == http_server.url("/old")
    assert result.body == RSS


def test_redirect_loop(http_server: LocalHTTPServer) -> None:
    http_server.add_redirect_loop("/a", "/b")
    result = fetch(http_server.url("/a"))
    assert result.error == "too many redirects (redirect loop?)"
    assert http_server.hits["/a"] == 1 and http_server.hits["/b"] == 1


def test_too_many_redirects(http_server: LocalHTTPServer) -> None:
    for i in range(4):
        http_server.add_redirect(f"/r{i}", f"/r{i + 1}")
    http_server.add("/r4", RSS)
    result = fetch(http_server.url("/r0"), FetchConfig(max_redirects=2, trust_env=False))
    assert result.error == "too many redirects (more than 2)"
    assert http_server.hits["/r3"] == 0
    assert fetch(http_server.url("/r0")).body == RSS  # default allows 5


def test_oversized_with_content_length(http_server: LocalHTTPServer) -> None:
    http_server.add("/big", b"x" * 200_000)
    result = fetch(http_server.url("/big"), FetchConfig(max_body_bytes=64 * 1024, trust_env=False))
    assert result.error == "response larger than 64 KiB limit"
    assert result.body is None


def test_oversized_declared_length_uses_default_limit(http_server: LocalHTTPServer) -> None:
    http_server.add("/huge", b"x", headers={"Content-Length": str(11 * 1024 * 1024)})
    result = fetch(http_server.url("/huge"))
    assert result.error == "response larger than 10 MiB limit"


def test_oversized_without_content_length_stops_reading(http_server: LocalHTTPServer) -> None:
    sent = {"chunks": 0}

    def endless() -> Iterator[bytes]:
        for _ in range(100_000):  # 100 MB if nobody stopped
            sent["chunks"] += 1
            yield b"y" * 1024

    http_server.add("/stream", endless(), content_length=False)
    result = fetch(
        http_server.url("/stream"), FetchConfig(max_body_bytes=256 * 1024, trust_env=False)
    )
    assert result.error == "response larger than 256 KiB limit"
    assert "content-length" not in result.headers
    time.sleep(0.2)
    assert sent["chunks"] < 20_000  # the client hung up long before 100 MB


def test_small_body_without_content_length(http_server: LocalHTTPServer) -> None:
    http_server.add("/nolen", [b"<rss ", b'version="2.0"/>'], content_length=False)
    result = fetch(http_server.url("/nolen"))
    assert result.error is None and result.body == b'<rss version="2.0"/>'


@pytest.mark.needs_shared
def test_gzip_content_encoding(http_server: LocalHTTPServer) -> None:
    page = sorted((BENCH / "html").glob("*.html.gz"))[0]
    expected = gzip.decompress(page.read_bytes())
    http_server.add_file("/page.html", page, gzip_encoding=True)
    http_server.add_file("/plain.html", page)
    result = fetch(http_server.url("/page.html"))
    assert result.error is None
    assert result.headers["content-encoding"] == "gzip"
    assert result.body == expected
    assert int(result.headers["content-length"]) == page.stat().st_size < len(expected)
    plain = fetch(http_server.url("/plain.html"))
    assert plain.body == expected and "content-encoding" not in plain.headers
    assert plain.content_type == "text/html; charset=utf-8"


def test_gzip_counts_decompressed_size_against_limit(http_server: LocalHTTPServer) -> None:
    http_server.add("/bomb", gzip.compress(b"z" * 2_000_000), headers={"Content-Encoding": "gzip"})
    result = fetch(
        http_server.url("/bomb"), FetchConfig(max_body_bytes=1024 * 1024, trust_env=False)
    )
    assert result.error == "response larger than 1 MiB limit"


ROBOTS = b"User-agent: *\nDisallow: /nobody/\n\nUser-agent: Storyline\nDisallow: /private/\n"


def test_robots_disallow(http_server: LocalHTTPServer) -> None:
    http_server.add("/robots.txt", ROBOTS, headers={"Content-Type": "text/plain"})
    http_server.add("/private/story", b"secret")
    http_server.add("/public/story", b"hello")
    urls = [
        http_server.url("/private/story"),
        http_server.url("/public/story"),
        http_server.url("/private/story"),
    ]
    results = fetch_many(urls, FetchConfig(trust_env=False), check_robots=True)
    assert [r.error for r in results] == ["blocked by robots.txt", None, "blocked by robots.txt"]
    assert results[1].body == b"hello"
    assert http_server.hits["/private/story"] == 0
    assert http_server.hits["/robots.txt"] == 1  # cached per host
    # robots is only checked when asked, and only when the config respects it
    assert fetch(http_server.url("/private/story")).body == b"secret"
    off = FetchConfig(respect_robots=False, trust_env=False)
    assert fetch(http_server.url("/private/story"), off, check_robots=True).body == b"secret"


@pytest.mark.parametrize("robots_status", [404, 500])
def test_robots_missing_or_broken_allows(http_server: LocalHTTPServer, robots_status: int) -> None:
    http_server.add("/robots.txt", b"oops", status=robots_status)
    http_server.add("/article", b"text")
    result = fetch(http_server.url("/article"), check_robots=True)
    assert result.error is None and result.body == b"text"
    assert http_server.hits["/robots.txt"] == 1


def test_robots_timeout_allows(http_server: LocalHTTPServer) -> None:
    http_server.add("/robots.txt", b"User-agent: *\nDisallow: /\n", delay=5.0)
    http_server.add("/article", b"text")
    config = FetchConfig(timeout_s=0.4, trust_env=False)
    result = fetch(http_server.url("/article"), config, check_robots=True)
    assert result.error is None and result.body == b"text"


def test_per_host_concurrency_cap(http_server: LocalHTTPServer) -> None:
    http_server.add("/slow", b"ok", delay=0.25)
    config = FetchConfig(per_host_concurrency=2, trust_env=False)
    started = time.monotonic()
    results = fetch_many([http_server.url("/slow")] * 8, config)
    took = time.monotonic() - started
    assert [r.body for r in results] == [b"ok"] * 8
    assert http_server.hits["/slow"] == 8
    assert http_server.max_in_flight["/slow"] == 2
    assert took >= 4 * 0.25 - 0.05  # 8 requests, 2 at a time


def test_global_concurrency_cap(http_server: LocalHTTPServer) -> None:
    http_server.add("/slow", b"ok", delay=0.2)
    config = FetchConfig(max_concurrency=3, per_host_concurrency=10, trust_env=False)
    results = fetch_many([http_server.url("/slow")] * 9, config)
    assert all(r.ok for r in results)
    assert http_server.max_in_flight["*"] == 3


def test_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = fetch(f"http://127.0.0.1:{port}/feed")
    assert result.error == "connection refused"
    assert result.status is None


def test_private_address_refused_when_not_allowed(http_server: LocalHTTPServer) -> None:
    http_server.add("/feed", RSS)
    config = FetchConfig(allow_private=False, trust_env=False)
    result = fetch(http_server.url("/feed"), config)
    assert result.error == "refusing to fetch 127.0.0.1: not a public address"
    assert http_server.hits["/feed"] == 0


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/feed", "unsupported URL scheme: ftp"),
        ("http:///nohost", "invalid URL: http:///nohost"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    assert fetch(url).error == message


def test_fetch_outside_context_manager_is_a_programming_error() -> None:
    async def go() -> None:
        await Fetcher().fetch("http://127.0.0.1:1/")

    with pytest.raises(RuntimeError, match="async with"):
        asyncio.run(go())
