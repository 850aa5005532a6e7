"""Nothing leaves the machine uninvited: the real CLI, run as subprocesses with every proxy
variable pointed at a loopback recorder, tries no connection anywhere.

The recorder is a tiny TCP server that writes down each request line it gets (``CONNECT
mobile.events.data.microsoft.com:443 HTTP/1.1`` is what ONNX Runtime's telemetry sent
before ``storyline.nlp.offline``) and answers 502. The test's own servers are on
127.0.0.1, which NO_PROXY exempts, so a connection the recorder sees went somewhere else.
The library switches (HF_HUB_OFFLINE, ORT_DISABLE_TELEMETRY, …) are removed from the
children's environment: the package must set them itself.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from storyline.nlp.offline import OFFLINE_ENV
from tests.feedgen import Item, rss
from tests.helpers import SEEDS
from tests.httpserver import LocalHTTPServer

EXE = Path(sys.executable).parent / "storyline"
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
              "all_proxy")
PAGE_WORDS = ("The regional council approved a new flood defence plan for the river "
              "valley on Monday after three weeks of debate among members and residents. ")


class Recorder:
    """A loopback 'proxy' that records the first line of every connection, answers 502."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def start(self) -> Recorder:
        self._thread.start()
        return self

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            data = b""
            try:
                while b"\n" not in data and len(data) < 65536:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except OSError:
                pass
            with self._lock:
                self.lines.append(data.split(b"\r\n", 1)[0].decode("latin-1") or "<nothing>")
            with contextlib.suppress(OSError):
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n"
                             b"Connection: close\r\n\r\n")

    def stop(self) -> None:
        self.sock.close()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder().start()
    try:
        yield rec
    finally:
        rec.stop()


def test_recorder_sees_a_proxied_request(recorder: Recorder) -> None:
    """The checker itself: a request sent through the proxy variables is recorded."""
    with httpx.Client(proxy=recorder.url) as client:
        reply = client.get("http://feeds.example.org/rss.xml")
    assert reply.status_code == 502
    assert recorder.lines == ["GET http://feeds.example.org/rss.xml HTTP/1.1"]


def _child_env(recorder: Recorder, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("STORYLINE_") and k not in OFFLINE_ENV
           and k not in {"NO_PROXY", "no_proxy"}}
    env.update({var: recorder.url for var in PROXY_VARS})
    env.update({
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
        "STORYLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'storyline.db'}",
        "STORYLINE_DATA_DIR": str(tmp_path / "data"), "STORYLINE_CONFIG": "",
        "STORYLINE_ALLOW_PRIVATE_FEEDS": "true", "STORYLINE_FETCH_TIMEOUT": "5",
        "STORYLINE_CLUSTER_AFTER_FETCH": "false",
    })
    return env


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(EXE), *args], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, f"storyline {' '.join(args)}: {done.stdout}{done.stderr}"
    assert "Traceback" not in done.stderr
    return done.stdout


def _serve(env: dict[str, str]) -> list[int]:
    """Start `storyline serve`, read a page and the API, stop it; the status codes."""
    proc = subprocess.Popen([str(EXE), "serve", "--port", "0", "--workers", "1"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        found = re.search(r"serving at (http://\S+?)(?: |;)", line)
        assert found, line
        base = found.group(1).rstrip("/")
        with httpx.Client(trust_env=False, timeout=30) as client:
            codes = [client.get(f"{base}{path}").status_code
                     for path in ("/", "/api/top", "/api/stories/1", "/stories/1",
                                      "/feeds/top.atom")]
        time.sleep(1)
        return codes
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.slow
@pytest.mark.needs_shared
def test_no_connection_leaves_the_machine(recorder: Recorder, tmp_path: Path) -> None:
    env = _child_env(recorder, tmp_path)
    out = _run(env, "import", str(SEEDS))
    assert re.search(r"Imported 5 files: 4 new articles", out), out
    assert "Clustered 4 articles" in _run(env, "cluster")
    assert re.search(r"Wrote [1-9]\d* stor", _run(env, "write", "--all"))

    # The worker fetches a feed (and its pages) from the loopback server, then clusters
    # and writes what it found: the encoder is loaded again in this process.
    with LocalHTTPServer() as site:
        pages = []
        for n in (1, 2):
            body = " ".join([PAGE_WORDS] * 6)
            site.add(f"/p/{n}", f"<html><head><title>Flood plan {n}</title></head><body>"
                                f"<article><h1>Flood plan {n}</h1><p>{body}</p></article>"
                                "</body></html>", headers={"Content-Type": "text/html"})
            pages.append(Item(link=site.url(f"/p/{n}"), title=f"Flood plan {n}",
                              guid=f"flood-{n}"))
        site.add("/feed.xml", rss(pages), headers={"Content-Type": "application/rss+xml"})
        _run(env, "feeds", "add", site.url("/feed.xml"))
        line = _run(env, "worker", "--once")
        assert "2 new articles" in line, line
    assert _serve(env) == [200, 200, 200, 200, 200]
    assert recorder.lines == [], "connections through the proxy: " + ", ".join(recorder.lines)
