"""Fetch stage: polite HTTP fetching and feed check scheduling."""

from storyline.fetch.http import (
    DEFAULT_USER_AGENT,
    FetchConfig,
    Fetcher,
    FetchResult,
    parse_retry_after,
)
from storyline.fetch.schedule import next_check

__all__ = [
    "DEFAULT_USER_AGENT",
    "FetchConfig",
    "FetchResult",
    "Fetcher",
    "next_check",
    "parse_retry_after",
]
