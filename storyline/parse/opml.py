"""OPML subscription lists: read (import) and write (export), folders included: a feed
inside an ``<outline>`` without ``xmlUrl`` is in that folder (its innermost one), and a
feed listed in several folders is in each of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

MAX_FOLDER = 200


class OPMLError(ValueError):
    """The file is not a usable OPML document."""


@dataclass(slots=True)
class Outline:
    url: str
    title: str | None
    site_url: str | None
    categories: list[str] = field(default_factory=list)


def _folder(el: etree._Element) -> str | None:
    """The folder a feed outline sits in: its nearest ancestor outline without xmlUrl."""
    parent = el.getparent()
    while parent is not None and etree.QName(parent).localname == "outline":
        if not (parent.get("xmlUrl") or parent.get("xmlurl")):
            name = " ".join((parent.get("title") or parent.get("text") or "").split())
            if name:
                return name[:MAX_FOLDER]
        parent = parent.getparent()
    return None


def parse_opml(data: bytes) -> list[Outline]:
    """Every outline with an ``xmlUrl``, nested folders included, in document order (a
    URL listed twice is one outline, in both folders)."""
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
    by_url: dict[str, Outline] = {}
    out: list[Outline] = []
    for el in root.iter("outline"):
        url = (el.get("xmlUrl") or el.get("xmlurl") or "").strip()
        if not url:
            continue
        folder = _folder(el)
        if url in by_url:
            known = by_url[url]
            if folder and folder not in known.categories:
                known.categories.append(folder)
            continue
        title = (el.get("title") or el.get("text") or "").strip() or None
        outline = Outline(url=url, title=title, site_url=el.get("htmlUrl") or None,
                          categories=[folder] if folder else [])
        by_url[url] = outline
        out.append(outline)
    return out


def _feed_line(o: Outline, indent: str) -> str:
    attrs = f'type="rss" text={quoteattr(o.title or o.url)} xmlUrl={quoteattr(o.url)}'
    if o.title:
        attrs += f" title={quoteattr(o.title)}"
    if o.site_url:
        attrs += f" htmlUrl={quoteattr(o.site_url)}"
    return f"{indent}<outline {attrs}/>"


def write_opml(outlines: list[Outline], title: str = "Storyline subscriptions") -> str:
    """OPML 2.0: feeds in folders under one outline per folder (a feed in two folders is
    listed in both), the rest at the top level."""
    now = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{escape(title)}</title><dateCreated>{now}</dateCreated></head>",
        "  <body>",
    ]
    folders: dict[str, list[Outline]] = {}
    for o in outlines:
        for name in o.categories:
            folders.setdefault(name, []).append(o)
    for name in sorted(folders, key=str.lower):
        lines.append(f"    <outline text={quoteattr(name)} title={quoteattr(name)}>")
        lines += [_feed_line(o, "      ") for o in folders[name]]
        lines.append("    </outline>")
    lines += [_feed_line(o, "    ") for o in outlines if not o.categories]
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)
