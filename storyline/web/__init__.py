"""The web reader: server-rendered pages, their JSON twins under ``/api``, Atom feeds.

``create_app`` is imported on first use, so that the writer (which stores rendered story
pages through ``storyline.web.stored``) does not load the web framework."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storyline.web.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from storyline.web.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
