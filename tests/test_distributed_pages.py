"""A story page is a function of committed state: it shows the earlier stories of its
storyline (their written headlines, else their titles) in a fixed order, and it is stale
— rewritten by either runner — when one of them changes after it was written: rewritten,
re-clustered or merged away. Stale pages come in timeline order, so the earlier stories'
headlines are written before the pages that show them. Runs on both backends."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from storyline.storage import stories as story_store
from storyline.storage import storylines as storyline_store
from storyline.storage import summaries as summary_store
from storyline.storage import work
from tests.readerdata import T0, add_article, write_story


def _story(engine: Engine, story_id: int, hours: int, line: int | None, *,
           written: int) -> None:
    """Story ``story_id`` of one article published ``hours`` after T0, written
    ``written`` minutes after T0 + 1 day, in storyline ``line``."""
    art = add_article(engine, source_id=None, outlet="Wire", title=f"Report {story_id}",
                      text=f"Report number {story_id} says what happened.",
                      published=T0 + timedelta(hours=hours), key=str(story_id))
    write_story(engine, story_id, [art], headline=f"Headline {story_id}",
                sentences=[(f"Report number {story_id} says what happened.", [1])],
                now=T0 + timedelta(days=1, minutes=written))
    if line is not None:
        with engine.begin() as conn:
            storyline_store.attach_story(conn, story_id, line)


def _rewrite(engine: Engine, story_id: int, minutes: int, headline: str) -> None:
    """Save the story's summary again ``minutes`` after T0 + 1 day."""
    with engine.begin() as conn:
        mhash = story_store.members_hash(conn, story_id)
        assert mhash is not None
        summary_store.replace(conn, story_id=story_id, members_hash=mhash, writer="extractive",
                              headline=headline, support_rate=1.0, summary="{}",
                              written_at=T0 + timedelta(days=1, minutes=minutes),
                              pages={"page_html": None, "page_json": None,
                                     "page_own_substories": None, "page_version": None})


def test_a_page_is_stale_when_an_earlier_story_of_its_storyline_changes(
        engine: Engine) -> None:
    with engine.begin() as conn:
        line, other = storyline_store.create(conn, T0), storyline_store.create(conn, T0)
    # Ids out of time order (the latest story has the lowest id), and two earlier
    # stories at one time, the higher id stored first.
    _story(engine, 1, 30, line, written=1)
    _story(engine, 5, 10, line, written=1)
    _story(engine, 4, 10, line, written=1)
    _story(engine, 3, 20, line, written=1)
    _story(engine, 2, 0, other, written=1)
    _story(engine, 6, 40, None, written=1)
    with engine.connect() as conn:
        assert summary_store.stale_story_ids(conn) == []
        # The timeline's earlier stories in time order, ties by id, whatever the rows'
        # physical order.
        assert [r.id for r in story_store.earlier_in_storyline(conn, 1)] == [4, 5, 3]
        assert [r.id for r in story_store.earlier_in_storyline(conn, 3)] == [4, 5]
        assert story_store.earlier_in_storyline(conn, 4) == []
        assert summary_store.stale_story_ids(conn, everything=True) == [2, 4, 5, 3, 1, 6]

    # Story 5 is rewritten: the later pages of its storyline (3, then 1) are stale, in
    # timeline order; its tie 4, the other storyline and the story in none are not.
    _rewrite(engine, 5, 2, "Headline 5, rewritten")
    with engine.connect() as conn:
        assert summary_store.stale_story_ids(conn) == [3, 1]
        assert work.stale_later_in_storyline(conn, 5) == [3, 1]
        assert work.stale_later_in_storyline(conn, 3) == [1]
        assert work.story_is_stale(conn, 3) and work.story_is_stale(conn, 1)
        assert not work.story_is_stale(conn, 4) and not work.story_is_stale(conn, 5)
        assert not work.story_is_stale(conn, 2) and not work.story_is_stale(conn, 6)
    # Written after it: current again (one rewrite each, however many changes before).
    _rewrite(engine, 3, 3, "Headline 3")
    _rewrite(engine, 1, 3, "Headline 1")
    with engine.connect() as conn:
        assert summary_store.stale_story_ids(conn) == []
        assert work.stale_later_in_storyline(conn, 5) == []

    # Clustering changes story 3 (a new member, updated_at) after the pages were
    # written: its own page is stale (members) and so is the later page that shows it.
    with engine.begin() as conn:
        row = story_store.active_story_header(conn, 3)
        story_store.save_story(conn, 3, T0 + timedelta(days=1, minutes=4),
                               first_time=row.first_time, last_time=row.last_time,
                               article_count=2, outlet_count=1, title="Report 3",
                               members_hash="another")
    with engine.connect() as conn:
        assert summary_store.stale_story_ids(conn) == [3, 1]
    _rewrite(engine, 3, 5, "Headline 3")  # for its new members, then the page after it
    _rewrite(engine, 1, 5, "Headline 1")
    with engine.connect() as conn:
        assert summary_store.stale_story_ids(conn) == []

    # An earlier story merged away leaves the later pages' timelines: stale.
    with engine.begin() as conn:
        story_store.mark_merged(conn, 4, 5, T0 + timedelta(days=1, minutes=6))
    with engine.connect() as conn:
        assert summary_store.stale_story_ids(conn) == [3, 1]
        assert [r.id for r in story_store.earlier_in_storyline(conn, 1)] == [5, 3]
