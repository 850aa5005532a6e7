"""OPML subscription lists: read (import) and write (export)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import quoteattr

from lxml import etree


class OPMLError(ValueError):
    """The file is not a usable OPML document."""


@dataclass(slots=True)
class Outline:
    url: str
    title: str | None
    site_url: str | None


def parse_opml(data: bytes) -> list[Outline]:
    """Every outline with an ``xmlUrl``, nested folders included, in document order."""
    if not data.strip():
        raise OPMLError("empty file")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False,
                             huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise OPMLError(f"malformed XML: {exc}") from None
    if etree.QName(root).localname.lower() != "opml":
        raise OPMLError(f"not OPML (root element is <{etree.QName(root).localname}>)")
    seen: set[str] = set()
    out: list[Outline] = []
    for el in root.iter("outline"):
        url = (el.get("xmlUrl") or el.get("xmlurl") or "").strip()
        if not url or url in seen:
            continue
        seen.add(url)
        title = (el.get("title") or el.get("text") or "").strip() or None
        out.append(Outline(url=url, title=title, site_url=el.get("htmlUrl") or None))
    return out


def write_opml(outlines: list[Outline], title: str = "Storyline subscriptions") -> str:
    now = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{title}</title><dateCreated>{now}</dateCreated></head>",
        "  <body>",
    ]
    for o in outlines:
        attrs = f'type="rss" text={quoteattr(o.title or o.url)} xmlUrl={quoteattr(o.url)}'
        if o.title:
            attrs += f" title={quoteattr(o.title)}"
        if o.site_url:
            attrs += f" htmlUrl={quoteattr(o.site_url)}"
        lines.append(f"    <outline {attrs}/>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)
