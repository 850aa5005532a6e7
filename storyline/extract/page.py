"""Main text and metadata of one HTML page (trafilatura for the text, one lxml tree for the rest)."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml.etree import XPath
from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.utils import load_html

from storyline.extract.clean import clean_text, is_prompt, normalise_line
from storyline.models import ExtractedPage
from storyline.parse.encoding import decode_document
from storyline.text.dates import PAGE_LAYOUTS, parse_datetime

__all__ = ["decode_html", "extract_html"]

LOG = logging.getLogger(__name__)

MAX_LINKS = 50
MIN_MAIN_TEXT_WORDS = 5  # fewer words than this is "no main text"
_MAX_CAPTION = 300
_MAX_CREDIT = 100

_WORD = re.compile(r"\w+")

_META = XPath("//meta[@content]")
_LINK_REL = XPath("//link[@href and @rel]")
_JSON_LD = XPath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]/text()')
_TITLE = XPath("//title//text()")
_H1 = XPath("(//h1)[1]")
_HTML_LANG = XPath("/html/@lang | /html/@xml:lang")
_BASE = XPath("//base/@href")
_FIGURES = XPath("(//figure)[position() <= 12]")
_IMG_SRC = XPath(".//img/@src | .//img/@data-src | .//source/@srcset | .//img/@srcset")
_FIGCAPTION = XPath(".//figcaption | .//*[contains(@class, 'caption')]")
_CREDIT_NODES = XPath(
    ".//*[contains(@class, 'credit') or contains(@class, 'copyright') or contains(@class, 'source')"
    " or contains(@class, 'photographer') or contains(@itemprop, 'copyright')"
    " or contains(@itemprop, 'author')]"
)
_AUTHOR_NODES = XPath(
    "(//*[@rel='author' or @itemprop='author' or contains(@class, 'byline')"
    " or contains(@class, 'author-name')])[position() <= 5]"
)
_TIME_PUBLISHED = XPath(
    "(//*[@itemprop='datePublished'])[1]/@content | (//*[@itemprop='datePublished'])[1]/@datetime"
)
_ANCHORS = XPath("//a[@href]")
_BLOCK_TAGS = {
    "p",
    "li",
    "blockquote",
    "td",
    "dd",
    "h2",
    "h3",
    "h4",
    "figcaption",
    "div",
    "section",
}

_DATE_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "published_time",
    "datepublished",
    "date",
    "pubdate",
    "publishdate",
    "publish-date",
    "dc.date.issued",
    "dc.date",
    "dcterms.created",
    "sailthru.date",
    "parsely-pub-date",
    "article.published",
    "og:published_time",
)
_CREDIT_TAIL = re.compile(
    r"^(?P<caption>.*?)\s*(?:"
    r"[/|]\s*(?P<slash>[^/|]{2,60})"
    r"|\((?P<paren>(?:photo|image|picture|credit|file)?[^()]{2,60})\)"
    r"|(?:photograph|photo|image|picture|credit|foto)s?\s*(?:by|:)\s*(?P<label>[^.]{2,60})"
    r")\.?\s*$",
    re.IGNORECASE,
)
_CREDIT_WORDS = re.compile(
    r"getty|reuters|afp|\bap\b|associated press|epa|shutterstock|alamy|photo|image|credit|"
    r"©|copyright|courtesy|anadolu|\baa\b|xinhua|dpa|bloomberg|handout|file",
    re.IGNORECASE,
)
_CREDIT_LABEL = re.compile(
    r"^(?:(?:©|\(c\))\s*|(?:copyright|photographs?|photos?|images?|pictures?|fotos?|credits?|"
    r"courtesy of|courtesy|source|by)\b[\s:.]*)+",
    re.IGNORECASE,
)
_CAPTION_LABEL = re.compile(r"^(?:image|photo|picture)\s*(?:caption\b|:)\s*:?\s*", re.IGNORECASE)
_BY_PREFIX = re.compile(r"^\s*(?:by|written by|von|par|por)\s+", re.IGNORECASE)
_TITLE_SEPARATORS = re.compile(r"\s+[|–—·•»:-]\s+")


def decode_html(data: bytes, content_type: str | None = None) -> str:
    """Decode page bytes (BOM, valid UTF-8, declared charset, then detection)."""
    return decode_document(data, content_type).text


def _looks_like_junk(text: str) -> bool:
    sample = text[:20_000]
    if not sample.strip() or "<" not in sample:
        return True
    bad = sum(1 for c in sample if (c < " " and c not in "\t\n\r\f") or c == "\ufffd")
    return bad > len(sample) * 0.02


def _clip(value: str | None, limit: int) -> str | None:
    if not value:
        return None
    value = normalise_line(" ".join(value.split()))
    if not value:
        return None
    if len(value) > limit:
        value = value[:limit].rsplit(" ", 1)[0] + "…"
    return value


def _absolute(base: str | None, href: str | None) -> str | None:
    if not href:
        return None
    href = href.strip()
    if href.startswith("//"):
        scheme = urlsplit(base).scheme if base else "https"
        href = f"{scheme or 'https'}:{href}"
    full = urljoin(base, href) if base else href
    return full if urlsplit(full).scheme in ("http", "https") else None


def _meta_map(tree: HtmlElement) -> dict[str, str]:
    found: dict[str, str] = {}
    for el in _META(tree):
        key = (
            el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv") or ""
        )
        key = key.strip().lower()
        content = (el.get("content") or "").strip()
        if key and content and key not in found:
            found[key] = content
    return found


def _json_ld(tree: HtmlElement) -> dict[str, Any]:
    """The first Article-like JSON-LD object (or an empty dict)."""
    fallback: dict[str, Any] = {}
    for raw in _JSON_LD(tree):
        try:
            data = json.loads(raw)
        except (ValueError, TypeError):
            continue
        for obj in _walk_ld(data):
            kind = obj.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if any(
                isinstance(k, str) and ("Article" in k or k in ("BlogPosting", "Report"))
                for k in kinds
            ):
                return obj
            if not fallback and ("headline" in obj or "datePublished" in obj):
                fallback = obj
    return fallback


def _walk_ld(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 4:
        return
    if isinstance(data, list):
        for item in data:
            yield from _walk_ld(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity", "mainEntityOfPage"):
            if key in data:
                yield from _walk_ld(data[key], depth + 1)


def _ld_name(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        name = value.get("name") or value.get("url")
        return name if isinstance(name, str) else None
    if isinstance(value, list):
        names = [n for n in (_ld_name(v) for v in value) if n]
        return ", ".join(dict.fromkeys(names)) if names else None
    return None


def _parse_datetime(value: str | None) -> datetime | None:
    """A page's date as aware UTC; None when unreadable or implausible (before 1990 or
    after next year: a template's placeholder, a copyright year gone wrong)."""
    if not value or not isinstance(value, str):
        return None
    parsed = parse_datetime(value, PAGE_LAYOUTS)
    if parsed is None or not 1990 <= parsed.year <= datetime.now(UTC).year + 1:
        return None
    return parsed


