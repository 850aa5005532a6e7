"""The text an article is read by where only its start matters: the title and the first
words of the body. The encoder embeds it and the entity tagger reads it, so both see the
same words (and the tagger needs no encoder for it)."""

from __future__ import annotations

import re

__all__ = ["lead_text"]

_WS = re.compile(r"\s+")


def _norm_ws(s: str) -> str:
    return _WS.sub(" ", s).strip()


def lead_text(title: str, text: str, max_words: int = 200) -> str:
    """Return ``title + ". " + first max_words words of text``, whitespace collapsed.

    A first text line that repeats the title (case- and whitespace-insensitively,
    ignoring trailing punctuation) is dropped. No ". " is doubled when the title
    already ends in sentence punctuation.
    """
    title = _norm_ws(title or "")
    text = text or ""
    lines = text.lstrip().split("\n", 1)
    if title and lines and _same_line(lines[0], title):
        text = lines[1] if len(lines) > 1 else ""
    words = text.split()
    body = " ".join(words[: max(0, max_words)])
    if not title:
        return body
    if not body:
        return title
    sep = " " if title[-1] in ".!?…:" else ". "
    return f"{title}{sep}{body}"


def _same_line(line: str, title: str) -> bool:
    def key(s: str) -> str:
        return _norm_ws(s).rstrip(" .!?…:;").casefold()

    return key(line) == key(title) != ""
