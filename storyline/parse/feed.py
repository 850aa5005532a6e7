"""Feed documents (RSS 0.9x/1.0/2.0, Atom, JSON Feed) to `ParsedFeed`.

XML formats go through feedparser after we decode the bytes ourselves (see
`storyline.parse.encoding`), so a feed that lies about its charset still parses.
JSON Feed is parsed by `storyline.parse.jsonfeed`.

Normalisation applied to every entry:

- ``guid``: the entry id/guid, else its link.
- ``url``: absolute (resolved against xml:base, else the feed URL).
- ``title``: tags stripped; when missing, a trimmed snippet of the summary/content,
  else None.
- ``content_html``: ``content:encoded`` / Atom ``<content>``; ``summary_html``:
  description / summary (None when it only repeats the content).
- ``published``: tz-aware UTC, or None when missing or unparseable. A date more than
  one day ahead of now is treated as wrong: ``published=None`` plus a warning.
- Entries repeating a GUID already seen in the same document are dropped (the first
  is kept) with a warning.

Problems that still leave usable entries (an undefined entity, a wrong charset)
become ``ParsedFeed.warnings``; documents that give nothing raise `FeedParseError`.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import feedparser
from feedparser.mixin import _FeedParserMixin

from storyline.models import FeedEntry, ParsedFeed
from storyline.parse.common import (
    absolute_url,
    check_date,
    dedupe_entries,
    html_to_text,
    snippet,
)
from storyline.parse.encoding import decode_document
from storyline.parse.jsonfeed import looks_like_json_feed, parse_json_feed
from storyline.text.dates import from_struct_time

__all__ = ["FeedParseError", "parse_feed"]

_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/json",
)
_SY_PERIODS = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 7 * 86400,
    "monthly": 30 * 86400,
    "yearly": 365 * 86400,
}
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>")
_ROOT_RE = re.compile(
    r"^\s*(?:<\?xml[^>]*\?>\s*)?(?:(?:<!--.*?-->|<\?[^>]*\?>)\s*)*"
    r"(?:<!DOCTYPE\s+([A-Za-z:-]+)[^>]*>\s*)?(?:<!--.*?-->\s*)*<([A-Za-z][\w:.-]*)",
    re.S,
)
_IMAGE_EXT_RE = re.compile(r"\.(?:jpe?g|png|gif|webp|avif)(?:$|\?)", re.I)


class FeedParseError(Exception):
    """The document is not a usable feed. `str(exc)` is one line for the user.

    `alternates` lists the feed URLs an HTML page advertises with
    ``<link rel="alternate">`` (absolute), so a caller can suggest or follow them.
    """

    def __init__(self, message: str, *, alternates: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.alternates: list[str] = alternates or []


def parse_feed(body: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse a feed document fetched from `url` into a `ParsedFeed`.

    Raises `FeedParseError` for an empty body, an HTML page (with `.alternates`),
    malformed XML without entries, and formats we do not know.
    Dates more than a day in the future are dropped (published=None) with a warning.
    """
    if not body or not body.strip():
        raise FeedParseError("empty response body")
    now = datetime.now(UTC)
    decoded = decode_document(body, content_type)
    text = decoded.text
    mime = (content_type or "").split(";", 1)[0].strip().lower()

    if looks_like_json_feed(text, mime):
        try:
            parsed = parse_json_feed(text, url=url, now=now)
        except ValueError as exc:
            raise FeedParseError(str(exc)) from None
        if decoded.warning:
            parsed.warnings.insert(0, decoded.warning)
        return parsed

    root = _root_element(text)
    if root in {"html", "xhtml"} or (root is None and mime in _HTML_TYPES):
        raise FeedParseError(
            "got an HTML page, not a feed (did you mean its <link rel=alternate> feed?)",
            alternates=find_feed_links(text, url),
        )
    if root is None and not text.lstrip().startswith("<"):
        raise FeedParseError(_unknown_format_message(mime))

    _configure_feedparser()
    # Hand feedparser UTF-8 with a matching declaration: we already decided the charset.
    xml = _XML_DECL_RE.sub('<?xml version="1.0" encoding="utf-8"?>', text, count=1)
    result = feedparser.parse(
        xml.encode("utf-8"),
        response_headers={
            "content-type": "application/xml; charset=utf-8",
            "content-location": url,
        },
    )
    version = str(result.get("version") or "")
    entries_raw = result.get("entries") or []
    bozo_reason = _bozo_reason(result) if result.get("bozo") else None

    if not entries_raw:
        if bozo_reason:
            raise FeedParseError(f"malformed XML: {bozo_reason}")
        if not version:
            raise FeedParseError(_unknown_format_message(mime, root))

    warnings: list[str] = []
    if decoded.warning:
        warnings.append(decoded.warning)
    if bozo_reason:
        warnings.append(f"recovered from malformed XML: {bozo_reason}")

    feed = result.get("feed") or {}
    base = absolute_url(feed.get("link"), url) or url
    entries = [_entry(raw, base=url, now=now, warnings=warnings) for raw in entries_raw]
    empty = sum(1 for e in entries if not (e.guid or e.url or e.title or e.content_html))
    if empty:
        entries = [e for e in entries if e.guid or e.url or e.title or e.content_html]
        if not entries and bozo_reason:
            raise FeedParseError(f"malformed XML: {bozo_reason}")
        warnings.append(f"{empty} empty entries skipped (no id, link, title or content)")
    return ParsedFeed(
        format=_format_name(version),
        title=_clean_title(feed.get("title")),
        site_url=base if feed.get("link") else None,
        entries=dedupe_entries(entries, warnings),
        ttl_seconds=_ttl_seconds(feed),
        warnings=warnings,
    )


