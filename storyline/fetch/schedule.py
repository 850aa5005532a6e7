"""When to check a feed next: a pure function of the last response.

Success (2xx/304): the longest of the publisher's hints (Cache-Control max-age,
Expires, the feed's own TTL), else the default, clamped to [min, max].
Failure (error_count > 0, a network error, or HTTP 4xx/5xx): exponential backoff,
``default * 2**(error_count - 1)`` capped at max, and never sooner than Retry-After.
429 and 503 always honour Retry-After, even above `max_interval_s` (up to a week).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from storyline.text.dates import HTTP_LAYOUTS, parse_datetime

__all__ = ["next_check", "cache_control_max_age", "expires_in"]

RETRY_AFTER_CAP_S = 7 * 86400  # a Retry-After beyond a week is treated as a week
_MAX_AGE_RE = re.compile(r"(?:^|[,\s])(s-maxage|max-age)\s*=\s*\"?(\d+)\"?", re.I)


def cache_control_max_age(cache_control: str | None) -> float | None:
    """max-age (or s-maxage) from a Cache-Control value; None if absent or no-store/no-cache."""
    if not cache_control:
        return None
    lowered = cache_control.lower()
    if "no-store" in lowered or "no-cache" in lowered:
        return None
    ages = {name.lower(): int(value) for name, value in _MAX_AGE_RE.findall(cache_control)}
    age = ages.get("max-age", ages.get("s-maxage"))
    return float(age) if age is not None else None


def expires_in(expires: str | datetime | None, now: datetime) -> float | None:
    """Seconds from `now` until an Expires header value (HTTP-date or datetime)."""
    if expires is None:
        return None
    if isinstance(expires, str):
        parsed = parse_datetime(expires, HTTP_LAYOUTS)
        if parsed is None:
            return None  # "0", "-1" and garbage mean "already expired": no hint
        when = parsed
    else:
        when = expires if expires.tzinfo is not None else expires.replace(tzinfo=UTC)
    seconds = (when - now).total_seconds()
    return seconds if seconds > 0 else None


def next_check(
    now: datetime,
    *,
    status: int | None,
    ttl_seconds: int | None,
    cache_control: str | None,
    expires: str | datetime | None,
    retry_after_s: float | None,
    error_count: int,
    min_interval_s: float = 300,
    default_interval_s: float = 1800,
    max_interval_s: float = 86400,
) -> datetime:
    """The time to check the feed next (tz-aware UTC, like `now` should be).

    `status` is the last HTTP status (None for a network error); `error_count` the
    number of consecutive failures including the last one (0 after a success).
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    retry = min(retry_after_s, RETRY_AFTER_CAP_S) if retry_after_s and retry_after_s > 0 else None
    failed = status is None or status >= 400 or error_count > 0
    if failed:
        count = max(error_count, 1)
        interval = min(default_interval_s * 2 ** min(count - 1, 32), max_interval_s)
        interval = max(interval, min_interval_s)
        if retry is not None:
            interval = max(interval, retry)
        return now + timedelta(seconds=interval)

    hints = [
        h
        for h in (
            cache_control_max_age(cache_control),
            expires_in(expires, now),
            float(ttl_seconds) if ttl_seconds and ttl_seconds > 0 else None,
        )
        if h is not None
    ]
    interval = max(hints) if hints else default_interval_s
    interval = min(max(interval, min_interval_s), max_interval_s)
    if retry is not None:  # e.g. a 200 with Retry-After: still be polite
        interval = max(interval, retry)
    return now + timedelta(seconds=interval)