def _published(
    tree: HtmlElement, meta: dict[str, str], ld: dict[str, Any], url: str | None
) -> datetime | None:
    candidates: list[Any] = [ld.get("datePublished"), ld.get("dateCreated")]
    candidates += [meta.get(key) for key in _DATE_KEYS]
    candidates += list(_TIME_PUBLISHED(tree))
    for value in candidates:
        parsed = _parse_datetime(value if isinstance(value, str) else None)
        if parsed:
            return parsed
    try:
        from htmldate import find_date

        found = find_date(tree, url=url, extensive_search=False, original_date=True)
    except Exception:  # htmldate is best effort on odd pages
        LOG.debug("htmldate failed for %s", url, exc_info=True)
        found = None
    return _parse_datetime(found)


def _title(
    tree: HtmlElement, meta: dict[str, str], ld: dict[str, Any], site: str | None
) -> str | None:
    for value in (meta.get("og:title"), ld.get("headline"), meta.get("twitter:title")):
        if isinstance(value, str) and value.strip():
            return _strip_site(normalise_line(value), site)
    h1 = _H1(tree)
    if h1:
        text = normalise_line(" ".join(h1[0].text_content().split()))
        if 2 <= len(text) <= 300:
            return text
    title = normalise_line(" ".join("".join(_TITLE(tree)).split()))
    return _strip_site(title, site) if title else None


