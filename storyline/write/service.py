"""The writing stage over the database: (re)write the summary of every story whose
members changed since it was last written (``stories.members_hash``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from storyline.settings import Settings, SettingsError
from storyline.storage.schema import (
    articles,
    stories,
    story_members,
    story_summaries,
    storylines,
    substories,
)
from storyline.text.dates import known_time
from storyline.text.jsonio import json_default
from storyline.write.extractive import ExtractiveWriter
from storyline.write.llm import LLMConfig, LLMWriter
from storyline.write.schema import StoryArticle, StorySummary, SubstoryRef, TimelineEntry


def make_writer(settings: Settings) -> ExtractiveWriter | LLMWriter:
    """The writer the settings ask for; a misconfigured LLM writer is a user error."""
    if settings.writer == "extractive":
        return ExtractiveWriter()
    if settings.writer != "llm":
        raise SettingsError(f"writer must be extractive or llm, got {settings.writer!r}")
    if not settings.llm_base_url or not settings.llm_model:
        raise SettingsError("writer=llm needs STORYLINE_LLM_BASE_URL and STORYLINE_LLM_MODEL")
    return LLMWriter(LLMConfig(base_url=settings.llm_base_url, model=settings.llm_model,
                               api_key=settings.llm_api_key))


@dataclass
class WriteReport:
    written: int = 0
    sentences: int = 0
    supported: int = 0

    @property
    def support_rate(self) -> float:
        return self.supported / self.sentences if self.sentences else 1.0


def stale_stories(conn: Connection, *, everything: bool = False) -> list[int]:
    query = (select(stories.c.id)
             .outerjoin(story_summaries, story_summaries.c.story_id == stories.c.id)
             .where(stories.c.status == "active", stories.c.article_count > 0))
    if not everything:
        query = query.where((story_summaries.c.story_id.is_(None))
                            | (story_summaries.c.members_hash != stories.c.members_hash))
    return [r.id for r in conn.execute(query.order_by(stories.c.id))]


def story_articles(conn: Connection, story_id: int) -> list[StoryArticle]:
    rows = conn.execute(
        select(articles.c.id, articles.c.title, articles.c.text, articles.c.outlet,
               articles.c.url, articles.c.published, articles.c.fetched_at,
               articles.c.source_id, articles.c.image_url, articles.c.image_caption, articles.c.image_credit,
               articles.c.duplicate_of, articles.c.links, articles.c.inferred_fields)
        .join(story_members, story_members.c.article_id == articles.c.id)
        .where(story_members.c.story_id == story_id)
        .order_by(func.coalesce(articles.c.published, articles.c.fetched_at), articles.c.id)
    )
    return [StoryArticle(id=r.id, title=r.title, text=r.text, outlet=r.outlet, url=r.url,
                         published=known_time(r.published, r.fetched_at, r.source_id is not None),
                         image_url=r.image_url,
                         image_caption=r.image_caption, image_credit=r.image_credit,
                         duplicate_of=r.duplicate_of, links=json.loads(r.links or "[]"),
                         title_inferred="title" in json.loads(r.inferred_fields or "[]"))
            for r in rows]


def earlier_in_storyline(conn: Connection, story_id: int) -> list[TimelineEntry]:
    """Timeline entries for the earlier stories of this story's storyline."""
    me = conn.execute(select(stories.c.storyline_id, stories.c.first_time)
                      .where(stories.c.id == story_id)).first()
    if me is None or me.storyline_id is None or me.first_time is None:
        return []
    rows = conn.execute(
        select(stories.c.id, stories.c.first_time, stories.c.title,
               story_summaries.c.headline)
        .outerjoin(story_summaries, story_summaries.c.story_id == stories.c.id)
        .where(stories.c.storyline_id == me.storyline_id, stories.c.id != story_id,
               stories.c.status == "active", stories.c.first_time < me.first_time)
    )
    return [TimelineEntry(date=r.first_time.date(), precision="day",
                          text=r.headline or r.title or "", citations=[], story_id=r.id)
            for r in rows if r.first_time is not None]