def _configure_feedparser() -> None:
    """Keep GUIDs as written: feedparser resolves a permalink-style ``<guid>`` like a URL.

    A GUID such as ``article-123`` (no ``isPermaLink="false"``) would otherwise become
    ``<feed dir>/article-123``; it is an identity key, so we want the raw text.
    Links and content URLs are still resolved.
    """
    relative = _FeedParserMixin.can_be_relative_uri
    if "id" in relative:
        _FeedParserMixin.can_be_relative_uri = set(relative) - {"id"}


def _unknown_format_message(mime: str, root: str | None = None) -> str:
    detail = f"root element <{root}>" if root else (f"content type {mime}" if mime else "")
    suffix = f" ({detail})" if detail else ""
    return f"unknown format: not RSS, Atom or JSON Feed{suffix}"


def _root_element(text: str) -> str | None:
    match = _ROOT_RE.match(text[:65536])
    if not match:
        return None
    doctype, root = match.group(1), match.group(2)
    if doctype and doctype.lower() == "html":
        return "html"
    return root.split(":")[-1].lower()


def _bozo_reason(result: Any) -> str | None:
    exc = result.get("bozo_exception")
    if exc is None or isinstance(exc, feedparser.CharacterEncodingOverride):
        return None
    message = getattr(exc, "getMessage", lambda: str(exc))()
    message = " ".join(str(message).split()) or type(exc).__name__
    line = getattr(exc, "getLineNumber", lambda: None)()
    return f"{message}, line {line}" if line else message


def _format_name(version: str) -> str:
    if version in ("rss090", "rss10"):
        return "rdf"
    if version.startswith("atom"):
        return "atom"
    return "rss"


