"""Search for the reader: full text over stories and articles (``storage.search``), as
JSON-ready dicts whose snippets are split into plain and matched parts (rendered as
escaped text and ``<mark>``; never raw HTML)."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from storyline.web.render import render

SEARCH_LIMIT = 20


def _parts(snippet: str, marks: list[tuple[int, int]] | None) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    pos = 0
    for start, end in sorted(marks or []):
        if start < pos or end <= start:
            continue
        if start > pos:
            parts.append({"text": snippet[pos:start], "mark": False})
        parts.append({"text": snippet[start:end], "mark": True})
        pos = end
    if pos < len(snippet):
        parts.append({"text": snippet[pos:], "mark": False})
    return parts


def _hit(hit: Any) -> dict[str, Any]:
    data = dataclasses.asdict(hit)
    data["snippet_parts"] = _parts(data.get("snippet") or "", data.pop("marks", None))
    return data


def search_sync(engine: Engine, q: str, limit: int = SEARCH_LIMIT) -> dict[str, Any]:
    from storyline.storage.search import search

    with engine.connect() as conn:
        results = search(conn, q, limit=limit)
    return {"query": q, "stories": [_hit(h) for h in results.stories],
            "articles": [_hit(h) for h in results.articles]}


async def run_search(engine: Engine, q: str, limit: int = SEARCH_LIMIT
                     ) -> tuple[dict[str, Any], str | None]:
    """(results, None), or (empty results, why search is unavailable)."""
    q = q.strip()
    empty: dict[str, Any] = {"query": q, "stories": [], "articles": []}
    if not q:
        return empty, None
    try:
        import storyline.storage.search  # noqa: F401
    except ImportError:
        return empty, "Search is not available in this version."
    return await run_in_threadpool(search_sync, engine, q, limit), None


def search_html(q: str, results: dict[str, Any], unavailable: str | None) -> str:
    return render("search.html", query=q.strip(), results=results, unavailable=unavailable,
                  nav="search")
