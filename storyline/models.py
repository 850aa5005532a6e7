"""Plain data models shared by the pipeline stages.

Every input format (RSS, Atom, JSON Feed, an HTML page, a plain-text file, a JSONL
line) is converted at the edge into these types; nothing downstream knows formats.
All datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True)
class FeedEntry:
    """One item of a feed, whatever its format."""

    guid: str | None
    url: str | None  # absolute URL of the article page
    title: str | None
    summary_html: str | None = None
    content_html: str | None = None  # full content when the feed carries it
    published: datetime | None = None
    author: str | None = None
    image_url: str | None = None


@dataclass(slots=True)
class ParsedFeed:
    """A feed document converted to our model."""

    format: str  # "rss", "atom", "rdf", "json"
    title: str | None
    site_url: str | None
    entries: list[FeedEntry]
    ttl_seconds: int | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ExtractedPage:
    """Main text and metadata pulled out of one HTML page."""

    text: str
    title: str | None = None
    byline: str | None = None
    published: datetime | None = None
    language: str | None = None
    site_name: str | None = None
    canonical_url: str | None = None
    description: str | None = None
    image_url: str | None = None
    image_caption: str | None = None
    image_credit: str | None = None
    links: list[str] = field(default_factory=list)  # outbound links in the main text
    method: str = "trafilatura"


@dataclass(slots=True)
class ArticleIn:
    """An article ready to be stored: the output of every ingestion path."""

    title: str
    text: str
    url: str | None = None  # canonical URL
    original_url: str | None = None
    guid: str | None = None
    source_id: int | None = None
    outlet: str | None = None
    byline: str | None = None
    published: datetime | None = None
    language: str | None = None
    image_url: str | None = None
    image_caption: str | None = None
    image_credit: str | None = None
    extraction_method: str = "unknown"  # trafilatura | feed-content | plain-text | jsonl
    inferred_fields: list[str] = field(default_factory=list)
    external_id: str | None = None  # e.g. the eval-set id of a JSONL article
    links: list[str] = field(default_factory=list)
