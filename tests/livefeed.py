"""A loopback feed whose items the test publishes while a worker or fetch runs, with the
seed reports as its article pages."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from html import escape

from sqlalchemy import Engine

from storyline.storage import sources as source_store
from storyline.storage import subscriptions as subscription_store
from tests.feedgen import Item, base_time, rfc822, rss
from tests.helpers import SEEDS
from tests.httpserver import LocalHTTPServer, Request, Response

# Four reports of the Geneva round of Ukraine-Russia talks (one event): A first, B later.
A_SEEDS = [("000_62d237a55083a967.txt", "Witkoff hails significant progress in Geneva talks"),
           ("001_19651799f73e0808.txt", "Geneva talks make meaningful progress, envoy says")]
B_SEEDS = [("003_6fb147435889008f.txt", "'Meaningful progress' made in Ukraine war talks"),
           ("004_c568a9170720648a.txt", "Ukraine and Russia resume peace talks in Geneva")]


def page(title: str, body: str) -> bytes:
    paras = "".join(f"<p>{escape(line)}</p>" for line in body.splitlines() if line.strip())
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}"
            f"</title></head><body><nav><a href='/'>Home</a></nav><article>"
            f"<h1>{escape(title)}</h1>{paras}</article><footer>Loopback Wire</footer>"
            f"</body></html>").encode()


class LiveFeed:
    """A feed whose items can be published while the worker runs."""

    def __init__(self, server: LocalHTTPServer, path: str, title: str) -> None:
        self.server, self.path, self.title = server, path, title
        self.items: list[Item] = []
        self._lock = threading.Lock()
        server.add(path, handler=self._serve)

    def _serve(self, _request: Request) -> Response:
        with self._lock:
            body = rss(list(self.items), title=self.title)
        return Response(200, {"Content-Type": "application/rss+xml"}, body)

    def publish(self, seeds: list[tuple[str, str]], minutes: int) -> list[str]:
        urls, new = [], []
        for i, (name, title) in enumerate(seeds):
            path = f"/a/{name[:3]}.html"
            self.server.add(path, body=page(title, (SEEDS / name).read_text()),
                            headers={"Content-Type": "text/html; charset=utf-8"})
            url = self.server.url(path)
            urls.append(url)
            new.append(Item(link=url, title=title, guid=name, published=rfc822(
                base_time() + timedelta(minutes=minutes + i))))
        with self._lock:  # all at once: a fetch sees none of them or all of them
            self.items.extend(new)
        return urls


def add_feed(engine: Engine, url: str) -> int:
    """Add a feed as the operator does: every user follows it."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        src = source_store.add(conn, url, now=now)[0]
        subscription_store.subscribe_everyone(conn, src.id, now)
        return src.id
