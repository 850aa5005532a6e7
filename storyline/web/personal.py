"""What a signed-in reader sees: Top Headlines and category pages with read stories
dimmed, "N new" on stories that gained articles since, muted stories left out (and
listed, with the reason, on the muted view); story pages that mark the story read,
leave out muted outlets' citations and mark what is new since the last visit. Also the
category pages anonymous readers see (``/c/NAME``).

A signed-in story page whose story did not change since the user's last visit, for a
user without mutes, is the anonymous page's cached bytes with the user's account menu
(one query to know that); anything else is rendered from the summary structure
(``write.page.story_page``) post-processed here. The stored page format is not changed."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from markupsafe import escape
from sqlalchemy import Connection

from storyline import rank
from storyline.accounts import muting, reading
from storyline.accounts import users as accounts
from storyline.accounts.muting import Mutes
from storyline.storage import categories as category_store
from storyline.storage import personal as personal_store
from storyline.storage import readstate
from storyline.storage import subscriptions as subscription_store
from storyline.web import queries, stored
from storyline.web.auth import (
    ANONYMOUS,
    Viewer,
    account_menu,
    personalize,
    session_to_find,
    viewer,
)
from storyline.web.reader import Reader, View
from storyline.web.render import render, to_json
from storyline.write.page import sentence_key, story_page, summary_fragment

PAGE_SIZE = queries.PAGE_SIZE
NEW_MARK_CLASS = "new-since"
#: (user, story) pairs whose page was found "plain" (unchanged since the user's visit, all
#: read, no mutes) in the last PLAIN_TTL seconds, with the content version and the
#: user's state version then: a repeat view with both unchanged serves the anonymous
#: page's cached bytes without a query.
PLAIN_TTL = 5.0
_PLAIN_MAX = 50_000
def _plain(reader: Reader) -> dict[tuple[int, int], tuple[float, Any, int | None]]:
    return reader.plain_views


# --- shared, cached per content version --------------------------------------------------


def category_names(reader: Reader, user_id: int | None = None) -> list[str]:
    """The category bar: the site's categories, or (``user_id``) the user's folders (one
    small query, never cached: a folder edit shows at once on every server process)."""
    if user_id is not None:
        return sorted({name for _, name in user_folders(reader, user_id)}, key=str.lower)

    def build() -> list[str]:
        with reader.engine.connect() as conn:
            return [name for name, _ in category_store.list_used(conn)]

    return reader.cache.get_sync(("categories",), build)


def user_folders(reader: Reader, user_id: int) -> tuple[tuple[int, str], ...]:
    """The user's (feed id, folder) pairs."""
    with reader.engine.connect() as conn:
        return tuple(sorted((sid, name) for sid, names in
                            subscription_store.folders_by_source(conn, user_id).items()
                            for name in names))


def category_ranking(reader: Reader, name: str, user_id: int | None = None
                     ) -> list[rank.RankedStory] | None:
    """The Top Headlines ranking restricted to the category's stories (``user_id``: the
    stories with an article from a feed in that user's folder ``name``, cached by the
    user's folders as they are now); None when there is no such category (folder)."""
    folders: tuple[tuple[int, str], ...] = ()
    if user_id is not None:
        folders = tuple(f for f in user_folders(reader, user_id)
                        if f[1].lower() == name.lower())
        if not folders:
            return None

    def build() -> list[rank.RankedStory] | None:
        with reader.engine.connect() as conn:
            if user_id is not None:
                ids = personal_store.feeds_story_ids(conn, [sid for sid, _ in folders])
            else:
                if category_store.get_id(conn, name) is None:
                    return None
                ids = personal_store.category_story_ids(conn, name)
        return [s for s in reader.ranking() if s.id in ids]

    return reader.cache.get_sync(("category-ranking", name.lower(), folders), build)


