"""Small helpers for the words the user reads (CLI lines, pages, feeds)."""

from __future__ import annotations


def plural(n: int, word: str, many: str | None = None) -> str:
    """``plural(1, "story", "stories")`` → "1 story"; ``plural(2, "article")`` → "2 articles"."""
    return f"{n} {word if n == 1 else (many or word + 's')}"
