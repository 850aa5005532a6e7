"""JSON Feed 1.0 / 1.1 (https://jsonfeed.org/version/1.1) to `ParsedFeed`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from storyline.models import FeedEntry, ParsedFeed
from storyline.parse.common import (
    absolute_url,
    check_date,
    dedupe_entries,
    html_to_text,
    snippet,
    text_to_html,
)
from storyline.text.dates import JSON_FEED_LAYOUTS, parse_datetime

__all__ = ["looks_like_json_feed", "parse_json_feed"]


def looks_like_json_feed(text: str, content_type: str | None) -> bool:
    stripped = text.lstrip()
    if not stripped.startswith("{"):
        return False
    if content_type and "json" in content_type.lower():
        return True
    return "jsonfeed.org/version" in stripped[:4096] or '"items"' in stripped


def _str(value: Any) -> str | None:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _parse_date(value: Any) -> datetime | None:
    text = _str(value)
    return None if text is None else parse_datetime(text, JSON_FEED_LAYOUTS)


def _author(item: dict[str, Any], feed: dict[str, Any]) -> str | None:
    for source in (item, feed):
        authors = source.get("authors")
        if isinstance(authors, list):
            names = [_str(a.get("name")) for a in authors if isinstance(a, dict)]
            joined = ", ".join(n for n in names if n)
            if joined:
                return joined
        author = source.get("author")
        if isinstance(author, dict) and _str(author.get("name")):
            return _str(author.get("name"))
    return None


def parse_json_feed(text: str, *, url: str, now: datetime) -> ParsedFeed:
    """Parse a JSON Feed document. Raises ValueError with a one-line reason."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"malformed JSON: {exc.msg}, line {exc.lineno}") from None
    if not isinstance(data, dict):
        raise ValueError("JSON document is not a JSON Feed (top level is not an object)")
    version = data.get("version")
    items = data.get("items")
    is_versioned = isinstance(version, str) and "jsonfeed.org/version" in version
    if not is_versioned and not isinstance(items, list):
        raise ValueError("JSON document is not a JSON Feed (no version, no items)")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise ValueError("JSON Feed 'items' is not a list")

    warnings: list[str] = []
    base = absolute_url(data.get("feed_url"), url) or url
    entries: list[FeedEntry] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            warnings.append(f"item {index}: not an object; skipped")
            continue
        link = absolute_url(item.get("url"), base) or absolute_url(item.get("external_url"), base)
        content_html = _str(item.get("content_html"))
        if content_html is None and _str(item.get("content_text")):
            content_html = text_to_html(str(item["content_text"]))
        summary = _str(item.get("summary"))
        summary_html = text_to_html(summary) if summary else None
        title = _str(item.get("title"))
        if title is not None:
            title = html_to_text(title) or None
        if title is None:
            title = snippet(html_to_text(summary_html or content_html))
        guid = _str(item.get("id")) or link
        published = _parse_date(item.get("date_published")) or _parse_date(
            item.get("date_modified")
        )
        published = check_date(published, now, warnings, f"item {guid or index}")
        image = absolute_url(item.get("image"), base) or absolute_url(
            item.get("banner_image"), base
        )
        if image is None and isinstance(item.get("attachments"), list):
            for att in item["attachments"]:
                if isinstance(att, dict) and str(att.get("mime_type", "")).startswith("image/"):
                    image = absolute_url(att.get("url"), base)
                    if image:
                        break
        entries.append(
            FeedEntry(
                guid=guid,
                url=link,
                title=title,
                summary_html=summary_html,
                content_html=content_html,
                published=published,
                author=_author(item, data),
                image_url=image,
            )
        )
    return ParsedFeed(
        format="json",
        title=_str(data.get("title")),
        site_url=absolute_url(data.get("home_page_url"), base),
        entries=dedupe_entries(entries, warnings),
        warnings=warnings,
    )