def hidden_stories(reader: Reader, mutes: Mutes) -> dict[int, str]:
    """{story id: why} for the ranked stories ``mutes`` hide."""
    if not mutes:
        return {}

    def build() -> dict[int, str]:
        ids = [s.id for s in reader.ranking()]
        with reader.engine.connect() as conn:
            facets = personal_store.story_facets(conn, ids, entities=bool(mutes.words))
        out = {}
        for sid, f in facets.items():
            why = muting.hidden_reason(mutes, headline=f["headline"],
                                       outlets=sorted(f["outlets"]),
                                       entities=sorted(f["entities"]))
            if why:
                out[sid] = why
        return out

    return reader.cache.get_sync(("hidden", mutes.key()), build)


def forget_plain(reader: Reader) -> None:
    """After a change that the content version may not show (a mute on PostgreSQL)."""
    _plain(reader).clear()


def _page_of(ranking: list[rank.RankedStory], page: int) -> tuple[list[rank.RankedStory],
                                                                   int, int]:
    pages = max(1, math.ceil(len(ranking) / PAGE_SIZE))
    page = min(max(page, 1), pages)
    return ranking[(page - 1) * PAGE_SIZE: page * PAGE_SIZE], page, pages


def headlines(reader: Reader, who: Viewer, page: int, category: str | None = None
              ) -> dict[str, Any] | None:
    """A Top Headlines page (of a category) for ``who``: None when the category does not
    exist. Signed-in: muted stories left out, each card with its ``reader`` state."""
    uid = who.user.id if who.user is not None else None
    ranking = (reader.ranking() if category is None
               else category_ranking(reader, category, uid))
    if ranking is None:
        return None
    user = who.user
    mutes = muting.NONE
    with reader.engine.connect() as conn:  # one connection for the user's three reads
        if user is not None:
            mutes = muting.load(conn, user.id)
            hidden = hidden_stories(reader, mutes)
            if hidden:
                ranking = [s for s in ranking if s.id not in hidden]
        chosen, page, pages = _page_of(ranking, page)

        def build_cards() -> list[dict[str, Any]]:
            with reader.engine.connect() as conn:
                return queries.story_cards(conn, [s.id for s in chosen])

        cards = [dict(c) for c in reader.cache.get_sync(
            ("cards", category.lower() if category else None, uid, mutes.key(), page),
            build_cards)]
        states: dict[int, readstate.StoryState] = {}
        seen: dict[int, str] = {}
        if user is not None:
            ids = [c["id"] for c in cards]
            states = readstate.story_states(conn, user.id, ids, mutes.outlets)
            seen = readstate.fingerprints(conn, user.id, ids)
    scores = {s.id: s.score for s in chosen}
    for card in cards:
        card["score"] = round(scores[card["id"]], 6)
        if user is not None:
            st = states.get(card["id"])
            started = bool(st and st.read) or card["id"] in seen
            card["reader"] = {"read": bool(st and st.is_read),
                              "new": st.unread if st and started else 0,
                              "unread": st.unread if st else 0}
    return {"page": page, "pages": pages, "per_page": PAGE_SIZE, "total": len(ranking),
            "category": category, "stories": cards}


def headlines_html(reader: Reader, who: Viewer, top: dict[str, Any]) -> bytes:
    """The page of ``headlines``. Signed in, the rendering is cached by what it shows
    of the user (their read and new marks, their session's form token): a view that
    changed nothing since the last costs the three reads of ``headlines`` and no
    template work."""
    def build() -> bytes:
        return render("index.html", top=top, nav="top",
                      categories=category_names(reader, who.user.id if who.user else None),
                      category=top.get("category"), viewer=who,
                      account_menu=_menu(who)).encode("utf-8")

    if who.user is None:
        return build()
    marks = tuple((c["id"], c["reader"]["read"], c["reader"]["new"]) for c in top["stories"])
    key = ("headlines-html", who.user.id, who.user.name, who.csrf, top.get("category"),
           top["page"], top["pages"], top["total"], marks)
    return reader.cache.get_sync(key, build)


def _menu(who: Viewer) -> Any:
    from markupsafe import Markup

    return Markup(account_menu(who))


