"""JSON helpers: the date encoder of the CLI and stored documents, JSON-lines reading."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any


def json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def json_objects(text: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, object) for each non-blank line of a JSON-lines text, or
    (line number, one-line error) when the line is not a JSON object."""
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield lineno, f"not JSON ({exc.msg} at column {exc.colno})"
            continue
        yield lineno, obj if isinstance(obj, dict) else "not a JSON object"
