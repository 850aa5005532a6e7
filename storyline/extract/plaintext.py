"""Plain-text articles: title, body and what the text itself says (agency, outlet, dates).

Also tells aggregator/story pages (many sources, citation markers, UI labels) from articles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from storyline.extract.clean import boilerplate_reason, clean_text, is_paragraph, normalise_line
from storyline.text.lexicon import AGENCIES, MONTH_NUMBERS

__all__ = ["PlainTextArticle", "is_aggregator_page", "parse_plain_text"]


@dataclass(slots=True)
class PlainTextArticle:
    """A pasted or plain-text article; ``inferred`` names fields guessed from the text."""

    title: str
    text: str
    outlet: str | None = None
    published: datetime | None = None
    image_caption: str | None = None
    image_credit: str | None = None
    agency: str | None = None
    dateline: str | None = None
    inferred: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


_SOURCE_LINE = re.compile(
    r"^\(?\s*(?:source|sources|with inputs? from)\s*:?\s*(?P<name>[^()]{2,60}?)\s*\)?\.?$", re.I
)
_RELATED_OUTLET = re.compile(
    r"^Related\s*(?P<outlet>[A-Z][\w&.'’]*(?:\s+[A-Z0-9][\w&.'’]*){0,3})\s+[-–—|:]\s+\S"
)
_COPYRIGHT = re.compile(
    r"^(?:©|\(c\)|copyright)\s*(?:\d{4}\s*)?(?P<outlet>[A-Z][\w&.'’ ]{1,40}?)[.,]?\s*(?:all rights reserved\.?)?$",
    re.I,
)
_GENERIC_OUTLET_WORDS = {
    "articles",
    "stories",
    "news",
    "content",
    "posts",
    "topics",
    "coverage",
    "reading",
    "links",
}
_DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Z .'’-]{1,40}(?:,\s*[A-Z][\w .'’-]{1,30})?)\s*"
    r"(?:\((?P<agency>[^)]{2,30})\))?\s*[:—–-]\s+\S"
)
_CAPTION_SLASH = re.compile(r"^(?P<caption>.{20,400}?)\s*/\s*(?P<credit>[A-Z][\w&.'’ -]{1,40})$")
_CAPTION_PAREN = re.compile(
    r"^(?P<caption>.{20,400}?)\s*\((?P<credit>(?:photo|image|credit)s?\s*:?\s*[^()]{2,40})\)$", re.I
)
_MONTH = r"(?P<month>jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE_MDY = re.compile(
    rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})\b", re.I
)
_DATE_DMY = re.compile(
    rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH}\s+(?P<year>\d{{4}})\b", re.I
)
_DATE_ISO = re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b")
_PUBLISHED_LINE = re.compile(r"^(?:published|posted|first published)\s*(?:on|:)?\s*", re.I)


def _find_date(text: str) -> datetime | None:
    """First explicit calendar date in ``text`` as midnight UTC."""
    for pattern in (_DATE_MDY, _DATE_DMY, _DATE_ISO):
        m = pattern.search(text)
        if not m:
            continue
        month = m.group("month")
        month_no = int(month) if month.isdigit() else MONTH_NUMBERS.get(month[:3].lower(), 0)
        try:
            return datetime(int(m.group("year")), month_no, int(m.group("day")), tzinfo=UTC)
        except ValueError:
            continue
    return None


def _agency_name(name: str) -> str | None:
    name = name.strip(" .:-–—()")
    if not name or len(name.split()) > 5:
        return None
    parts = [p.strip() for p in re.split(r"[,/&]| and ", name) if p.strip()]
    known = [AGENCIES.get(p.lower()) for p in parts]
    if known and all(known):
        return ", ".join(dict.fromkeys(k for k in known if k))
    return name if name[:1].isupper() else None


def _split_caption(line: str) -> tuple[str, str] | None:
    for pattern in (_CAPTION_SLASH, _CAPTION_PAREN):
        m = pattern.match(line)
        if m and len(m.group("caption").split()) >= 5:
            credit = re.sub(r"^(?:photo|image|credit)s?\s*:?\s*", "", m.group("credit"), flags=re.I)
            if len(credit.split()) <= 5:
                return m.group("caption").strip(), credit.strip()
    return None


def parse_plain_text(raw: str, *, published_hint: datetime | None = None) -> PlainTextArticle:
    """Title, cleaned body and facts stated by the text of a plain-text article."""
    lines = [normalise_line(line) for line in (raw or "").splitlines()]
    lines = [line for line in lines if line]
    removed: list[str] = []
    inferred: list[str] = []
    agency = outlet = dateline = caption = credit = None
    published: datetime | None = None
    caption_date: datetime | None = None
    stated_date: datetime | None = None
    body: list[str] = []

    start = 0
    while start < len(lines) and boilerplate_reason(lines[start]):
        removed.append(lines[start])
        start += 1
    title = ""
    if start < len(lines):
        first = lines[start]
        if not is_paragraph(first) and len(first.split()) <= 30:
            title = first
            start += 1
        else:
            title = _title_from_sentence(first)
            inferred.append("title")

    for line in lines[start:]:
        if agency is None and (m := _SOURCE_LINE.match(line)) and len(line.split()) <= 8:
            agency = _agency_name(m.group("name"))
        if outlet is None and (m := _RELATED_OUTLET.match(line) or _COPYRIGHT.match(line)):
            name = m.group("outlet").strip()
            if name.lower() not in _GENERIC_OUTLET_WORDS:
                outlet = name
        if stated_date is None and _PUBLISHED_LINE.match(line) and len(line.split()) <= 10:
            stated_date = _find_date(line)
        if (
            caption is None
            and not is_paragraph(line.rsplit("/", 1)[0] + "x")
            and (cap := _split_caption(line))
        ):
            caption, credit = cap
            caption_date = _find_date(caption)
            removed.append(line)
            continue
        if caption is None and (cap := _split_caption(line)) and cap[1].lower() in AGENCIES:
            caption, credit = cap
            caption_date = _find_date(caption)
            removed.append(line)
            continue
        body.append(line)

    for line in body[:3]:
        if is_paragraph(line) and (m := _DATELINE.match(line)):
            dateline = m.group("place").strip()
            if m.group("agency") and agency is None:
                agency = _agency_name(m.group("agency"))
            break

    if stated_date is not None:
        published = stated_date
        inferred.append("published")
    elif published_hint is not None:
        published = (
            published_hint.astimezone(UTC)
            if published_hint.tzinfo
            else published_hint.replace(tzinfo=UTC)
        )
    elif caption_date is not None:
        published = caption_date
        inferred.append("published")
    for name, value in (
        ("agency", agency),
        ("outlet", outlet),
        ("dateline", dateline),
        ("image_caption", caption),
        ("image_credit", credit),
    ):
        if value:
            inferred.append(name)

    cleaned = clean_text("\n".join(body), title or None)
    return PlainTextArticle(
        title=title,
        text=cleaned.text,
        outlet=outlet,
        published=published,
        image_caption=caption,
        image_credit=credit,
        agency=agency,
        dateline=dateline,
        inferred=inferred,
        removed=removed + cleaned.removed,
    )


def _title_from_sentence(paragraph: str, limit: int = 120) -> str:
    if m := _DATELINE.match(paragraph):
        paragraph = paragraph[m.end() - 1 :]
    sentence = re.split(r"(?<=[a-z0-9”\"'’)]{2}[.!?])\s+", paragraph, maxsplit=1)[0]
    if len(sentence) <= limit:
        return sentence.rstrip(".")
    return sentence[:limit].rsplit(" ", 1)[0] + "…"


_CITATION = re.compile(r"\[\d{1,3}\]")
_COUNT_LABEL = re.compile(
    r"\((?:\d+)\s+(?:articles?|sources?|sub-stories|stories|links|outlets)\)", re.I
)
_UI_LABELS = frozenset(
    {
        "top headlines",
        "feeds",
        "sources",
        "timeline",
        "dive deeper",
        "all related articles",
        "external resources",
        "full coverage",
        "related coverage",
        "more coverage",
        "perspectives",
        "updated",
        "top stories",
        "for you",
        "following",
        "full size",
        "key points",
        "highlights",
        "related articles",
        "all articles",
        "see all sources",
        "blindspot",
        "bias distribution",
    }
)
_TIMELINE_ENTRY = re.compile(rf"^{_MONTH}\s+\d{{1,2}}(?:[-–‑]\d{{1,2}})?,?\s+\d{{4}}\s*[–—-]", re.I)
_WORDS = re.compile(r"\w+")


def is_aggregator_page(text: str) -> str | None:
    """A short reason when ``text`` is an aggregator/story page rather than one article."""
    lines = [normalise_line(line) for line in (text or "").splitlines()]
    lines = [line for line in lines if line]
    n_words = len(_WORDS.findall(text or ""))
    if not lines or n_words == 0:
        return None
    signals: list[str] = []
    citations = len(_CITATION.findall(text))
    if citations >= 5 and citations * 1000 / n_words >= 5:
        signals.append(f"{citations} citation markers")
    labels = set()
    for line in lines:
        key = _COUNT_LABEL.sub("", line).strip().lower().rstrip(":")
        if key in _UI_LABELS:
            labels.add(key)
    counted = sum(1 for line in lines if _COUNT_LABEL.search(line) and len(line.split()) <= 8)
    if len(labels) >= 3:
        signals.append("aggregator labels: " + ", ".join(sorted(labels)))
    if counted >= 2:
        signals.append(f"{counted} article-count labels")
    timeline = sum(1 for line in lines if _TIMELINE_ENTRY.match(line))
    if timeline >= 3:
        signals.append(f"{timeline} timeline entries")
    if len(signals) >= 2:
        return "aggregator page: " + "; ".join(signals)
    return None
