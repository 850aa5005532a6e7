"""Helpers shared by the feed format adapters (XML feeds and JSON Feed)."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin

from storyline.models import FeedEntry
from storyline.text.dates import SANE_EARLIEST, as_utc, sane_datetime

__all__ = [
    "FUTURE_TOLERANCE",
    "absolute_url",
    "dedupe_entries",
    "html_to_text",
    "check_date",
    "snippet",
    "text_to_html",
]

#: Dates further than this ahead of "now" are treated as wrong (published=None).
FUTURE_TOLERANCE = timedelta(days=1)
TITLE_SNIPPET_CHARS = 100


class _TextCollector(HTMLParser):
    _SKIP = {"script", "style", "template", "noscript"}
    _BLOCK = {"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip_depth += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skip_depth:
            self._skip_depth -= 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


def html_to_text(markup: str | None, *, paragraphs: bool = False) -> str:
    """Visible text of an HTML fragment, whitespace collapsed; with ``paragraphs``, one
    line per block element (p, li, h1…) instead of one line in all."""
    if not markup:
        return ""
    if "<" not in markup and "&" not in markup:
        text = markup
    else:
        collector = _TextCollector()
        try:
            collector.feed(markup)
            collector.close()
            text = "".join(collector.parts)
        except Exception:  # HTMLParser is lenient; never let a bad fragment crash parsing
            text = re.sub(r"<[^>]*>", " ", html.unescape(markup))
    if not paragraphs:
        return " ".join(text.split())
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def text_to_html(text: str) -> str:
    """Plain text as an HTML fragment: escaped, blank-line separated paragraphs as <p>."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)


def snippet(text: str, limit: int = TITLE_SNIPPET_CHARS) -> str | None:
    """The first `limit` characters of `text`, cut at a word boundary, or None if empty."""
    text = " ".join(text.split())
    if not text:
        return None
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut.rstrip(" ,;:.-") + "…"


def absolute_url(value: object, base: str | None) -> str | None:
    """`value` resolved against `base`, only if the result is http(s)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        url = urljoin(base, value.strip()) if base else value.strip()
    except ValueError:
        return None
    return url if url.lower().startswith(("http://", "https://")) else None


def check_date(
    value: datetime | None, now: datetime, warnings: list[str], what: str
) -> datetime | None:
    """Make `value` tz-aware UTC; drop it (with a warning) if it lies in the future, before
    1900 or past the ends of ``datetime`` once in UTC."""
    if value is None:
        return None
    sane = sane_datetime(value, now, future=FUTURE_TOLERANCE)
    if sane is None:
        try:
            value = as_utc(value)
        except (OverflowError, ValueError):
            warnings.append(f"{what}: date {value.isoformat()} is out of range; ignored")
            return None
        when = "in the future" if value > now else f"before {SANE_EARLIEST.year}"
        warnings.append(f"{what}: date {value.isoformat()} is {when}; ignored")
    return sane


def dedupe_entries(entries: list[FeedEntry], warnings: list[str]) -> list[FeedEntry]:
    """Keep the first entry of each GUID; warn about the dropped ones."""
    seen: set[str] = set()
    kept: list[FeedEntry] = []
    dropped: list[str] = []
    for entry in entries:
        if entry.guid is not None:
            if entry.guid in seen:
                dropped.append(entry.guid)
                continue
            seen.add(entry.guid)
        kept.append(entry)
    if dropped:
        shown = ", ".join(dropped[:3]) + (", …" if len(dropped) > 3 else "")
        warnings.append(
            f"{len(dropped)} entries with a duplicate GUID dropped (first kept): {shown}"
        )
    return kept
