"""pytest fixture for the loopback HTTP server (import it from conftest.py).

from tests.fixtures_http import http_server  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

try:
    from tests.httpserver import LocalHTTPServer
except ImportError:  # tests/ on sys.path but not the repository root (rootdir-less pytest)
    from httpserver import LocalHTTPServer  # type: ignore[no-redef]

__all__ = ["http_server"]


@pytest.fixture
def http_server() -> Iterator[LocalHTTPServer]:
    """A fresh `LocalHTTPServer` on 127.0.0.1 for one test; stopped afterwards."""
    server = LocalHTTPServer().start()
    try:
        yield server
    finally:
        server.stop()
