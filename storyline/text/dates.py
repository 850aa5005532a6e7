"""Date parsing at the edges: ISO strings, feed dates and user input → aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_datetime(value: str) -> datetime | None:
    """Parse an ISO-8601 date/datetime or a free-form date; naive values are taken as UTC."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        import dateparser

        parsed = dateparser.parse(
            value, languages=["en"],
            settings={"RETURN_AS_TIMEZONE_AWARE": False, "PREFER_DAY_OF_MONTH": "first"},
        )
        if parsed is None:
            return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


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