def mark_view_read(reader: Reader, who: Viewer, category: str | None) -> int:
    """Mark read every story of Top Headlines (or a category) the user is shown."""
    assert who.user is not None
    ranking = reader.ranking() if category is None else (
        category_ranking(reader, category, who.user.id) or [])
    with reader.engine.connect() as conn:
        mutes = muting.load(conn, who.user.id)
    hidden = hidden_stories(reader, mutes)
    ids = [s.id for s in ranking if s.id not in hidden]
    with reader.engine.begin() as conn:
        return readstate.mark_stories_read(conn, who.user.id, ids, datetime.now(UTC))


def muted_view(reader: Reader, who: Viewer) -> dict[str, Any]:
    """What the user's mutes hide: each story with why; and the mutes."""
    assert who.user is not None
    with reader.engine.connect() as conn:
        mutes = muting.load(conn, who.user.id)
    hidden = hidden_stories(reader, mutes)
    ids = [s.id for s in reader.ranking() if s.id in hidden][:200]
    with reader.engine.connect() as conn:
        cards = queries.story_cards(conn, ids)
    for card in cards:
        card["muted_because"] = hidden[card["id"]]
    return {"outlets": list(mutes.outlets), "words": list(mutes.words),
            "hidden": len(hidden), "stories": cards}


def changed_view(reader: Reader, who: Viewer) -> dict[str, Any]:
    """Stories the user opened that changed since: what is new since the last visit."""
    assert who.user is not None
    with reader.engine.connect() as conn:
        rows = readstate.visited_changed(conn, who.user.id)
        cards = queries.story_cards(conn, [r.story_id for r in rows])
        states = readstate.story_states(conn, who.user.id, [c["id"] for c in cards])
    visited = {r.story_id: r.visited_at for r in rows}
    for card in cards:
        card["visited_at"] = visited[card["id"]]
        st = states.get(card["id"])
        card["reader"] = {"read": bool(st and st.is_read), "new": st.unread if st else 0,
                          "unread": st.unread if st else 0}
    return {"stories": cards}


# --- story pages --------------------------------------------------------------------------


def _mark_new(fragment: str, page: dict[str, Any], visit: readstate.Visit) -> str:
    """The summary fragment with the sentences and sources new since the last visit
    marked, and a note saying what changed."""
    if visit.previous_at is None or not (visit.new_articles or visit.new_sentences):
        return fragment
    marked = 0
    for section in page.get("sections") or []:
        for s in section.get("sentences") or []:
            text = s.get("text")
            if text and sentence_key(text) in visit.new_sentences:
                safe = str(escape(text))
                if safe in fragment:
                    fragment = fragment.replace(
                        safe, f'<mark class="{NEW_MARK_CLASS}">{safe}</mark>', 1)
                    marked += 1
    new_sources = 0
    for src in page.get("sources") or []:
        if src.get("article_id") is not None and int(src["article_id"]) in visit.new_articles:
            i = int(src["index"])
            head = f'<li id="source-{i}" value="{i}">'
            if head in fragment:
                fragment = fragment.replace(
                    head, f'<li id="source-{i}" value="{i}" class="new-source">'
                          '<span class="new-badge">New</span> ', 1)
                new_sources += 1
    parts = []
    if visit.new_articles:
        n = len(visit.new_articles)
        parts.append(f"{n} new article{'s' if n != 1 else ''}")
    if marked:
        parts.append(f"{marked} new sentence{'s' if marked != 1 else ''} marked")
    if new_sources:
        parts.append(f"{new_sources} new source{'s' if new_sources != 1 else ''}")
    when = visit.previous_at.strftime("%Y-%m-%d %H:%M UTC")
    note = (f'<aside class="new-since-note" role="note"><strong>New since your last visit'
            f'</strong> ({escape(when)}): {escape(", ".join(parts))}.</aside>\n')
    return fragment.replace("</header>", "</header>\n" + note, 1)


