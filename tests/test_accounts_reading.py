"""What a signed-in reader sees: read stories dimmed and "N new" on Top Headlines, a
story that grew showing what is new since the last visit, muted outlets' citations gone
and stories hidden (listed on the muted view), categories (OPML folders) with their
pages, JSON twins and Atom feeds, mark all read. In-process over a real database."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from storyline.accounts import users as accounts
from storyline.ingest import subscriptions
from storyline.parse.opml import parse_opml
from tests.readerdata import T0, ReaderData, add_article, build, write_story
from tests.test_accounts import PASSWORD, form_token, make_client, sign_in


@pytest.fixture
def reading(engine: Engine, tmp_path: Path) -> tuple[Engine, ReaderData]:
    data = build(engine)
    accounts.add_user(engine, "alice", PASSWORD)
    accounts.add_user(engine, "bob", PASSWORD)
    return engine, data


def card(html: str, story_id: int) -> str:
    found = re.search(rf'<li class="headline-card[^"]*">(?:(?!</li>).)*?href="/stories/'
                      rf'{story_id}".*?</li>', html, re.S)
    assert found, html
    return found.group(0)


def test_read_dimmed_new_since_last_visit(reading: tuple[Engine, ReaderData],
                                          tmp_path: Path) -> None:
    engine, data = reading
    storm = data.stories["storm"]
    with make_client(engine, tmp_path) as client:
        sign_in(client)
        assert "is-read" not in card(client.get("/").text, storm)
        first = client.get(f"/stories/{storm}")
        assert first.status_code == 200 and "New since your last visit" not in first.text
        top = client.get("/").text
        assert 'class="headline-card is-read"' in card(top, storm)
        # The story grows: a new article and a rewritten summary.
        new = add_article(engine, source_id=data.feeds["Daily"], outlet="Daily",
                          title="Harbour reopens after storm",
                          published=T0 + timedelta(hours=6), text="The harbour reopened.")
        write_story(engine, storm, [data.articles["storm-courier"], data.articles["storm-wire"],
                                    new], headline="Storm floods the harbour",
                    sentences=[("A storm flooded the harbour district.", [1]),
                               ("Power was cut to 12,000 homes.", [2]),
                               ("The harbour reopened on Wednesday.", [3])])
        top = client.get("/").text
        assert '<span class="new-count">1 new</span>' in card(top, storm)
        assert "is-read" not in card(top, storm)
        changed = client.get("/new").text
        assert f'href="/stories/{storm}"' in changed and "1 new" in changed
        again = client.get(f"/stories/{storm}").text
        assert "New since your last visit" in again
        assert '<mark class="new-since">The harbour reopened on Wednesday.</mark>' in again
        assert "<mark class=\"new-since\">Power was cut" not in again
        assert re.search(r'<li id="source-3" value="3" class="new-source"><span '
                         r'class="new-badge">New</span>', again)
        json_twin = client.get(f"/api/stories/{storm}").json()
        assert json_twin["reader"]["new_articles"] == [new]
        assert 'class="headline-card is-read"' in card(client.get("/").text, storm)
        # Bob never opened it: nothing is read or new for him.
    with make_client(engine, tmp_path) as bob:
        sign_in(bob, "bob")
        mine = card(bob.get("/").text, storm)
        assert "is-read" not in mine and "new-count" not in mine
        assert "New since your last visit" not in bob.get(f"/stories/{storm}").text
        # Anonymous: the page as before (no reader marks, a sign-in link).
    with make_client(engine, tmp_path) as anon:
        page = anon.get(f"/stories/{storm}").text
        assert "new-since" not in page and 'href="/signin">Sign in</a>' in page
        assert "is-read" not in anon.get("/").text


def test_mark_all_read_per_view(reading: tuple[Engine, ReaderData], tmp_path: Path) -> None:
    engine, data = reading
    with make_client(engine, tmp_path) as client:
        sign_in(client)
        page = client.get("/c/Local").text
        assert "Storm floods the harbour" in page and "Markets" not in page
        client.post("/mark-read", data={"csrf": form_token(page), "category": "Local"})
        top = client.get("/").text
        assert "is-read" in card(top, data.stories["storm"])
        assert "is-read" not in card(top, data.stories["market"])
        client.post("/mark-read", data={"csrf": form_token(top)})
        top = client.get("/").text
        assert all("is-read" in card(top, s) for s in data.stories.values())


def test_muting_outlets_and_words(reading: tuple[Engine, ReaderData], tmp_path: Path) -> None:
    engine, data = reading
    with make_client(engine, tmp_path) as client:
        sign_in(client)
        csrf = form_token(client.get("/account").text)
        client.post("/mutes/add", data={"csrf": csrf, "kind": "outlet", "value": "Courier"})
        storm = client.get(f"/stories/{data.stories['storm']}").text
        assert "harbour district" not in storm and "12,000 homes" in storm
        assert "1 source from muted outlets left out" in storm
        assert "Courier" not in storm.split('class="sources"')[1].split("</section>")[0]
        client.post("/mutes/add", data={"csrf": csrf, "kind": "outlet", "value": "Daily"})
        top = client.get("/").text
        assert "Markets rise" not in top  # only Daily carries it: hidden
        assert "Geneva peace talks" in top  # Wire carries it too
        client.post("/mutes/add", data={"csrf": csrf, "kind": "word", "value": "geneva"})
        top = client.get("/").text
        assert "Geneva peace talks" not in top and "Storm floods" in top
        muted = client.get("/muted").text
        assert "2 stories hidden" in muted
        assert "only muted outlets carry it (Daily)" in muted
        assert "muted word “geneva”" in muted
        client.post("/mutes/remove", data={"csrf": csrf, "kind": "word", "value": "Geneva"})
        assert "Geneva peace talks" in client.get("/").text
        assert client.post("/mutes/add", data={"csrf": csrf, "kind": "topic",
                                               "value": "x"}).status_code == 400
    with make_client(engine, tmp_path) as bob:  # mutes are each user's own
        sign_in(bob, "bob")
        assert "Markets rise" in bob.get("/").text


def test_categories_pages_json_atom_and_opml(reading: tuple[Engine, ReaderData],
                                             tmp_path: Path) -> None:
    engine, data = reading
    with make_client(engine, tmp_path) as client:
        top = client.get("/").text
        bar = top.split('class="category-bar"')[1].split("</nav>")[0]
        assert '<a href="/c/Local">Local</a>' in bar and '<a href="/c/World">World</a>' in bar
        local = client.get("/c/local")
        assert local.status_code == 200 and "Storm floods the harbour" in local.text
        assert "Geneva peace talks" in local.text  # Courier carries a copy of Wire's
        assert "Markets rise" not in local.text
        api = client.get("/api/c/World").json()
        assert api["category"] == "World" and len(api["stories"]) == 3
        assert {c["name"]: c["feeds"] for c in client.get("/api/categories").json()[
            "categories"]} == {"Local": 1, "World": 3}
        feed = feedparser.parse(client.get("/c/Local.atom").content)
        assert feed.feed.title == "Storyline: Local"
        assert sorted(e.title for e in feed.entries) == ["Geneva peace talks open",
                                                         "Storm floods the harbour"]
        assert client.get("/c/Nowhere").status_code == 404
        assert client.get("/api/c/Nowhere").status_code == 404
        assert client.get("/c/Nowhere.atom").status_code == 404
        opml = client.get("/feeds.opml").content
    outlines = {o.url: sorted(o.categories) for o in parse_opml(opml)}
    assert outlines["https://courier.example/feed.xml"] == ["Local", "World"]
    assert outlines["https://wire.example/feed.xml"] == ["World"]
    # Importing keeps folders; a feed listed in two folders is in both.
    doc = (b'<?xml version="1.0"?><opml version="2.0"><body>'
           b'<outline text="Science"><outline text="Lab" xmlUrl="http://127.0.0.1:9/lab.xml"/>'
           b'</outline><outline text="Tech"><outline text="Lab" '
           b'xmlUrl="http://127.0.0.1:9/lab.xml"/><outline text="Nested">'
           b'<outline text="Chip" xmlUrl="http://127.0.0.1:9/chip.xml"/></outline></outline>'
           b'<outline text="Loose" xmlUrl="http://127.0.0.1:9/loose.xml"/></body></opml>')
    result = subscriptions.import_opml(engine, doc, allow_private=True)
    assert result.added == 3
    again = {o.url: sorted(o.categories)
             for o in parse_opml(subscriptions.export_opml(engine)[0].encode())}
    assert again["http://127.0.0.1:9/lab.xml"] == ["Science", "Tech"]
    assert again["http://127.0.0.1:9/chip.xml"] == ["Nested"]
    assert again["http://127.0.0.1:9/loose.xml"] == []


def test_feed_folders_form(reading: tuple[Engine, ReaderData], tmp_path: Path) -> None:
    engine, data = reading
    with make_client(engine, tmp_path) as client:
        sign_in(client)
        page = client.get("/feeds").text
        assert 'name="token"' not in page  # signed in: no admin token fields
        wire = data.feeds["Wire"]
        r = client.post(f"/feeds/{wire}/folders", data={"csrf": form_token(page),
                                                       "folders": "World, Breaking ,World"},
                        follow_redirects=True)
        assert r.status_code == 200
        assert '<a href="/c/Breaking">Breaking</a>' in r.text
        assert client.get("/api/c/Breaking").json()["stories"][0]["headline"] in (
            "Storm floods the harbour", "Geneva peace talks open")
        assert client.post("/feeds/99999/folders", data={"csrf": form_token(page),
                                                         "folders": "X"}).status_code == 404
    with TestClient(client.app) as anon:
        assert anon.post(f"/feeds/{wire}/folders", data={"folders": "X"}).status_code == 401
