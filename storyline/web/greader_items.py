"""The Google Reader API's vocabulary: stream ids, item ids, continuations, and items as
JSON objects and Atom entries (``storyline.web.greader`` serves them). Articles are items
of their feed's stream; stories are items of the Stories stream (``feed/storyline:
stories``), their page as content."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree as ET

from markupsafe import escape

from storyline.storage.streams import STORY_BASE

LONG_PREFIX = "tag:google.com,2005:reader/item/"
STORIES_STREAM = "feed/storyline:stories"
STORIES_TITLE = "Stories"
STATE = "user/-/state/com.google/"
READING_LIST = STATE + "reading-list"
READ = STATE + "read"
STARRED = STATE + "starred"
KEPT_UNREAD = STATE + "kept-unread"
LABEL = "user/-/label/"
ATOM_NS = "http://www.w3.org/2005/Atom"
GR_NS = "http://www.google.com/schemas/reader/atom/"
GR_SCHEME = "http://www.google.com/reader/"


class StreamError(ValueError):
    """A stream or item id this server does not know."""


@dataclass(slots=True, frozen=True)
class Stream:
    """What a stream id names: ``kind`` feed | stories | all | starred | read | label |
    empty; ``source_id`` for a feed, ``label`` for a label."""

    id: str
    kind: str
    source_id: int | None = None
    label: str | None = None


def _state_name(stream_id: str) -> str | None:
    """"reading-list" of user/-/state/com.google/reading-list (any user id)."""
    parts = stream_id.split("/")
    if len(parts) >= 4 and parts[0] == "user" and parts[2] == "state" \
            and parts[3] == "com.google":
        return "/".join(parts[4:])
    return None


def _label_name(stream_id: str) -> str | None:
    parts = stream_id.split("/", 3)
    if len(parts) == 4 and parts[0] == "user" and parts[2] == "label" and parts[3]:
        return parts[3]
    return None


def parse_stream(stream_id: str, feed_ids: dict[str, int]) -> Stream:
    """``feed_ids`` maps "feed/ID" and "feed/URL" forms to feed ids."""
    sid = unquote(stream_id.strip()) if "%" in stream_id else stream_id.strip()
    if sid == STORIES_STREAM:
        return Stream(sid, "stories")
    if sid.startswith("feed/"):
        found = feed_ids.get(sid)
        if found is None:
            raise StreamError(f"no such feed: {sid}")
        return Stream(sid, "feed", source_id=found)
    state = _state_name(sid)
    if state is not None:
        kinds = {"reading-list": "all", "starred": "starred", "read": "read"}
        return Stream(sid, kinds.get(state, "empty"))
    label = _label_name(sid)
    if label is not None:
        return Stream(sid, "label", label=label)
    raise StreamError(f"unknown stream id: {stream_id}")


def is_state(value: str, name: str) -> bool:
    return _state_name(value) == name


def label_of(value: str) -> str | None:
    return _label_name(value)


def parse_item(value: str) -> int:
    """An item id in the long form (16 hex digits), or decimal (signed 64-bit)."""
    text = value.strip()
    if text.startswith(LONG_PREFIX):
        try:
            number = int(text[len(LONG_PREFIX):], 16)
        except ValueError:
            raise StreamError(f"not an item id: {value!r}") from None
    else:
        try:
            number = int(text, 10)
        except ValueError:
            raise StreamError(f"not an item id: {value!r}") from None
        if number < 0:
            number += 1 << 64
    if number <= 0 or number >= 1 << 63:
        raise StreamError(f"not an item id: {value!r}")
    return number


def long_id(item_id: int) -> str:
    return f"{LONG_PREFIX}{item_id:016x}"


def is_story(item_id: int) -> bool:
    return item_id > STORY_BASE


def encode_continuation(ts: datetime, item_id: int) -> str:
    raw = f"{int(ts.timestamp() * 1_000_000)}:{item_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_continuation(value: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        usec, item = raw.split(":")
        return datetime.fromtimestamp(int(usec) / 1_000_000, UTC), int(item)
    except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError, OSError):
        raise StreamError(f"not a continuation: {value!r}") from None


def parse_time(value: str | None) -> datetime | None:
    """Seconds (or, when larger, milli- or microseconds) since the epoch."""
    if value is None or not str(value).strip():
        return None
    try:
        number = int(float(value))
    except (ValueError, OverflowError):
        raise StreamError(f"not a time: {value!r}") from None
    if number > 10**14:
        number //= 1_000_000
    elif number > 10**11:
        number //= 1000
    try:
        return datetime.fromtimestamp(max(number, 0), UTC)
    except (OverflowError, OSError, ValueError):
        raise StreamError(f"not a time: {value!r}") from None


def _usec(when: datetime | None) -> int:
    return int(when.timestamp() * 1_000_000) if when else 0


def text_html(text: str) -> str:
    """An article's plain text as HTML paragraphs."""
    return "".join(f"<p>{escape(p.strip())}</p>" for p in text.split("\n") if p.strip())


