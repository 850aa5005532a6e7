"""The story writer: headline, sectioned summary with verified citations, timeline."""

from storyline.write.extractive import ExtractiveWriter
from storyline.write.llm import LLMConfig, LLMWriter
from storyline.write.schema import StoryArticle, StorySummary

__all__ = ["ExtractiveWriter", "LLMConfig", "LLMWriter", "StoryArticle", "StorySummary"]
