"""Atom 1.0 (RFC 4287) feeds of stories: Top Headlines and one storyline."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from storyline.text.wording import plural

ATOM_NS = "http://www.w3.org/2005/Atom"
ET.register_namespace("", ATOM_NS)
#: atom:id must be an absolute IRI; with relative links, ids are tag URIs (RFC 4151).
RELATIVE_ID_PREFIX = "tag:storyline.invalid,2026:"
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
_ANY_ADDRESS = {"", "0.0.0.0", "::"}


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def link_base(public_url: str, request_base: str, allowed_hosts: Iterable[str] = ()) -> str:
    """The base of the absolute links in a feed: the ``public_url`` setting; without one,
    the request's own scheme and host only when that host is loopback or one of
    ``allowed_hosts`` (the address the server listens on); else "" (links relative to
    the feed). The Host header is whatever the client sends: copied into links, it lets
    one request (and every cache in front) hand out feeds that point elsewhere."""
    configured = public_url.strip()
    if configured.lower().startswith(("http://", "https://")):
        return configured.rstrip("/")
    host = (urlsplit(request_base).hostname or "").lower()
    allowed = {h.strip().strip("[]").lower() for h in allowed_hosts} - _ANY_ADDRESS
    if host and (_is_loopback(host) or host in allowed):
        return request_base.rstrip("/")
    return ""


def _iri(url: str) -> str:
    """An id for ``url``: itself when absolute, a tag URI when relative."""
    return url if "://" in url else RELATIVE_ID_PREFIX + url


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
    _sub(root, "id", _iri(feed_id))
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
        _sub(entry, "id", _iri(url))
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
