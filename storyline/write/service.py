"""The writing stage over the database: (re)write the summary of every story whose
members changed since it was last written (``stories.members_hash``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from storyline.nlp.encoder import Embedder
from storyline.settings import Settings, SettingsError
from storyline.storage import pages as page_store
from storyline.storage import stories as story_store
from storyline.storage import summaries as summary_store
from storyline.text.dates import known_time
from storyline.text.jsonio import json_default
from storyline.write.extractive import ExtractiveWriter
from storyline.write.keyphrases import PhraseTagger
from storyline.write.llm import LLMConfig, LLMWriter
from storyline.write.page import render_for_storage
from storyline.write.schema import StoryArticle, StorySummary, SubstoryRef, TimelineEntry


def make_writer(settings: Settings, embedder: Embedder, *,
                tagger: PhraseTagger | None = None) -> ExtractiveWriter | LLMWriter:
    """The writer the settings ask for, over the given encoder (and phrase tagger): the
    extractive writer, or the LLM writer with that extractive writer as its fallback. A
    misconfigured LLM writer is a user error. Nothing is loaded until it writes."""
    if settings.writer not in ("extractive", "llm"):
        raise SettingsError(f"writer must be extractive or llm, got {settings.writer!r}")
    if settings.writer == "llm" and (not settings.llm_base_url or not settings.llm_model):
        raise SettingsError("writer=llm needs STORYLINE_LLM_BASE_URL and STORYLINE_LLM_MODEL")
    extractive = ExtractiveWriter(embedder=embedder, tagger=tagger)
    if settings.writer == "extractive":
        return extractive
    return LLMWriter(LLMConfig(base_url=settings.llm_base_url, model=settings.llm_model,
                               api_key=settings.llm_api_key), extractive=extractive)


@dataclass
class WriteReport:
    written: int = 0
    sentences: int = 0
    supported: int = 0

    @property
    def support_rate(self) -> float:
        return self.supported / self.sentences if self.sentences else 1.0


def stale_stories(conn: Connection, *, everything: bool = False) -> list[int]:
    """The ids of the stories to (re)write: without a summary, or with one written for
    another member list (every active story with ``everything``)."""
    return summary_store.stale_story_ids(conn, everything=everything)


def articles_to_write(conn: Connection, story_id: int) -> list[StoryArticle]:
    """The story's articles as the writer reads them, in time order."""
    return [StoryArticle(id=r.id, title=r.title, text=r.text, outlet=r.outlet, url=r.url,
                         published=known_time(r.published, r.fetched_at, r.source_id is not None),
                         image_url=r.image_url,
                         image_caption=r.image_caption, image_credit=r.image_credit,
                         duplicate_of=r.duplicate_of, links=json.loads(r.links or "[]"),
                         title_inferred="title" in json.loads(r.inferred_fields or "[]"))
            for r in story_store.articles_to_write(conn, story_id)]


def earlier_in_storyline(conn: Connection, story_id: int) -> list[TimelineEntry]:
    """Timeline entries for the earlier stories of this story's storyline."""
    return [TimelineEntry(date=r.first_time.date(), precision="day",
                          text=r.headline or r.title or "", citations=[], story_id=r.id)
            for r in story_store.earlier_in_storyline(conn, story_id)
            if r.first_time is not None]


def attach_story_context(conn: Connection, story_id: int, summary: StorySummary) -> None:
    """What the writer cannot know from the articles alone: the story's own id, its
    storyline and its sub-stories ("Dive deeper"), each citing the sources among its
    articles."""
    summary.story_id = story_id
    summary.storyline_id = story_store.storyline_id_of(conn, story_id)
    index = {src.article_id: src.index for src in summary.sources}
    dup_of = {r.article_id: r.duplicate_of for r in summary.related}
    members: dict[int, list[int]] = {}
    for article_id, substory_id in story_store.substory_members(conn, story_id):
        original = dup_of.get(article_id)
        cited = index.get(article_id) or (index.get(original) if original is not None
                                          else None)
        if cited is not None:
            members.setdefault(substory_id, []).append(cited)
    summary.substories = [
        SubstoryRef(id=r.id, label=r.label, article_count=r.article_count,
                    citations=sorted(set(members.get(r.id, []))))
        for r in page_store.substories_of(conn, story_id)
    ]


def name_storyline(conn: Connection, story_id: int, summary: StorySummary) -> None:
    """A storyline is titled by the headline of its biggest story: set it when that
    story is (re)written."""
    if summary.storyline_id is None:
        return
    if story_store.biggest_in_storyline(conn, summary.storyline_id) == story_id:
        story_store.set_storyline_title(conn, summary.storyline_id, summary.headline)


def save_summary(conn: Connection, story_id: int, members_hash: str,
                 summary: StorySummary) -> None:
    """Store the summary with its story page rendered now, once, so the web reader
    serves it without rendering (``storyline.write.page``)."""
    doc = json.dumps(summary.to_dict(), default=json_default, ensure_ascii=False)
    written_at = datetime.now(UTC)
    pages = render_for_storage(conn, story_id, members_hash=members_hash,
                               headline=summary.headline, summary_json=doc,
                               written_at=written_at)
    summary_store.replace(conn, story_id=story_id, members_hash=members_hash,
                          writer=summary.writer, headline=summary.headline,
                          support_rate=summary.support_rate, summary=doc,
                          written_at=written_at, pages=pages)


def load_summary(conn: Connection, story_id: int) -> dict[str, Any] | None:
    return summary_store.load(conn, story_id)


def write_stories(db: Engine, *, writer: ExtractiveWriter | LLMWriter | None = None,
                  everything: bool = False, story_ids: list[int] | None = None,
                  progress: Callable[[int, int], None] | None = None) -> WriteReport:
    """Write every stale story (or ``story_ids``); one transaction per story."""
    report = WriteReport()
    with db.connect() as conn:
        todo = story_ids if story_ids is not None else stale_stories(conn,
                                                                      everything=everything)
    if not todo:
        return report
    writer = writer or ExtractiveWriter()
    for done, sid in enumerate(todo, start=1):
        with db.connect() as conn:
            members_hash = story_store.members_hash(conn, sid)
            arts = articles_to_write(conn, sid)
            earlier = earlier_in_storyline(conn, sid)
        if not arts or members_hash is None:
            continue
        summary = writer.write(arts)
        with db.connect() as conn:
            attach_story_context(conn, sid, summary)
        # One entry per event: earlier stories' headlines and the dated events,
        # near-duplicates merged.
        summary.timeline = writer.merge_timeline(earlier, summary.timeline)
        with db.begin() as conn:
            save_summary(conn, sid, members_hash, summary)
            name_storyline(conn, sid, summary)
        report.written += 1
        report.sentences += summary.checked_sentences
        report.supported += summary.supported_sentences
        if progress is not None:
            progress(done, len(todo))
    return report