def _reader_json(visit: readstate.Visit | None, removed: int) -> dict[str, Any]:
    return {"read": True,
            "previous_visit": visit.previous_at if visit else None,
            "new_articles": sorted(visit.new_articles) if visit else [],
            "new_sentences": len(visit.new_sentences) if visit else 0,
            "muted_sources_removed": removed}


async def story_for(reader: Reader, request: Request, story_id: int, fmt: str
                    ) -> tuple[View, Viewer]:
    """The story page (html or json) for whoever asks, and who that was. A session
    whose page is not in the cache is looked up in the view's own trip to the threadpool,
    on its connection (``story_view(session=...)``): that view needs the trip anyway, and
    a lookup on the event loop cost it more than the lookup itself (measured, docs/web.md);
    a cached page keeps the lookup on the loop, so that a repeat view needs no trip."""
    afmt: Any = "html" if fmt == "html" else "json"
    session = session_to_find(request)
    if session is not None and not reader.cache.holds(("view", "story", story_id, afmt)):
        view, who = await story_view(reader, None, story_id, afmt, session=session)
        request.state.viewer = who
        return view, who
    who = await viewer(request)
    if who.signed_in:
        return (await story_view(reader, who, story_id, afmt))[0], who
    return await reader.story_view(story_id, afmt), who