def attach_story_context(conn: Connection, story_id: int, summary: StorySummary) -> None:
    """What the writer cannot know from the articles alone: the story's own id, its
    storyline and its sub-stories ("Dive deeper"), each citing the sources among its
    articles."""
    summary.story_id = story_id
    summary.storyline_id = conn.execute(select(stories.c.storyline_id)
                                        .where(stories.c.id == story_id)).scalar()
    index = {src.article_id: src.index for src in summary.sources}
    dup_of = {r.article_id: r.duplicate_of for r in summary.related}
    members: dict[int, list[int]] = {}
    for row in conn.execute(select(story_members.c.article_id, story_members.c.substory_id)
                            .where(story_members.c.story_id == story_id,
                                   story_members.c.substory_id.is_not(None))):
        original = dup_of.get(row.article_id)
        cited = index.get(row.article_id) or (index.get(original) if original is not None
                                              else None)
        if cited is not None:
            members.setdefault(row.substory_id, []).append(cited)
    summary.substories = [
        SubstoryRef(id=r.id, label=r.label, article_count=r.article_count,
                    citations=sorted(set(members.get(r.id, []))))
        for r in conn.execute(select(substories.c.id, substories.c.label,
                                     substories.c.article_count)
                              .where(substories.c.story_id == story_id)
                              .order_by(substories.c.article_count.desc(), substories.c.id))
    ]


def name_storyline(conn: Connection, story_id: int, summary: StorySummary) -> None:
    """A storyline is titled by the headline of its biggest story: set it when that
    story is (re)written."""
    if summary.storyline_id is None:
        return
    biggest = conn.execute(
        select(stories.c.id).where(stories.c.storyline_id == summary.storyline_id,
                                   stories.c.status == "active")
        .order_by(stories.c.article_count.desc(), stories.c.id).limit(1)).scalar()
    if biggest == story_id:
        conn.execute(update(storylines).where(storylines.c.id == summary.storyline_id)
                     .values(title=summary.headline))


def save_summary(conn: Connection, story_id: int, members_hash: str,
                 summary: StorySummary) -> None:
    # The story page is rendered now, once, and stored with the summary, so the web
    # reader serves it without rendering (storyline/web/stored.py).
    from storyline.web.stored import render_for_storage

    doc = json.dumps(summary.to_dict(), default=json_default, ensure_ascii=False)
    written_at = datetime.now(UTC)
    pages = render_for_storage(conn, story_id, members_hash=members_hash,
                               headline=summary.headline, summary_json=doc,
                               written_at=written_at)
    conn.execute(delete(story_summaries).where(story_summaries.c.story_id == story_id))
    conn.execute(insert(story_summaries).values(
        story_id=story_id, members_hash=members_hash, writer=summary.writer,
        headline=summary.headline, support_rate=summary.support_rate,
        summary=doc, written_at=written_at, **pages,
    ))


def load_summary(conn: Connection, story_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(story_summaries.c.summary)
                       .where(story_summaries.c.story_id == story_id)).first()
    return json.loads(row.summary) if row else None


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
            members_hash = conn.execute(select(stories.c.members_hash)
                                        .where(stories.c.id == sid)).scalar()
            arts = story_articles(conn, sid)
            earlier = earlier_in_storyline(conn, sid)
        if not arts or members_hash is None:
            continue
        summary = writer.write(arts)
        with db.connect() as conn:
            attach_story_context(conn, sid, summary)
        summary.timeline = sorted(earlier + summary.timeline,
                                  key=lambda e: (e.date, e.precision != "year",
                                                 e.precision != "month"))
        with db.begin() as conn:
            save_summary(conn, sid, members_hash, summary)
            name_storyline(conn, sid, summary)
        report.written += 1
        report.sentences += summary.checked_sentences
        report.supported += summary.supported_sentences
        if progress is not None:
            progress(done, len(todo))
    return report
