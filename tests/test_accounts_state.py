"""What the signed-in views are cached by: each user's state version (migration
0009_state_version, kept by triggers), the prepared per-request statements that read it,
and the connections the storage layer keeps for them. Over a real database (SQLite, and
PostgreSQL with --backend)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, bindparam, func, select, update

from storyline.accounts import muting
from storyline.accounts import users as accounts
from storyline.storage import make_engine, readstate
from storyline.storage import personal as personal_store
from storyline.storage import stories as story_store
from storyline.storage import subscriptions as sub_store
from storyline.storage.prepared import Prepared, held_connection
from storyline.storage.schema import (
    UTCDateTime,
    article_reads,
    story_members,
    story_summaries,
    user_sessions,
    users,
)
from storyline.write import page
from storyline.write.page import render_missing
from tests.readerdata import T0, ReaderData, add_article, build
from tests.test_accounts import PASSWORD, make_client, sign_in
from tests.test_accounts_reading import card


def state_of(engine: Engine, user_id: int) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(users.c.state_version)
                                .where(users.c.id == user_id)).scalar_one())


def test_state_version_moves_with_each_users_own_state(engine: Engine) -> None:
    data: ReaderData = build(engine)
    ann = accounts.add_user(engine, "ann", PASSWORD)
    ben = accounts.add_user(engine, "ben", PASSWORD)
    storm = data.stories["storm"]
    now = datetime.now(UTC)
    steps = []

    def step(what: str, change) -> None:  # type: ignore[no-untyped-def]
        before = state_of(engine, ann.id), state_of(engine, ben.id)
        with engine.begin() as conn:
            change(conn)
        after = state_of(engine, ann.id), state_of(engine, ben.id)
        steps.append((what, after[0] > before[0], after[1] == before[1]))

    step("read", lambda c: personal_store.mark_story_read(c, ann.id, storm, now))
    step("unread", lambda c: readstate.mark_stories_unread(c, ann.id, [storm]))
    step("visit", lambda c: personal_store.insert_first_visit(
        c, ann.id, storm, now, fingerprint="f", seen_articles="[]", seen_sentences="[]"))
    step("mute", lambda c: muting.mute_store.add(c, ann.id, "outlet", "wire", now))
    step("unmute", lambda c: muting.mute_store.remove(c, ann.id, "outlet", "wire"))
    feed = data.feeds["Daily"]
    step("folder", lambda c: sub_store.add_folders(c, ann.id, feed, ["Mine"]))
    step("unsubscribe", lambda c: sub_store.unsubscribe(c, ann.id, feed))
    assert steps == [(w, True, True) for w, *_ in steps]
    # A mark-all-read of many articles in one statement: one step up or more, never none.
    before = state_of(engine, ben.id)
    with engine.begin() as conn:
        ids = list(conn.execute(select(story_members.c.article_id)).scalars())
        assert len(ids) >= 5
        assert readstate.mark_read(conn, ben.id, ids, now) >= 5
    assert state_of(engine, ben.id) > before
    # Removing a user (cascades included) works with the triggers in place.
    accounts.remove_user(engine, "ann")
    assert [u.name for u in accounts.list_users(engine)] == ["ben"]


def test_prepared_statement_matches_sqlalchemy(engine: Engine) -> None:
    user = accounts.add_user(engine, "ann", PASSWORD)
    value, csrf = accounts.new_session(engine, user, days=3)
    stmt = (select(users.c.id, users.c.name, users.c.created_at,
                   user_sessions.c.expires_at, user_sessions.c.csrf,
                   func.aggregate_strings(users.c.name, "|").label("joined"))
            .select_from(user_sessions.join(users, users.c.id == user_sessions.c.user_id))
            .where(user_sessions.c.token_hash == bindparam("h"),
                   user_sessions.c.expires_at > bindparam("now", type_=UTCDateTime))
            .group_by(users.c.id, users.c.name, users.c.created_at,
                      user_sessions.c.expires_at, user_sessions.c.csrf))
    prepared = Prepared(stmt)
    params = {"h": accounts.digest(value), "now": datetime.now(UTC)}
    with engine.connect() as conn:
        want = conn.execute(stmt, params).one()
        for _ in range(7):  # psycopg prepares on the server after a few runs
            got = prepared.first(conn, params)
        later = prepared.all(conn, {**params, "now": datetime.now(UTC) + timedelta(days=4)})
    assert got is not None and tuple(got) == tuple(want)
    assert got.name == "ann" and got.csrf == csrf and got.joined == "ann"
    assert got.created_at.tzinfo is not None and got.expires_at > params["now"]
    assert later == []
    found = accounts.session_of(engine, value)
    assert found is not None and (found.user.id, found.csrf, found.state) == (
        user.id, csrf, 0)


def test_held_connections_are_closed_on_dispose(db_url: str) -> None:
    engine = make_engine(db_url)
    conn = held_connection(engine)
    assert held_connection(engine) is conn and not conn.closed
    engine.dispose()
    assert conn.closed
    again = held_connection(engine)  # a fresh one after the dispose
    assert again is not conn and not again.closed
    engine.dispose()
    assert again.closed


def test_signed_in_headlines_follow_writes_from_elsewhere(engine: Engine, db_url: str,
                                                          tmp_path: Path) -> None:
    """Top Headlines are cached per user state version: a read mark or a mute made by
    another process (here: another engine) shows on the next view, and a view that
    changed nothing is the cached page."""
    data = build(engine)
    ann = accounts.add_user(engine, "ann", PASSWORD)
    storm = data.stories["storm"]
    elsewhere = make_engine(db_url)
    try:
        with make_client(engine, tmp_path) as client:
            sign_in(client, "ann")
            reader = client.app.state.reader  # type: ignore[attr-defined]
            first = client.get("/").text
            assert "is-read" not in card(first, storm)
            misses = reader.cache.misses
            assert client.get("/").text == first
            assert reader.cache.misses == misses  # the cached page
            with elsewhere.begin() as conn:
                personal_store.mark_story_read(conn, ann.id, storm, datetime.now(UTC))
            assert 'class="headline-card is-read"' in card(client.get("/").text, storm)
            with elsewhere.begin() as conn:
                readstate.mark_stories_unread(conn, ann.id, [storm])
            assert "is-read" not in card(client.get("/").text, storm)
            headline = re.search(r'href="/stories/\d+">([^<]+)</a>', first)
            assert headline
            muting.add(elsewhere, ann.id, "word", headline.group(1).split()[0])
            assert client.get("/").text.count("headline-card") < first.count("headline-card")
    finally:
        elsewhere.dispose()


def test_signed_in_story_views_on_one_connection(engine: Engine, tmp_path: Path) -> None:
    """A first visit records the visit and the read marks and serves the anonymous
    page's bytes with the user's menu; a repeat view is the same page."""
    data = build(engine)
    accounts.add_user(engine, "ann", PASSWORD)
    storm = data.stories["storm"]
    with make_client(engine, tmp_path) as anon:
        plain = anon.get(f"/stories/{storm}").text
    client: TestClient
    with make_client(engine, tmp_path) as client:
        sign_in(client, "ann")
        first = client.get(f"/stories/{storm}").text
        again = client.get(f"/stories/{storm}").text
    assert first == again and 'href="/account">ann</a>' in first
    assert first.replace(re.search(r'<a class="account-link".*?</form>', first,
                                   re.S).group(0),  # type: ignore[union-attr]
                         '<a class="account-link" href="/signin">Sign in</a>') == plain
    with engine.connect() as conn:
        uid = accounts.get_user(engine, "ann").id
        states = readstate.story_states(conn, uid, [storm])
        assert states[storm].is_read and readstate.visit(conn, uid, storm) is not None


def reads_of(engine: Engine, user_id: int) -> set[int]:
    with engine.connect() as conn:
        return set(conn.execute(select(article_reads.c.article_id)
                                .where(article_reads.c.user_id == user_id)).scalars())


def test_first_visit_records_what_the_summary_lists(engine: Engine, tmp_path: Path) -> None:
    """A first visit records the summary's listed articles with the members and its
    sentences' keys, from the summary's visit columns (saved with its stored page) or,
    for a summary saved without them, from the summary itself: the same either way. It
    marks read exactly the story's articles and their syndicated copies, in the same
    request, HTML or JSON."""
    data = build(engine)
    arts = data.articles
    copy = add_article(engine, source_id=data.feeds["Daily"], outlet="Daily",
                       title="Harbour storm cuts power", published=T0,
                       text="Power was cut to 12,000 homes.", duplicate_of=arts["storm-wire"])
    talks, storm, market = (data.stories[k] for k in ("talks", "storm", "market"))
    late = add_article(engine, source_id=data.feeds["Daily"], outlet="Daily",
                       title="Harbour clean-up begins", published=T0,
                       text="Crews began clearing the harbour.")
    with engine.begin() as conn:  # a member its summary does not list (yet)
        story_store.add_members(conn, [(late, storm, 1.0)], datetime.now(UTC))
    render_missing(engine)  # the visit columns, as `storyline serve` fills them in
    with engine.begin() as conn:  # one summary as saved before migration 0010
        conn.execute(update(story_summaries).where(story_summaries.c.story_id == talks)
                     .values(visit_articles=None, visit_sentences=None))
        stored = {r.story_id: r for r in conn.execute(select(story_summaries))}
    assert stored[storm].visit_sentences is not None and stored[talks].visit_articles is None
    ann = accounts.add_user(engine, "ann", PASSWORD)
    with make_client(engine, tmp_path) as anon:
        anon_json = anon.get(f"/api/stories/{market}").json()
    with make_client(engine, tmp_path) as client:
        sign_in(client, "ann")
        assert client.get(f"/stories/{storm}").status_code == 200
        # Marked read in that request: the storm's articles and the copy of one.
        assert reads_of(engine, ann.id) == {arts["storm-courier"], arts["storm-wire"], late,
                                            copy}
        assert client.get(f"/stories/{talks}").status_code == 200
        first_json = client.get(f"/api/stories/{market}").json()
    assert first_json.pop("reader")["read"] is True and first_json == anon_json
    with engine.connect() as conn:
        for sid in (storm, talks, market):
            summary = json.loads(stored[sid].summary)
            members = readstate.members_of(conn, [sid])[sid]
            visit = readstate.visit(conn, ann.id, sid)
            assert visit is not None and visit.previous_at is None
            assert visit.seen_articles == {int(a["article_id"]) for a in summary["related"]
                                           } | set(members)
            assert (late in visit.seen_articles) == (sid == storm)
            assert visit.seen_sentences == {
                page.sentence_key(s["text"]) for sec in summary["sections"]
                for s in sec["sentences"]} and len(visit.seen_sentences) >= 1
    assert reads_of(engine, ann.id) == set(arts.values()) | {late, copy}  # every story's articles and the copy
