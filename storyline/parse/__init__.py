"""Parse stage: feed documents (RSS, Atom, JSON Feed) into `ParsedFeed`."""

from storyline.parse.feed import FeedParseError, find_feed_links, parse_feed

__all__ = ["FeedParseError", "find_feed_links", "parse_feed"]
