"""Atom 1.0 (RFC 4287) feeds of stories: Top Headlines and one storyline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from storyline.text.wording import plural

ATOM_NS = "http://www.w3.org/2005/Atom"
ET.register_namespace("", ATOM_NS)


def _q(tag: str) -> str:
    return f"{{{ATOM_NS}}}{tag}"


def _rfc3339(value: Any) -> str:
    if isinstance(value, str) and value:
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            value = None
    if not isinstance(value, datetime):
        value = datetime(1970, 1, 1, tzinfo=UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, _q(tag), attrs)
    if text is not None:
        el.text = text
    return el


def story_feed(*, title: str, feed_id: str, self_url: str, page_url: str, base_url: str,
               cards: list[dict[str, Any]], subtitle: str | None = None) -> bytes:
    """An Atom document with one entry per story card (see ``queries.story_cards``)."""
    base = base_url.rstrip("/")
    root = ET.Element(_q("feed"))
    _sub(root, "title", title)
    if subtitle:
        _sub(root, "subtitle", subtitle)
    _sub(root, "id", feed_id)
    _sub(root, "link", rel="self", type="application/atom+xml", href=self_url)
    _sub(root, "link", rel="alternate", type="text/html", href=page_url)
    updated = [c["updated"] for c in cards if c.get("updated")]
    _sub(root, "updated", _rfc3339(max(updated) if updated else None))
    author = _sub(root, "author")
    _sub(author, "name", "Storyline")
    _sub(root, "generator", "Storyline", uri="https://storyline.invalid/")
    for card in cards:
        url = f"{base}/stories/{card['id']}"
        entry = _sub(root, "entry")
        _sub(entry, "title", card["headline"], type="text")
        _sub(entry, "id", url)
        _sub(entry, "link", rel="alternate", type="text/html", href=url)
        _sub(entry, "updated", _rfc3339(card.get("updated")))
        if card.get("first_time"):
            _sub(entry, "published", _rfc3339(card["first_time"]))
        counts = (f"{plural(card['article_count'], 'article')} from "
                  f"{plural(card['outlet_count'], 'outlet')}")
        summary = f"{card['lead']} ({counts})" if card.get("lead") else counts
        _sub(entry, "summary", summary, type="text")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8",
                                                                     xml_declaration=False)
