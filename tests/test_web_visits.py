"""The visit writer (``storyline.web.visits``): first visits of signed-in readers are
written in batches, one commit for what was queued, each request answered after the
commit that holds its write. Over a real database (SQLite, and PostgreSQL with
--backend)."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, select

from storyline.accounts import users as accounts
from storyline.storage import personal as personal_store
from storyline.storage import readstate
from storyline.storage.schema import article_reads, story_visits, user_sessions
from storyline.web import visits
from storyline.web.visits import VisitWriter
from storyline.write.page import render_missing
from tests.readerdata import build
from tests.test_accounts import PASSWORD, form_token, make_client


def visits_of(engine: Engine, user_id: int) -> list[int]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(story_visits.c.story_id)
                                   .where(story_visits.c.user_id == user_id)).scalars())


def reads_of(engine: Engine, user_id: int) -> set[int]:
    with engine.connect() as conn:
        return set(conn.execute(select(article_reads.c.article_id)
                                .where(article_reads.c.user_id == user_id)).scalars())


def test_a_batch_commits_once_and_a_bad_write_fails_alone(engine: Engine) -> None:
    """Writes queued while the writer is busy go in one transaction; one that fails (a
    visit of a story that does not exist) raises for its own caller only, the others
    of its batch are committed; two first visits of one story (two tabs) record one."""
    data = build(engine)
    ann = accounts.add_user(engine, "ann", PASSWORD)
    storm, talks = data.stories["storm"], data.stories["talks"]
    now = datetime.now(UTC)
    writer = VisitWriter(engine)
    gate = threading.Event()

    def first(conn: Connection) -> None:  # holds the writer until the rest are queued
        gate.wait(10)

    def visit(story_id: int):  # type: ignore[no-untyped-def]
        def work(conn: Connection) -> None:
            personal_store.insert_first_visit(conn, ann.id, story_id, now, fingerprint="f",
                                              seen_articles="[]", seen_sentences="[]")
            personal_store.mark_story_read(conn, ann.id, story_id, now)
        return work

    async def main() -> list[BaseException | None]:
        held = asyncio.ensure_future(writer.write(first))
        while writer.batches == 0 and writer._queue.qsize():  # the writer took it
            await asyncio.sleep(0.001)
        rest = [asyncio.ensure_future(writer.write(w))
                for w in (visit(storm), visit(storm), visit(10_000_000), visit(talks))]
        await asyncio.sleep(0.05)
        gate.set()
        await held
        return await asyncio.gather(*rest, return_exceptions=True)

    try:
        results = asyncio.run(main())
    finally:
        writer.close()
    assert [r is None for r in results] == [True, True, False, True]
    assert "FOREIGN KEY" in str(results[2]).upper()
    assert visits_of(engine, ann.id) == sorted([storm, talks])
    with engine.connect() as conn:
        members = readstate.members_of(conn, [storm, talks])
    assert set(members[storm]) | set(members[talks]) <= reads_of(engine, ann.id)
    # The first write alone, then the four in one transaction that failed, then each
    # again alone: 1 + 3 committed transactions for the five writes that succeeded.
    assert (writer.writes, writer.batches) == (4, 4)


def test_first_visits_are_answered_after_their_commit(engine: Engine, tmp_path: Path
                                                      ) -> None:
    """Through the app: a signed-in first visit is not answered while the writer has not
    committed it (the writer held by a write ahead of it), and is once it has; many at
    once (three of each story) are each recorded once, with their articles read."""
    data = build(engine)
    render_missing(engine)
    ann = accounts.add_user(engine, "ann", PASSWORD)
    ids = sorted(data.stories.values())
    with make_client(engine, tmp_path) as client:
        page = client.get("/signin")
        client.post("/signin", data={"name": "ann", "password": PASSWORD,
                                     "csrf": form_token(page.text), "next": "/"},
                    follow_redirects=False)
        cookies = dict(client.cookies)
        app = client.app
        writer = app.state.reader.visits  # type: ignore[attr-defined]
        gate = threading.Event()

        async def main() -> tuple[bool, bool, list[int]]:
            transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver",
                                         cookies=cookies) as ac:
                held = asyncio.ensure_future(writer.write(lambda conn: gate.wait(10)))
                while writer._thread is None or writer._queue.qsize():
                    await asyncio.sleep(0.001)
                view = asyncio.ensure_future(ac.get(f"/stories/{ids[0]}"))
                await asyncio.sleep(0.3)
                waited = not view.done() and ids[0] not in visits_of(engine, ann.id)
                gate.set()
                await held
                r = await view
                recorded = r.status_code == 200 and ids[0] in visits_of(engine, ann.id)
                codes = [r.status_code for r in await asyncio.gather(
                    *(ac.get(f"/stories/{sid}") for sid in ids[1:] * 3))]
            return waited, recorded, codes

        waited, recorded, codes = asyncio.run(main())
    assert waited and recorded
    assert codes == [200] * len(codes)
    assert visits_of(engine, ann.id) == ids
    with engine.connect() as conn:
        members = readstate.members_of(conn, ids)
    assert {a for sid in ids for a in members[sid]} <= reads_of(engine, ann.id)


def test_the_thread_stops_when_idle_or_closed(engine: Engine, monkeypatch: Any) -> None:
    """The writer's thread stops after IDLE_SECONDS without writes, starts again with
    the next write, and closing it commits what was queued before, then stops it."""
    data = build(engine)
    ann = accounts.add_user(engine, "ann", PASSWORD)
    storm, talks = data.stories["storm"], data.stories["talks"]
    monkeypatch.setattr(visits, "IDLE_SECONDS", 0.05)
    writer = VisitWriter(engine)
    now = datetime.now(UTC)

    def visit(story_id: int):  # type: ignore[no-untyped-def]
        return lambda conn: personal_store.insert_first_visit(
            conn, ann.id, story_id, now, fingerprint="f", seen_articles="[]",
            seen_sentences="[]")

    async def main() -> tuple[threading.Thread | None, threading.Thread | None]:
        await writer.write(visit(storm))
        first = writer._thread
        for _ in range(200):
            if writer._thread is None:
                break
            await asyncio.sleep(0.01)
        stopped = writer._thread
        pending = asyncio.ensure_future(writer.write(visit(talks)))
        await asyncio.sleep(0)
        writer.close()
        await pending
        return first, stopped

    first, stopped = asyncio.run(main())
    assert first is not None and not first.is_alive() and stopped is None
    assert writer._thread is None
    assert visits_of(engine, ann.id) == sorted([storm, talks])


def test_a_story_page_looks_the_session_up_once_either_way(engine: Engine,
                                                           tmp_path: Path) -> None:
    """A story page not in the page cache looks the session up on its own connection,
    one in the cache on the event loop: either way a live session gets the user's page
    (their menu, the visit recorded) and an ended one the anonymous page, nothing
    recorded; the JSON twin likewise."""
    data = build(engine)
    render_missing(engine)
    ann = accounts.add_user(engine, "ann", PASSWORD)
    storm, talks, market = (data.stories[k] for k in ("storm", "talks", "market"))
    with make_client(engine, tmp_path) as client:
        page = client.get("/signin")
        client.post("/signin", data={"name": "ann", "password": PASSWORD,
                                     "csrf": form_token(page.text), "next": "/"},
                    follow_redirects=False)
        reader = client.app.state.reader  # type: ignore[attr-defined]
        assert not reader.cache.holds(("view", "story", storm, "html"))
        first = client.get(f"/stories/{storm}")  # not cached: looked up in the threadpool
        assert first.status_code == 200 and ">ann</a>" in first.text
        assert first.headers["cache-control"].startswith("private")
        assert client.get(f"/api/stories/{market}").json()["reader"]["read"] is True
        anonymous = TestClient(client.app)  # caches the anonymous page (no writes)
        anonymous.get(f"/stories/{market}")
        assert reader.cache.holds(("view", "story", market, "html"))
        again = client.get(f"/stories/{market}")  # cached: looked up on the loop
        assert again.status_code == 200 and ">ann</a>" in again.text
        assert visits_of(engine, ann.id) == sorted([storm, market])
        with engine.begin() as conn:  # the session ends (signed out elsewhere)
            conn.execute(user_sessions.delete())
        gone = []
        assert not reader.cache.holds(("view", "story", talks, "html"))
        gone.append(client.get(f"/stories/{talks}"))  # not cached
        anonymous.get(f"/stories/{storm}")
        assert reader.cache.holds(("view", "story", storm, "html"))
        gone.append(client.get(f"/stories/{storm}"))  # cached
        for r in gone:
            assert r.status_code == 200 and "Sign in</a>" in r.text
            assert ">ann</a>" not in r.text
            assert not r.headers.get("cache-control", "").startswith("private")
        assert "reader" not in client.get(f"/api/stories/{talks}").json()
    assert visits_of(engine, ann.id) == sorted([storm, market])


def test_server_processes_take_turns_to_write(engine: Engine) -> None:
    """On a SQLite file the writers of all server processes take turns through a file
    lock beside the database: while another holds it nothing is committed, and the
    writes queued meanwhile go in one batch once it lets go (SQLite's own busy wait,
    in growing sleeps, stalled a batch for seconds). PostgreSQL waits on its own."""
    import fcntl
    import os

    data = build(engine)
    ann = accounts.add_user(engine, "ann", PASSWORD)
    writer = VisitWriter(engine)
    if engine.dialect.name != "sqlite":
        assert writer.lock_path is None
        return
    assert writer.lock_path is not None
    assert writer.lock_path.name == Path(str(engine.url.database)).name + ".visits-lock"
    now = datetime.now(UTC)
    stories = sorted(data.stories.values())[:3]

    def visit(story_id: int):  # type: ignore[no-untyped-def]
        return lambda conn: personal_store.insert_first_visit(
            conn, ann.id, story_id, now, fingerprint="f", seen_articles="[]",
            seen_sentences="[]")

    other = os.open(writer.lock_path, os.O_RDWR | os.O_CREAT, 0o644)  # another process

    async def main() -> tuple[int, list[int]]:
        fcntl.flock(other, fcntl.LOCK_EX)
        pending = [asyncio.ensure_future(writer.write(visit(s))) for s in stories]
        await asyncio.sleep(0.3)
        during = (writer.batches, visits_of(engine, ann.id))
        fcntl.flock(other, fcntl.LOCK_UN)
        await asyncio.gather(*pending)
        return during

    try:
        during = asyncio.run(main())
    finally:
        writer.close()
        os.close(other)
    assert during == (0, [])
    assert visits_of(engine, ann.id) == stories
    assert (writer.writes, writer.batches) == (3, 1)
