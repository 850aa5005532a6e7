"""The web reader's templates (``storyline/web/templates``), with the filters shared with
the stored story page (``storyline.write.html``)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment

from storyline.write.html import environment as _environment
from storyline.write.html import to_json

__all__ = ["environment", "render", "to_json"]


def environment() -> Environment:
    return _environment("storyline.web")


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
