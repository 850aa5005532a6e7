"""The story page as data: one schema for every writer, rendered as JSON/Markdown/HTML
later. Citations are 1-based indices into ``sources``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(slots=True)
class StoryArticle:
    """What the writer reads of one member article."""

    id: int | str
    title: str
    text: str
    outlet: str | None = None
    url: str | None = None
    published: datetime | None = None
    image_url: str | None = None
    image_caption: str | None = None
    image_credit: str | None = None
    duplicate_of: int | str | None = None
    links: list[str] = field(default_factory=list)  # links inside its main text
    title_inferred: bool = False  # no title was given: it is the first sentence


@dataclass(slots=True)
class Sentence:
    text: str
    citations: list[int]


@dataclass(slots=True)
class Section:
    title: str
    sentences: list[Sentence]


@dataclass(slots=True)
class SourceRef:
    index: int
    article_id: int | str
    outlet: str | None
    title: str
    url: str | None
    published: datetime | None


@dataclass(slots=True)
class TimelineEntry:
    date: date
    precision: str  # day | month | year
    text: str
    citations: list[int]
    story_id: int | None = None  # an earlier story of the storyline (no source citation)


@dataclass(slots=True)
class Image:
    url: str
    caption: str | None
    credit: str | None
    citation: int


@dataclass(slots=True)
class SubstoryRef:
    """A sub-story ("Dive deeper"): an angle of the story with its own articles."""

    id: int
    label: str
    article_count: int
    citations: list[int]  # sources among its articles


@dataclass(slots=True)
class RelatedArticle:
    """One member article ("All related articles"), duplicates included."""

    article_id: int | str
    outlet: str | None
    title: str
    url: str | None
    published: datetime | None
    source: int | None = None  # its index in ``sources`` when it is a cited source
    duplicate_of: int | str | None = None


@dataclass(slots=True)
class ExternalLink:
    """A non-news page the articles link to (an official statement, a report, a dataset)."""

    url: str
    title: str
    domain: str
    citations: list[int]


@dataclass(slots=True)
class ConflictClaim:
    value: str  # the figure as the outlet gives it, e.g. "six hours"
    text: str  # the source sentence that gives it
    citations: list[int]


@dataclass(slots=True)
class Conflict:
    """Outlets give different figures for the same thing ("sources differ")."""

    subject: str
    claims: list[ConflictClaim]


@dataclass
class StorySummary:
    headline: str
    updated_at: datetime | None
    article_count: int
    outlets: list[str]
    sections: list[Section]
    sources: list[SourceRef]
    timeline: list[TimelineEntry]
    image: Image | None = None
    writer: str = "extractive"
    checked_sentences: int = 0
    supported_sentences: int = 0
    dropped: list[str] = field(default_factory=list)
    story_id: int | None = None
    storyline_id: int | None = None
    substories: list[SubstoryRef] = field(default_factory=list)
    related: list[RelatedArticle] = field(default_factory=list)
    external_links: list[ExternalLink] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def support_rate(self) -> float:
        return self.supported_sentences / self.checked_sentences if \
            self.checked_sentences else 1.0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["support_rate"] = round(self.support_rate, 4)
        return out