async def story_view(reader: Reader, who: Viewer | None, story_id: int, fmt: str, *,
                     session: str | None = None) -> tuple[View, Viewer]:
    """The story page (html or json) for a signed-in ``who``, or for the session cookie
    ``session`` (``who`` None), looked up on the view's connection: the anonymous page
    when it is not a live session. Marks the story read; returns the view and the
    viewer."""
    user_id = who.user.id if who is not None and who.user is not None else 0
    key = (user_id, story_id)
    plain_views = _plain(reader)
    hit = plain_views.get(key) if who is not None else None
    plain_now = (hit is not None and who is not None and hit[0] > time.monotonic()
                 and who.state is not None and hit[1] == reader.cache.version
                 and hit[1] is not None and hit[2] == who.state)

    afmt: Any = "html" if fmt == "html" else "json"

    page_key = ("view", "story", story_id, afmt)
    read: dict[str, Any] = {}  # "row": the story state read with its stored page
    # A first visit's record, written by the reader's visit writer (batched commits)
    # before the page is answered.
    pending: list[Callable[[Connection], object]] = []

    def anonymous_page(conn: Connection) -> View:
        """The anonymous page, from the cache or built now on ``conn`` (one trip to the
        threadpool and one connection per view, not two): from the stored page read
        with the user's state when it was (``story_view_state(page=...)``)."""
        row = read.get("row")

        def build() -> View:
            if row is None:
                return reader.story_page(story_id, afmt, conn=conn)
            body = stored.page_from_row(row, afmt)
            if body is not None:
                return View("ok", body)
            return reader.story_page(story_id, afmt, conn=conn, use_stored=False)

        return reader.cache.get_sync(page_key, build)

    def build() -> tuple[View, bool]:
        """(the view, whether it is the user's own) in one trip to the threadpool, on
        one connection, in one transaction (the session looked up first when it is
        ``session``); a page of the user's own is rendered after the commit."""
        nonlocal who, user_id, key
        with reader.engine.begin() as conn:
            if who is None:
                found = accounts.session_on(conn, session or "")
                if found is None:
                    who = ANONYMOUS
                    return anonymous_page(conn), False
                who = Viewer(found.user, found.csrf, "session", found.state)
                user_id, key = found.user.id, (found.user.id, story_id)
            own = build_own(conn)
            if own is None:
                return anonymous_page(conn), False
            if isinstance(own, View):
                return own, True
        view = render_personal(*own)
        return (view, True) if view is not None else (anonymous_page_now(), False)

    def anonymous_page_now() -> View:
        with reader.engine.connect() as conn:
            return anonymous_page(conn)

    def build_own(conn: Connection) -> View | tuple[Any, int, readstate.Visit, Mutes] | None:
        """What the user sees, read (and the visit recorded) on ``conn``: a final view,
        None for the anonymous page, or what ``render_personal`` renders."""
        # The anonymous page not in the cache (a first visit, mostly): its stored
        # rendering read with the user's state, in one query.
        with_page = not reader.cache.holds(page_key)
        st = personal_store.story_view_state(conn, user_id, story_id,
                                             page=afmt if with_page else None)
        if st is None:
            return View("missing")
        if with_page:
            read["row"] = st
        if st.status == "merged":
            _, target = queries.resolve_story(conn, story_id)
            return View("merged", target=target) if target else View("missing")
        fp = reading.fingerprint(st.members_hash, st.written_at)
        plain = (st.fingerprint == fp and not st.mutes and st.new_articles == "[]"
                 and st.new_sentences == "[]")
        if plain:
            if st.unread:
                anonymous_page(conn)  # read first: the write lock is held briefly
                personal_store.mark_story_read(conn, user_id, story_id, datetime.now(UTC))
            elif reader.cache.version is not None:
                if len(plain_views) >= _PLAIN_MAX:
                    plain_views.clear()
                plain_views[key] = (time.monotonic() + PLAIN_TTL, reader.cache.version,
                                    who.state if who is not None else None)
            return None  # the anonymous page, personalized
        if st.fingerprint is None and not st.mutes:
            # A first visit without mutes shows nothing personal: the anonymous page,
            # and the visit recorded from the stored summary (no page built) by the
            # visit writer, committed before the page is answered.
            anonymous_page(conn)
            now = datetime.now(UTC)
            pending.append(lambda wconn: reading.record_first_visit(
                wconn, user_id, story_id, fp=fp, visit_articles=st.visit_articles,
                visit_sentences=st.visit_sentences, member_ids=st.member_ids, now=now))
            return None
        row, _ = queries.resolve_story(conn, story_id)
        if row is None:
            return View("missing")
        mutes = muting.load(conn, user_id)
        page, removed = muting.filter_page(story_page(conn, row), mutes)
        members = readstate.members_of(conn, [story_id])[story_id]
        visit = reading.record_visit(conn, user_id, story_id, page, fp=fp, members=members)
        return page, removed, visit, mutes

    def render_personal(page: Any, removed: int, visit: readstate.Visit, mutes: Mutes
                        ) -> View | None:
        """The user's own page: mutes applied, what is new since the last visit marked
        (None when there is neither to show)."""
        if not mutes and not (visit.previous_at and (visit.new_articles
                                                      or visit.new_sentences)):
            return None  # nothing personal to show: the anonymous page, personalized
        if fmt == "json":
            body = stored.page_on_request(page, "json")
            data = json.loads(body)
            data["reader"] = _reader_json(visit, removed)
            return View("ok", to_json(data))
        fragment = _mark_new(summary_fragment(page), page, visit)
        if removed:
            fragment = fragment.replace(
                "</header>", '</header>\n<aside class="muted-note" role="note">'
                f'{removed} source{"s" if removed != 1 else ""} from muted outlets left '
                'out (<a href="/account#mutes">your mutes</a>).</aside>\n', 1)
        html = stored.story_html(fragment, headline=page["headline"],
                                 article_count=page["article_count"],
                                 storyline=page["storyline"])
        assert who is not None
        return View("ok", personalize(html, who))

    if plain_now:
        anon = await reader.story_view(story_id, afmt)
    else:
        await reader.cache.refresh()
        view, own = await reader.cache.run(build)
        for write in pending:
            await reader.visits.write(write)
        if own:
            plain_views.pop(key, None)
            assert who is not None
            return view, who
        anon = view
    assert who is not None
    if anon.kind != "ok" or who.user is None:
        return anon, who
    if fmt == "json":
        extra = to_json({"reader": _reader_json(None, 0)})[1:]
        return View("ok", anon.body[:-1] + b"," + extra), who
    return View("ok", personalize(anon.body, who)), who