def _strip_site(title: str, site: str | None) -> str:
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    site_key = (site or "").lower()
    last = parts[-1].lower()
    if site_key and (last in site_key or site_key in last):
        return title[: title.rfind(parts[-1])].rstrip(" |–—·•»:-")
    if len(parts) == 2 and len(parts[1].split()) <= 3 and len(parts[0].split()) >= 4:
        return parts[0]
    return title


def _byline(tree: HtmlElement, meta: dict[str, str], ld: dict[str, Any]) -> str | None:
    candidates = [
        _ld_name(ld.get("author")),
        meta.get("author"),
        meta.get("article:author"),
        meta.get("parsely-author"),
        meta.get("sailthru.author"),
        meta.get("dc.creator"),
    ]
    for el in _AUTHOR_NODES(tree):
        candidates.append(el.text_content())
    for value in candidates:
        if not value:
            continue
        value = _BY_PREFIX.sub("", " ".join(value.split()).split(" | ")[0]).strip(" ,;|")
        if value.startswith("http") or "/" in value or not (2 < len(value) <= 100):
            continue
        if len(value.split()) > 8 or any(c.isdigit() for c in value):
            continue
        return value
    return None


def _site_name(meta: dict[str, str], ld: dict[str, Any], url: str | None) -> str | None:
    for value in (
        meta.get("og:site_name"),
        _ld_name(ld.get("publisher")),
        meta.get("application-name"),
    ):
        if value and value.strip():
            value = normalise_line(value.lstrip("@"))
            return value.split(" | ")[0] if len(value) > 40 else value
    host = urlsplit(url).hostname if url else None
    return host.removeprefix("www.") if host else None


def _language(tree: HtmlElement, meta: dict[str, str], ld: dict[str, Any]) -> str | None:
    values = list(_HTML_LANG(tree)) + [
        meta.get("content-language"),
        meta.get("og:locale"),
        ld.get("inLanguage"),
    ]
    for value in values:
        if isinstance(value, str) and (m := re.match(r"\s*([A-Za-z]{2,3})(?:[-_]|\s*$)", value)):
            return m.group(1).lower()
    return None


def _image(meta: dict[str, str], ld: dict[str, Any], base: str | None) -> str | None:
    ld_image = ld.get("image")
    if isinstance(ld_image, list):
        ld_image = ld_image[0] if ld_image else None
    if isinstance(ld_image, dict):
        ld_image = ld_image.get("url")
    for value in (
        meta.get("og:image"),
        meta.get("og:image:url"),
        meta.get("twitter:image"),
        meta.get("twitter:image:src"),
        ld_image if isinstance(ld_image, str) else None,
    ):
        if absolute := _absolute(base, value):
            return absolute
    return None


def split_credit(caption: str) -> tuple[str, str | None]:
    """Split a trailing credit ("… / Reuters", "(Getty Images)", "Photo: AP") off a caption."""
    m = _CREDIT_TAIL.match(caption)
    if not m:
        return caption, None
    credit = (m.group("slash") or m.group("paren") or m.group("label") or "").strip(" .")
    if m.group("paren") and not _CREDIT_WORDS.search(credit):
        return caption, None
    if m.group("slash") and len(credit.split()) > 6:
        return caption, None
    return m.group("caption").strip(), credit or None


def _figure_caption(fig: HtmlElement) -> tuple[str | None, str | None]:
    credit_nodes = _CREDIT_NODES(fig)
    credit = credit_nodes[0].text_content() if credit_nodes else None
    caption = _FIGCAPTION(fig)[0].text_content()
    if credit and caption:
        caption = caption.replace(credit, " ")
    caption = _CAPTION_LABEL.sub("", " ".join(caption.split())).rstrip(" ([")
    if caption and not (credit and credit.strip()):
        caption, credit = split_credit(caption)
    return caption or None, credit


def _clean_credit(credit: str | None) -> str | None:
    credit = _clip(credit, _MAX_CREDIT)
    if not credit:
        return None
    if ")" in credit and "(" not in credit:
        credit = credit.split(")")[0]
    credit = credit.strip("()[] ")
    credit = _CREDIT_LABEL.sub("", credit).strip(" .:")
    return credit or None


