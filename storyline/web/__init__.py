"""The web reader: server-rendered pages, their JSON twins under ``/api``, Atom feeds."""

from __future__ import annotations

from storyline.web.app import create_app

__all__ = ["create_app"]
