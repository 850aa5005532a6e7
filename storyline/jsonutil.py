"""JSON encoding shared by the CLI and stored documents: dates as ISO 8601 strings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any


def json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")
