"""Reader-facing quality of written story pages: what a reader would call repetition,
boilerplate, off-story text and weak section titles, counted per page and in total.

The definitions are the yardstick's (the reference page scorer the project measures its
pages with), kept here as this metric's own so the figures stay comparable over time:

* **repeated pair**: two summary sentences anywhere on the page whose MiniLM cosine is
  >= :data:`REPEAT_COSINE`, or that share >= :data:`REPEAT_SHARED_WORDS` of the shorter
  one's content words (:func:`content_words`): the reader reads one fact twice.
* **furniture**: a summary sentence or timeline entry matching :data:`FURNITURE` (bylines,
  "posted in", subscribe prompts, photo credits, correction notes...).
* **off-story**: a summary sentence whose cosine to the page's anchor (headline vector
  plus the mean of its sentence vectors, each unit-normalised, then normalised) is below
  :data:`OFF_STORY_COSINE`.
* **short title**: a section title of at most :data:`SHORT_TITLE_WORDS` words (an empty
  title is one).
* **timeline dupe**: a timeline entry with cosine >= :data:`REPEAT_COSINE` to an earlier
  entry of the same timeline.
* **outlets per sentence**: the distinct outlets among a summary sentence's cited sources
  (a source's outlet name, else its URL's host; a source with neither counts as an
  outlet of its own), averaged over sentences (the one figure the yardstick lacks).

Pages without summary sentences are not scored. Vectors come from the fp32 (torch)
encoder, :data:`METRIC_BACKEND`, whatever ``embed_backend`` the pipeline uses, so the
thresholds mean the same on every machine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from sqlalchemy import Engine

from storyline.nlp.encoder import Embedder
from storyline.storage import summaries as summary_store
from storyline.text.lexicon import PAGE_METRIC_STOP_WORDS
from storyline.write import factgroups
from storyline.write.factgroups import repeats

__all__ = [
    "FURNITURE",
    "METRIC_BACKEND",
    "OFF_STORY_COSINE",
    "REPEAT_COSINE",
    "REPEAT_SHARED_WORDS",
    "SHORT_TITLE_WORDS",
    "STOP_WORDS",
    "PageScore",
    "PagesReport",
    "content_words",
    "score_database",
    "score_page",
    "score_pages",
]

METRIC_BACKEND = "torch"  # the fp32 model: int8 vectors would move the thresholds
REPEAT_COSINE = 0.80  # two sentences (or timeline entries) saying the same
REPEAT_SHARED_WORDS = 0.60  # share of the shorter sentence's content words
OFF_STORY_COSINE = 0.25  # below this to headline + centroid, a sentence is off the story
SHORT_TITLE_WORDS = 2  # a section title this short names no theme

# Site furniture, as the metric defines it (wider than what the extractor strips, and
# fixed: a metric must not move when the cleaner learns a new pattern).
FURNITURE = re.compile(
    r"(posted in|on behalf of|click here|subscribe|sign up|newsletter|all rights reserved|"
    r"copyright|follow us|read more|related:|advertisement|cookie|terms of use|"
    r"privacy policy|share this|\bphoto(graph)?:|getty images|/ reuters$|\(ap photo|"
    r"email this|comments? \(\d+\)|"
    r"this (article|story) (was|has been) (updated|corrected)|staff writer|"
    r"contributed to this report)",
    re.I)
# The metric's own stop words: a short list of function words and reporting verbs
# (narrower than the writer's FACT_STOP_WORDS, which would change the counts).
STOP_WORDS = PAGE_METRIC_STOP_WORDS


def content_words(sentence: str) -> set[str]:
    """Lower-case words of 3+ characters that are not :data:`STOP_WORDS`."""
    return factgroups.content_words(sentence, STOP_WORDS)


@dataclass(slots=True)
class PageScore:
    """The counts of one page, with a few of the offending texts for the report."""

    story_id: int | None
    headline: str
    sentences: int
    repeated_pairs: int
    furniture: int
    off_story: int
    titles: int
    short_titles: int
    timeline: int
    timeline_dupes: int
    timeline_furniture: int
    outlets_cited: int  # summed over sentences: distinct outlets each cites
    repeated: list[tuple[str, str]] = field(default_factory=list)
    furniture_text: list[str] = field(default_factory=list)
    off_story_text: list[str] = field(default_factory=list)
    short_title_text: list[str] = field(default_factory=list)

    @property
    def outlets_per_sentence(self) -> float:
        return self.outlets_cited / self.sentences if self.sentences else 0.0

    @property
    def badness(self) -> int:
        """Worst-first order: repeats + 2 x furniture + off-story sentences."""
        return self.repeated_pairs + 2 * self.furniture + self.off_story

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["repeated"] = [list(p) for p in self.repeated]
        out["outlets_per_sentence"] = round(self.outlets_per_sentence, 4)
        return out


_TOTALLED = ("sentences", "repeated_pairs", "furniture", "off_story", "titles",
             "short_titles", "timeline", "timeline_dupes", "timeline_furniture",
             "outlets_cited")


@dataclass
class PagesReport:
    pages: list[PageScore]

    def worst_first(self) -> list[PageScore]:
        return sorted(self.pages, key=lambda p: (-p.badness, p.story_id or 0))

    def totals(self) -> dict[str, Any]:
        """Sums over pages, pages with any repeat, and the rates."""
        out: dict[str, Any] = {"pages": len(self.pages)}
        for name in _TOTALLED:
            out[name] = sum(getattr(p, name) for p in self.pages)
        out["pages_with_repeats"] = sum(1 for p in self.pages if p.repeated_pairs)
        n = max(1, len(self.pages))
        out["repeats_per_page"] = out["repeated_pairs"] / n
        out["short_title_share"] = out["short_titles"] / max(1, out["titles"])
        out["outlets_per_sentence"] = out["outlets_cited"] / max(1, out["sentences"])
        return out


def _unit(v: np.ndarray) -> np.ndarray:
    return v / (np.linalg.norm(v) + 1e-9)


def _source_outlets(page: Mapping[str, Any]) -> dict[int, str]:
    """Each source's outlet by its index: its outlet name, else its URL's host, else the
    source itself (an unnamed source is an outlet of its own)."""
    out: dict[int, str] = {}
    for s in page.get("sources") or []:
        if s.get("index") is None:
            continue
        index = int(s["index"])
        host = urlsplit(s.get("url") or "").hostname or ""
        out[index] = s.get("outlet") or host.removeprefix("www.") or f"source {index}"
    return out


def score_page(page: Mapping[str, Any], encoder: Embedder,
               story_id: int | None = None) -> PageScore | None:
    """The counts of one page (a summary document, as ``stories summary --json`` prints
    it); None for a page without summary sentences."""
    sections = page.get("sections") or []
    sentences = [s for sec in sections for s in sec.get("sentences") or []]
    texts = [s["text"] for s in sentences]
    if not texts:
        return None
    vecs = encoder.encode(texts)
    sims = vecs @ vecs.T
    words = [content_words(t) for t in texts]
    repeated: list[tuple[int, int]] = []
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            if repeats(float(sims[i, j]), words[i], words[j], cosine=REPEAT_COSINE,
                       share=REPEAT_SHARED_WORDS):
                repeated.append((i, j))
    furniture = [t for t in texts if FURNITURE.search(t)]
    headline = page.get("headline") or ""
    anchor = _unit(encoder.encode([headline])[0] + _unit(vecs.mean(0)))
    off = [t for t, v in zip(texts, vecs, strict=True) if float(v @ anchor) < OFF_STORY_COSINE]
    titles = [sec.get("title") or "" for sec in sections]
    short = [t for t in titles if len(t.split()) <= SHORT_TITLE_WORDS]
    timeline = [e.get("text") or "" for e in page.get("timeline") or []]
    dupes = 0
    if timeline:
        tvecs = encoder.encode(timeline)
        tsims = tvecs @ tvecs.T
        dupes = sum(1 for j in range(len(timeline))
                    if any(tsims[i, j] >= REPEAT_COSINE for i in range(j)))
    outlets = _source_outlets(page)
    cited = sum(len({outlets[c] for c in s.get("citations") or [] if c in outlets})
                for s in sentences)
    return PageScore(
        story_id=story_id if story_id is not None else page.get("story_id"),
        headline=headline, sentences=len(texts), repeated_pairs=len(repeated),
        furniture=len(furniture), off_story=len(off), titles=len(titles),
        short_titles=len(short), timeline=len(timeline), timeline_dupes=dupes,
        timeline_furniture=sum(1 for t in timeline if FURNITURE.search(t)),
        outlets_cited=cited, repeated=[(texts[i], texts[j]) for i, j in repeated[:3]],
        furniture_text=furniture[:2], off_story_text=off[:2], short_title_text=short)


def score_pages(pages: Iterable[tuple[int | None, Mapping[str, Any]]],
                encoder: Embedder) -> PagesReport:
    """Score (story id, page) pairs; pages without sentences are left out."""
    scored = [score_page(page, encoder, story_id) for story_id, page in pages]
    return PagesReport([s for s in scored if s is not None])


def score_database(engine: Engine, encoder: Embedder, *, min_articles: int = 1) -> PagesReport:
    """Score the written page of every active story of at least ``min_articles``
    articles."""
    with engine.connect() as conn:
        pages = summary_store.written(conn, min_articles=min_articles)
    return score_pages(pages, encoder)