def _image_caption(
    tree: HtmlElement, meta: dict[str, str], image_url: str | None, title: str | None
) -> tuple[str | None, str | None]:
    stem = urlsplit(image_url).path.rsplit("/", 1)[-1].rsplit(".", 1)[0] if image_url else ""
    best: tuple[str | None, str | None] = (None, None)
    for fig in _FIGURES(tree):
        if not _FIGCAPTION(fig):
            continue
        caption, credit = _figure_caption(fig)
        if not caption and not credit or (caption and is_prompt(caption)):
            continue
        if stem and len(stem) > 3 and any(stem in src for src in _IMG_SRC(fig)):
            best = (caption, credit)
            break
        if best == (None, None):
            best = (caption, credit)
    caption, credit = best
    if not caption:
        alt = meta.get("og:image:alt") or meta.get("twitter:image:alt")
        if alt:
            caption, alt_credit = split_credit(" ".join(alt.split()))
            credit = credit or alt_credit
    if caption and title and caption.strip().lower() == title.strip().lower():
        caption = None
    return _clip(caption, _MAX_CAPTION), _clean_credit(credit)


def _links(tree: HtmlElement, text: str, base: str | None, page_url: str | None) -> list[str]:
    flat = " ".join(text.split())
    found: dict[str, None] = {}
    own = {u.split("#")[0] for u in (page_url, base) if u}
    for a in _ANCHORS(tree):
        label = " ".join(a.text_content().split())
        if len(label) < 2 or label not in flat:
            continue
        block = a.getparent()
        while block is not None and block.tag not in _BLOCK_TAGS:
            block = block.getparent()
        if block is None:
            continue
        context = " ".join(block.text_content().split())[:80]
        if len(context) < 25 or context not in flat:
            continue
        href = _absolute(base, a.get("href"))
        if not href or href.split("#")[0] in own:
            continue
        found[href] = None
        if len(found) >= MAX_LINKS:
            break
    return list(found)


_ONE_AT_A_TIME = threading.Lock()


def extract_html(
    html: str | bytes, url: str | None = None, *, content_type: str | None = None
) -> ExtractedPage | None:
    """Main text and metadata of a page; None when no main text can be found.

    One extraction at a time per process: trafilatura and this module evaluate shared,
    module-level lxml XPath objects, which are not thread-safe (two fetch threads crashed
    the interpreter in _prepare_tree once). Parallel extraction uses processes."""
    try:
        with _ONE_AT_A_TIME:
            return _extract(html, url, content_type)
    except Exception:  # broken input must never stop a fetch run
        LOG.warning("extraction failed for %s", url, exc_info=True)
        return None


def _extract(html: str | bytes, url: str | None, content_type: str | None) -> ExtractedPage | None:
    if not html:
        return None
    text = decode_html(html, content_type) if isinstance(html, bytes) else html
    if _looks_like_junk(text):
        return None
    tree = load_html(text)
    if tree is None:
        return None
    meta = _meta_map(tree)
    ld = _json_ld(tree)
    base_href = _BASE(tree)
    canonical = None
    for el in _LINK_REL(tree):
        if "canonical" in (el.get("rel") or "").lower().split():
            canonical = _absolute(url, el.get("href"))
            break
    canonical = canonical or _absolute(url, meta.get("og:url")) or url
    base = _absolute(url, base_href[0]) if base_href else (url or canonical)
    doc = bare_extraction(tree, url=url, include_comments=False, favor_precision=True)
    raw_text = getattr(doc, "text", None) if doc is not None else None
    if not raw_text or not raw_text.strip():
        return None
    site = _site_name(meta, ld, url or canonical)
    title = _title(tree, meta, ld, site)
    cleaned = clean_text(raw_text, title)
    if len(_WORD.findall(cleaned.text)) < MIN_MAIN_TEXT_WORDS:
        return None
    image_url = _image(meta, ld, base)
    caption, credit = _image_caption(tree, meta, image_url, title)
    description = (
        meta.get("og:description") or meta.get("description") or meta.get("twitter:description")
    )
    return ExtractedPage(
        text=cleaned.text,
        title=title,
        byline=_byline(tree, meta, ld),
        published=_published(tree, meta, ld, url),
        language=_language(tree, meta, ld),
        site_name=site,
        canonical_url=canonical,
        description=_clip(description, 1000),
        image_url=image_url,
        image_caption=caption,
        image_credit=credit,
        links=_links(tree, cleaned.text, base, canonical),
        method="trafilatura",
    )
