"""The HTML side of the words on a page: Jinja2 environments (compiled once, autoescaped
everywhere) and the template filters shared by the stored story page (``write.page``) and
the web reader's templates: dates, safe links, citation markers, counts; and the compact
JSON every ``/api`` page is sent as."""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader
from markupsafe import Markup, escape

from storyline.text.jsonio import json_default
from storyline.text.lexicon import MONTH_ABBREVIATIONS as MONTHS
from storyline.text.wording import plural


def _as_datetime(value: Any) -> datetime | date | None:
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            try:
                return date.fromisoformat(value[:10])
            except ValueError:
                return None
    return None


@lru_cache(maxsize=8192)
def fmt_date(value: Any, precision: str = "day") -> str:
    """18 Feb 2026 / Feb 2026 / 2026 (a timeline date at its precision)."""
    d = _as_datetime(value)
    if d is None:
        return str(value or "")
    if precision == "year":
        return str(d.year)
    if precision == "month":
        return f"{MONTHS[d.month - 1]} {d.year}"
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


@lru_cache(maxsize=8192)
def fmt_time(value: Any) -> str:
    """18 Feb 2026, 08:00 UTC (dates alone when there is no time)."""
    d = _as_datetime(value)
    if d is None:
        return ""
    if isinstance(d, datetime):
        return f"{fmt_date(d)}, {d:%H:%M} UTC"
    return fmt_date(d)


def iso(value: Any) -> str:
    if isinstance(value, str):
        return value  # dates in stored summaries are ISO 8601 already
    d = _as_datetime(value)
    return d.isoformat() if d is not None else ""


def safe_url(value: Any) -> str | None:
    """The URL if it is http(s), else None: source data never yields javascript: links."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    scheme = url[:8].lower()
    return url if scheme.startswith(("http://", "https://")) else None


def domain(value: Any) -> str:
    url = safe_url(value)
    if not url:
        return ""
    host = urlsplit(url).hostname or ""
    return host[4:] if host.startswith("www.") else host


def cites(numbers: Any, valid: Any, prefix: str = "") -> Markup:
    """Citation markers: ``[n]`` links to ``#source-n`` for every n among the ``valid``
    source indices (a marker that would not resolve is shown, unlinked)."""
    allowed = set(valid or ())
    out = []
    for c in numbers or ():
        if isinstance(c, int) and c in allowed:
            out.append(f'<a class="cite" href="{escape(prefix)}#source-{c}" '
                       f'aria-label="Source {c}">[{c}]</a>')
        else:
            out.append(f'<span class="cite-missing">[{escape(str(c))}]</span>')
    return Markup("".join(out))


def http_links(links: Any) -> list[dict[str, Any]]:
    """The external links whose URL is http(s) (the others are never shown)."""
    return [link for link in links or () if isinstance(link, dict) and safe_url(link.get("url"))]


def source_indices(sources: Any) -> set[int]:
    return {s["index"] for s in sources or () if isinstance(s, dict) and "index" in s}


@lru_cache(maxsize=4)
def environment(package: str) -> Environment:
    """The templates of ``package`` (its ``templates`` folder) with the shared filters."""
    env = Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=True,
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(fmt_date=fmt_date, fmt_time=fmt_time, iso=iso, safe_url=safe_url,
                       domain=domain, plural=plural, cites=cites,
                       http_links=http_links)
    env.globals["source_indices"] = source_indices
    return env


def to_json(data: Any) -> bytes:
    """Compact UTF-8 JSON, as every ``/api`` page is sent."""
    return json.dumps(data, default=json_default, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")