@dataclass(slots=True)
class Item:
    """One item, ready for JSON or Atom."""

    item_id: int
    title: str
    url: str | None
    published: datetime | None
    updated: datetime | None
    crawled: datetime | None
    author: str | None
    content: str
    stream_id: str
    stream_title: str
    stream_url: str | None
    categories: list[str]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": long_id(self.item_id),
            "crawlTimeMsec": str(_usec(self.crawled or self.published) // 1000),
            "timestampUsec": str(_usec(self.updated or self.published)),
            "published": _usec(self.published) // 1_000_000,
            "updated": _usec(self.updated or self.published) // 1_000_000,
            "title": self.title,
            "summary": {"direction": "ltr", "content": self.content},
            "categories": self.categories,
            "origin": {"streamId": self.stream_id, "title": self.stream_title,
                       "htmlUrl": self.stream_url or ""},
        }
        if self.url:
            out["canonical"] = [{"href": self.url}]
            out["alternate"] = [{"href": self.url, "type": "text/html"}]
        if self.author:
            out["author"] = self.author
        return out


def categories_for(user_id: int, *, read: bool, starred: bool, labels: Sequence[str]
                   ) -> list[str]:
    out = [f"user/{user_id}/state/com.google/reading-list"]
    if read:
        out.append(f"user/{user_id}/state/com.google/read")
    if starred:
        out.append(f"user/{user_id}/state/com.google/starred")
    out += [f"user/{user_id}/label/{name}" for name in labels]
    return out


def _rfc3339(when: datetime | None) -> str:
    when = when or datetime(1970, 1, 1, tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def atom_feed(*, stream_id: str, title: str, self_url: str, items: list[Item],
              continuation: str | None) -> bytes:
    """Items as the Google Reader Atom form (what newsboat's feedhq backend reads)."""
    ET.register_namespace("", ATOM_NS)
    ET.register_namespace("gr", GR_NS)

    def q(tag: str, ns: str = ATOM_NS) -> str:
        return f"{{{ns}}}{tag}"

    def sub(parent: ET.Element, tag: str, text: str | None = None, ns: str = ATOM_NS,
            **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, q(tag, ns), attrs)
        if text is not None:
            el.text = text
        return el

    root = ET.Element(q("feed"))
    sub(root, "id", f"tag:google.com,2005:reader/{stream_id}")
    sub(root, "title", title)
    sub(root, "link", rel="self", href=self_url)
    sub(root, "generator", "Storyline")
    stamps = [t for t in (i.updated or i.published for i in items) if t is not None]
    sub(root, "updated", _rfc3339(max(stamps) if stamps else None))
    if continuation:
        sub(root, "continuation", continuation, GR_NS)
    for item in items:
        entry = sub(root, "entry")
        sub(entry, "id", long_id(item.item_id))
        for term in item.categories:
            label = term.rsplit("/", 1)[-1]
            sub(entry, "category", term=term, scheme=GR_SCHEME, label=label)
        sub(entry, "title", item.title, type="html")
        sub(entry, "published", _rfc3339(item.published or item.updated))
        sub(entry, "updated", _rfc3339(item.updated or item.published))
        if item.url:
            sub(entry, "link", rel="alternate", href=item.url, type="text/html")
        sub(entry, "content", item.content, type="html")
        if item.author:
            author = sub(entry, "author")
            sub(author, "name", item.author)
        source = sub(entry, "source", **{q("stream-id", GR_NS): item.stream_id})
        sub(source, "id", f"tag:google.com,2005:reader/{item.stream_id}")
        sub(source, "title", item.stream_title)
        if item.stream_url:
            sub(source, "link", rel="alternate", href=item.stream_url, type="text/html")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8",
                                                                      xml_declaration=False)