def _ttl_seconds(feed: Any) -> int | None:
    ttl = str(feed.get("ttl") or "").strip()
    if ttl.isdigit() and int(ttl) > 0:
        return int(ttl) * 60
    period = str(feed.get("sy_updateperiod") or "").strip().lower()
    if period in _SY_PERIODS:
        freq_text = str(feed.get("sy_updatefrequency") or "1").strip()
        freq = int(freq_text) if freq_text.isdigit() and int(freq_text) > 0 else 1
        return max(1, _SY_PERIODS[period] // freq)
    return None


def _clean_title(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return html_to_text(value) or None


def _detail_html(detail: Any, value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    kind = (detail or {}).get("type", "text/html") if isinstance(detail, dict) else "text/html"
    if kind == "text/plain":
        return html.escape(value.strip()).replace("\n", "<br>")
    return value.strip()


def _content_html(raw: Any) -> str | None:
    contents = [c for c in raw.get("content") or [] if isinstance(c, dict) and c.get("value")]
    for wanted in ("text/html", "application/xhtml+xml"):
        for content in contents:
            if content.get("type") == wanted:
                return _detail_html(content, content.get("value"))
    for content in contents:
        return _detail_html(content, content.get("value"))
    return None


def _image(raw: Any, base: str) -> str | None:
    for media in raw.get("media_content") or []:
        medium = str(media.get("medium") or "")
        kind = str(media.get("type") or "")
        href = media.get("url")
        if (
            medium == "image"
            or kind.startswith("image/")
            or (not medium and not kind and isinstance(href, str) and _IMAGE_EXT_RE.search(href))
        ):
            found = absolute_url(href, base)
            if found:
                return found
    for thumb in raw.get("media_thumbnail") or []:
        found = absolute_url(thumb.get("url"), base)
        if found:
            return found
    for link in raw.get("links") or []:
        if link.get("rel") == "enclosure" and str(link.get("type") or "").startswith("image/"):
            found = absolute_url(link.get("href"), base)
            if found:
                return found
    image = raw.get("image")
    if isinstance(image, dict):
        return absolute_url(image.get("href") or image.get("url"), base)
    return None


def _entry(raw: Any, *, base: str, now: datetime, warnings: list[str]) -> FeedEntry:
    link = absolute_url(raw.get("link"), base)
    if link is None:
        for candidate in raw.get("links") or []:
            if candidate.get("rel", "alternate") == "alternate":
                link = absolute_url(candidate.get("href"), base)
                if link:
                    break
    guid_raw = raw.get("id") or raw.get("guid")
    guid = guid_raw.strip() if isinstance(guid_raw, str) and guid_raw.strip() else link

    content_html = _content_html(raw)
    summary_html = _detail_html(raw.get("summary_detail"), raw.get("summary"))
    if summary_html is not None and summary_html == content_html:
        summary_html = None  # feedparser copies content into summary when there is none

    title = _clean_title(raw.get("title"))
    if title is None:
        title = snippet(html_to_text(summary_html or content_html))

    # dict.get: FeedParserDict.get("updated_parsed") warns and aliases published_parsed.
    published = from_struct_time(dict.get(raw, "published_parsed")) or from_struct_time(
        dict.get(raw, "updated_parsed")
    )
    published = check_date(published, now, warnings, f"entry {guid or title or '?'}")

    author = None
    detail = raw.get("author_detail")
    if isinstance(detail, dict) and isinstance(detail.get("name"), str):
        author = detail["name"].strip() or None
    if author is None and isinstance(raw.get("author"), str):
        author = raw["author"].strip() or None

    return FeedEntry(
        guid=guid,
        url=link,
        title=title,
        summary_html=summary_html,
        content_html=content_html,
        published=published,
        author=author,
        image_url=_image(raw, link or base),
    )


class _AlternateLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and attr.get("href") and self.base is None:
            self.base = attr["href"]
        elif tag == "link":
            rels = attr.get("rel", "").lower().split()
            kind = attr.get("type", "").split(";", 1)[0].strip().lower()
            if "alternate" in rels and kind in _FEED_TYPES and attr.get("href"):
                self.links.append(attr["href"])


def find_feed_links(page_html: str, page_url: str) -> list[str]:
    """Absolute feed URLs advertised by an HTML page's ``<link rel="alternate">``."""
    parser = _AlternateLinks()
    try:
        parser.feed(page_html[:1_000_000])
        parser.close()
    except Exception:  # a broken page must not hide the "HTML, not a feed" message
        pass
    base = absolute_url(parser.base, page_url) or page_url
    found: list[str] = []
    for href in parser.links:
        absolute = absolute_url(href, base)
        if absolute and absolute not in found:
            found.append(absolute)
    return found
