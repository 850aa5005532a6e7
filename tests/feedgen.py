"""Builders for fixture feeds served by the loopback server in tests and benchmarks."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from tests.helpers import BENCH


@dataclass
class Item:
    link: str | None
    title: str | None = None
    guid: str | None = None
    published: str | None = None  # RFC 822 string as written in the feed
    content: str | None = None  # HTML for content:encoded


def rss(items: list[Item], *, title: str = "Fixture News", ttl: int | None = None,
        encoding: str = "utf-8", declare: bool = True) -> bytes:
    parts = [f'<?xml version="1.0" encoding="{encoding}"?>' if declare else "",
             '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
             f"<channel><title>{escape(title)}</title><link>http://127.0.0.1/</link>",
             "<description>fixture</description>"]
    if ttl:
        parts.append(f"<ttl>{ttl}</ttl>")
    for it in items:
        parts.append("<item>")
        if it.title is not None:
            parts.append(f"<title>{escape(it.title)}</title>")
        if it.link is not None:
            parts.append(f"<link>{escape(it.link)}</link>")
        if it.guid is not None:
            parts.append(f'<guid isPermaLink="false">{escape(it.guid)}</guid>')
        if it.published is not None:
            parts.append(f"<pubDate>{escape(it.published)}</pubDate>")
        if it.content is not None:
            parts.append(f"<content:encoded><![CDATA[{it.content}]]></content:encoded>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode(encoding)


def rfc822(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC), usegmt=True)


def bench_pages(n: int, min_words: int = 250) -> list[tuple[str, bytes, str]]:
    """(id, html bytes, true text) for n benchmark pages with substantial text."""
    truth = json.loads((BENCH / "ground-truth.json").read_text())
    out = []
    for key in sorted(truth):
        body = truth[key]["articleBody"]
        if len(body.split()) < min_words:
            continue
        html = gzip.decompress((BENCH / "html" / f"{key}.html.gz").read_bytes())
        out.append((key, html, body))
        if len(out) == n:
            break
    return out


def serve_pages(server, pages: list[tuple[str, bytes, str]], prefix: str = "/p/") -> list[str]:  # type: ignore[no-untyped-def]
    urls = []
    for key, html, _ in pages:
        path = f"{prefix}{key[:12]}.html"
        server.add(path, body=html, headers={"Content-Type": "text/html; charset=utf-8"})
        urls.append(server.url(path))
    return urls


def base_time() -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
