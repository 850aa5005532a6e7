"""The one date parser: every date read at an edge (HTML metadata, feed items, HTTP
headers, JSONL files, what a person typed) becomes an aware UTC datetime here.

A *layout* reads one way of writing a date (ISO 8601, RFC 822, ...) and gives a datetime
(naive means UTC) or None; :func:`parse_datetime` tries a table of layouts in order and
keeps the first reading (as miniflux ``reader/date`` does). Each edge names its table:

* :data:`INPUT_LAYOUTS` (JSONL, the CLI, evaluation files): ISO 8601, then free-form
  English ("Feb 18, 2026", "yesterday") read by dateparser;
* :data:`PAGE_LAYOUTS` (``<meta>``, ``<time>``, JSON-LD): ISO 8601, RFC 822, then the
  calendar date a value starts with ("2026-02-18 at noon" -> midnight);
* :data:`JSON_FEED_LAYOUTS`: RFC 3339 (ISO 8601 with a lower-case ``z`` allowed);
* :data:`HTTP_LAYOUTS` (``Retry-After``, ``Expires``): RFC 822 / HTTP-date.

RSS and Atom dates are read by feedparser; :func:`from_struct_time` takes its result.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from time import struct_time
from typing import Any

__all__ = [
    "HTTP_LAYOUTS",
    "INPUT_LAYOUTS",
    "JSON_FEED_LAYOUTS",
    "PAGE_LAYOUTS",
    "Layout",
    "as_utc",
    "date_prefix",
    "free_form",
    "from_struct_time",
    "iso8601",
    "known_time",
    "parse_datetime",
    "rfc3339",
    "rfc822",
    "sane_datetime",
]

Layout = Callable[[str], datetime | None]
"""Reads a stripped, non-empty string: a datetime (naive means UTC) or None."""


def iso8601(value: str) -> datetime | None:
    """``2026-02-18``, ``2026-02-18T08:00:00Z``, ``2026-02-18 08:00+01:00``,
    ``20260218T0800`` (what ``datetime.fromisoformat`` reads; ``Z`` is UTC)."""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def rfc3339(value: str) -> datetime | None:
    """ISO 8601 as RFC 3339 writes it, where ``z`` may be lower case."""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None


def rfc822(value: str) -> datetime | None:
    """``Wed, 18 Feb 2026 08:00:00 GMT``, ``... +0100`` (RFC 822 / 2822, the HTTP-date);
    ``-0000`` ("zone unknown") reads as UTC."""
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


_DATE_PREFIX = (re.compile(r"(\d{4})-(\d{2})-(\d{2})"), re.compile(r"(\d{4})/(\d{2})/(\d{2})"))


def date_prefix(value: str) -> datetime | None:
    """The calendar date a value starts with (``2026-02-18`` or ``2026/02/18``), at
    midnight: whatever follows it is ignored."""
    m = _DATE_PREFIX[0].match(value) or _DATE_PREFIX[1].match(value)
    if not m:
        return None
    try:
        return datetime(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def free_form(value: str) -> datetime | None:
    """English as people write dates ("Feb 18, 2026", "18 February 2026 8am", "yesterday"),
    read by dateparser; a month without a day is its first day."""
    import dateparser

    return dateparser.parse(
        value, languages=["en"],
        settings={"RETURN_AS_TIMEZONE_AWARE": False, "PREFER_DAY_OF_MONTH": "first"},
    )


INPUT_LAYOUTS: tuple[Layout, ...] = (iso8601, free_form)
PAGE_LAYOUTS: tuple[Layout, ...] = (iso8601, rfc822, date_prefix)
JSON_FEED_LAYOUTS: tuple[Layout, ...] = (rfc3339,)
HTTP_LAYOUTS: tuple[Layout, ...] = (rfc822,)


def as_utc(value: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


#: The dates an article can have: none before SANE_EARLIEST, none further ahead of now
#: than SANE_FUTURE (a fast clock, a time zone written wrong). Anything outside
#: (9999-12-31, year 1) is a placeholder or a typo, and one step of date arithmetic
#: near the ends of ``datetime`` overflows.
SANE_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
SANE_FUTURE = timedelta(days=2)


def sane_datetime(value: datetime | None, now: datetime | None = None, *,
                  future: timedelta = SANE_FUTURE) -> datetime | None:
    """``value`` as aware UTC when it lies in [1900-01-01, now + ``future``], else None:
    the one range check for the dates of every input (JSONL, files, pages, feeds)."""
    if value is None:
        return None
    try:
        value = as_utc(value)
    except (OverflowError, ValueError):  # 9999-12-31T23:00-05:00 is past year 9999 in UTC
        return None
    if value < SANE_EARLIEST or value > (now or datetime.now(UTC)) + future:
        return None
    return value


def parse_datetime(value: str, layouts: Sequence[Layout] = INPUT_LAYOUTS) -> datetime | None:
    """The first reading of ``value`` (stripped) by ``layouts``, as aware UTC; None when
    it is blank or no layout reads it."""
    value = value.strip()
    if not value:
        return None
    for layout in layouts:
        parsed = layout(value)
        if parsed is not None:
            try:
                return as_utc(parsed)
            except OverflowError:  # past the ends of datetime once in UTC
                return None
    return None


def from_struct_time(value: Any) -> datetime | None:
    """A UTC ``time.struct_time`` (feedparser's ``*_parsed`` fields) as aware UTC; None
    for anything else or a date out of range."""
    if not isinstance(value, struct_time):
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def known_time(published: datetime | None, fetched_at: datetime | None,
               from_feed: bool) -> datetime | None:
    """When an article appeared, as far as anyone knows: its stated publication time;
    for a feed item without one, when it was fetched (a feed lists new items); for an
    imported file without one, unknown (None). The import time says nothing about when
    a file's article was written: stamping it so would set an undated copy of last
    week's report apart from the dated copies of the same report."""
    if published is not None:
        return published
    return fetched_at if from_feed else None
