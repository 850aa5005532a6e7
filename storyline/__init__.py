"""Storyline: a self-hosted news story engine.

Feeds and files in, clean deduplicated articles out (this release); stories, cited
summaries and a web reader are built on top of these stages.
"""

from storyline.models import ArticleIn, ExtractedPage, FeedEntry, ParsedFeed

__version__ = "0.1.0"

__all__ = ["ArticleIn", "ExtractedPage", "FeedEntry", "ParsedFeed", "__version__"]
