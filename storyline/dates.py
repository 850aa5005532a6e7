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
