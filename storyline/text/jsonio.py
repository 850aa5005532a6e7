"""JSON helpers: the date encoder of the CLI and stored documents, JSON-lines reading."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any


def json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


#: A JSON line longer than this (characters) is refused unread: no article is that long.
MAX_JSON_LINE_CHARS = 16 * 1024 * 1024
#: Deepest nesting of lists and objects read in a line (an article needs two or three).
MAX_JSON_DEPTH = 64


_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.S)


def _too_deep(line: str) -> bool:
    """More than MAX_JSON_DEPTH brackets open at once, outside strings (only a line with
    that many brackets at all is scanned, strings skipped by the regex engine)."""
    if line.count("[") + line.count("{") <= MAX_JSON_DEPTH:
        return False
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(line):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif token in "]}":
            depth -= 1
    return False


def json_objects(text: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, object) for each non-blank line of a JSON-lines text, or
    (line number, one-line error) when the line is not a JSON object, is longer than
    ``MAX_JSON_LINE_CHARS`` or nests deeper than ``MAX_JSON_DEPTH``."""
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if len(line) > MAX_JSON_LINE_CHARS:
            yield lineno, (f"line too long ({len(line):,} characters; at most "
                           f"{MAX_JSON_LINE_CHARS:,}); skipped")
            continue
        if _too_deep(line):
            yield lineno, f"nested more than {MAX_JSON_DEPTH} levels deep; skipped"
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield lineno, f"not JSON ({exc.msg} at column {exc.colno})"
            continue
        except RecursionError:  # the depth check above should make this unreachable
            yield lineno, f"nested more than {MAX_JSON_DEPTH} levels deep; skipped"
            continue
        yield lineno, obj if isinstance(obj, dict) else "not a JSON object"
