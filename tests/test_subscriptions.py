"""Each reader's own subscriptions and folders (migration 0008_subscriptions), through the
Google Reader API and the web's Feeds page and OPML, on a real database (SQLite, or
PostgreSQL with --backend postgresql): one user never sees another's subscriptions or
folders; renaming (``t``); a feed one user removes stays for another who follows it;
the Stories stream holds the stories of the feeds a user follows; the upgrade subscribes
every existing user to every existing feed, in its folders."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from storyline.accounts import users as accounts
from storyline.parse.opml import parse_opml
from storyline.settings import Settings
from storyline.storage import categories as category_store
from storyline.storage import head_revision, make_engine, migrate
from storyline.storage import sources as source_store
from storyline.storage import subscriptions as sub_store
from storyline.storage import users as user_store
from storyline.web import create_app
from tests.readerdata import build
from tests.test_greader import API, GR, PASSWORD, counts, ids
from tests.test_greader import gr as gr  # noqa: F401  (the fixture)

STORIES = "feed/storyline:stories"


def subs(gr: GR, who: dict[str, str]) -> dict[str, dict[str, Any]]:
    r = gr.client.get(API + "/subscription/list", headers=who)
    assert r.status_code == 200
    return {s["url"]: s for s in r.json()["subscriptions"]}


def tags(gr: GR, who: dict[str, str]) -> list[str]:
    return [t["id"] for t in gr.client.get(API + "/tag/list", headers=who).json()["tags"]]


def edit_sub(gr: GR, who: dict[str, str], **data: Any) -> int:
    return gr.client.post(API + "/subscription/edit", headers=who, data=data).status_code


def test_one_user_never_sees_anothers_subscriptions_or_folders(gr: GR) -> None:
    assert edit_sub(gr, gr.alice, ac="subscribe", s="feed/http://127.0.0.1:9/lab.xml",
                    a="user/-/label/Science", t="My lab") == 200
    mine, theirs = subs(gr, gr.alice), subs(gr, gr.bob)
    lab = mine["http://127.0.0.1:9/lab.xml"]
    assert lab["title"] == "My lab" and [c["label"] for c in lab["categories"]] == ["Science"]
    assert "http://127.0.0.1:9/lab.xml" not in theirs
    assert len(theirs) == 4  # Wire, Daily, Courier and the Stories stream
    assert "user/-/label/Science" in tags(gr, gr.alice)
    assert "user/-/label/Science" not in tags(gr, gr.bob)
    # Bob has no such stream: neither its items, its Atom form nor its unread count.
    for path in (f"/stream/items/ids?s={lab['id']}", f"/stream/contents/{lab['id']}"):
        assert gr.client.get(API + path, headers=gr.bob).status_code == 404, path
    assert gr.client.get(f"/greader/reader/atom/{lab['id']}", headers=gr.bob).status_code == 404
    assert lab["id"] not in counts(gr, gr.bob)  # (a feed without unread items has none)
    assert edit_sub(gr, gr.bob, ac="edit", s=lab["id"], a="user/-/label/X") == 404
    # Folders are each user's own: Alice dropping "Local" and renaming "World" leaves
    # Bob's as they were.
    assert gr.client.post(API + "/disable-tag", headers=gr.alice,
                          data={"s": "user/-/label/Local"}).status_code == 200
    assert gr.client.post(API + "/rename-tag", headers=gr.alice, data={
        "s": "user/-/label/World", "dest": "user/-/label/News"}).status_code == 200
    assert tags(gr, gr.alice)[1:] == ["user/-/label/News", "user/-/label/Science"]
    assert tags(gr, gr.bob)[1:] == ["user/-/label/Local", "user/-/label/World"]
    f = gr.data.feeds
    n_alice, n_bob = counts(gr, gr.alice), counts(gr, gr.bob)
    assert n_alice["user/-/label/News"] == 5 and "user/-/label/World" not in n_alice
    assert n_bob["user/-/label/World"] == 5 and n_bob["user/-/label/Local"] == 1
    world = ids(gr, gr.bob, "user/-/label/World")
    assert len(world) == 5 and ids(gr, gr.alice, "user/-/label/World") == []
    assert sorted(ids(gr, gr.alice, "user/-/label/News")) == sorted(world)
    assert n_bob[f"feed/{f['Wire']}"] == 2


def test_rename_with_t(gr: GR) -> None:
    f = gr.data.feeds
    wire = f"feed/{f['Wire']}"
    assert edit_sub(gr, gr.alice, ac="edit", s=wire, t="  My   wire ") == 200
    assert subs(gr, gr.alice)["https://wire.example/feed.xml"]["title"] == "My wire"
    assert subs(gr, gr.bob)["https://wire.example/feed.xml"]["title"] == "Wire"
    r = gr.client.get(API + f"/stream/contents/{wire}", headers=gr.alice).json()
    assert r["title"] == "My wire" and {i["origin"]["title"] for i in r["items"]} == {"My wire"}
    theirs = gr.client.get(API + f"/stream/contents/{wire}", headers=gr.bob).json()
    assert theirs["title"] == "Wire"
    assert {i["origin"]["title"] for i in theirs["items"]} == {"Wire"}
    # Subscribing again with a t (a client re-adding a feed) renames too, labels added.
    assert edit_sub(gr, gr.alice, ac="subscribe", s="feed/https://wire.example/feed.xml",
                    t="Wire again", a="user/-/label/Tech") == 200
    again = subs(gr, gr.alice)["https://wire.example/feed.xml"]
    assert again["title"] == "Wire again"
    assert [c["label"] for c in again["categories"]] == ["Tech", "World"]


def test_removing_a_feed_one_user_still_follows_keeps_it_for_the_other(gr: GR) -> None:
    f = gr.data.feeds
    daily = f"feed/{f['Daily']}"
    before = ids(gr, gr.bob, daily)
    assert len(before) == 2
    assert edit_sub(gr, gr.alice, ac="unsubscribe", s=daily) == 200
    assert "https://daily.example/feed.xml" not in subs(gr, gr.alice)
    assert "https://daily.example/feed.xml" in subs(gr, gr.bob)
    assert ids(gr, gr.bob, daily) == before
    assert gr.client.get(API + f"/stream/items/ids?s={daily}",
                         headers=gr.alice).status_code == 404
    with gr.engine.connect() as conn:
        assert source_store.get(conn, f["Daily"]) is not None
    # The Stories stream: stories with an article from a feed the user follows. The
    # markets story is Daily's alone, so it left Alice's; Bob still has all three.
    story_ids = {s: 1 << 40 | n for s, n in gr.data.stories.items()}
    assert set(ids(gr, gr.alice, STORIES)) == {story_ids["talks"], story_ids["storm"]}
    assert set(ids(gr, gr.bob, STORIES)) == set(story_ids.values())
    assert counts(gr, gr.alice)[STORIES] == 2 and counts(gr, gr.bob)[STORIES] == 3
    # The reading list is the followed feeds' articles and the stories.
    assert counts(gr, gr.alice)["user/-/state/com.google/reading-list"] == 3 + 2
    # The last follower leaving removes the feed (its articles stay).
    assert edit_sub(gr, gr.bob, ac="unsubscribe", s=daily) == 200
    with gr.engine.connect() as conn:
        assert source_store.get(conn, f["Daily"]) is None


def test_web_feeds_page_and_opml_are_the_users_own(engine: Engine, settings: Settings,
                                                   tmp_path: Path) -> None:
    from tests.test_accounts import form_token

    data = build(engine)
    for name in ("alice", "bob"):
        accounts.add_user(engine, name, PASSWORD)

    def signed_in(client: TestClient, name: str) -> str:
        page = client.get("/signin")
        r = client.post("/signin", data={"name": name, "password": PASSWORD,
                                          "csrf": form_token(page.text), "next": "/feeds"},
                        follow_redirects=False)
        assert r.status_code == 303
        return form_token(client.get("/feeds").text)

    # Two apps on one database, as two server processes would be.
    with (TestClient(create_app(settings, engine, cache_ttl=0)) as alice,
          TestClient(create_app(settings, engine, cache_ttl=0)) as bob):
        csrf = signed_in(alice, "alice")
        bob_csrf = signed_in(bob, "bob")
        r = alice.post("/feeds/add", data={"url": "http://127.0.0.1:9/lab.xml", "csrf": csrf},
                       follow_redirects=True)
        assert r.status_code == 200 and "127.0.0.1:9/lab.xml" in r.text
        assert "127.0.0.1:9/lab.xml" not in bob.get("/feeds").text
        wire = data.feeds["Wire"]
        assert alice.post(f"/feeds/{wire}/folders", data={"csrf": csrf,
                                                         "folders": "Wires, World"},
                          follow_redirects=False).status_code == 303
        assert '<a href="/c/Wires">Wires</a>' in alice.get("/feeds").text
        assert "Wires" not in bob.get("/feeds").text
        # The category bar and /c/NAME are the user's folders.
        assert alice.get("/api/c/Wires").status_code == 200
        assert {s["headline"] for s in alice.get("/api/c/Wires").json()["stories"]} == {
            "Geneva peace talks open", "Storm floods the harbour"}
        assert bob.get("/api/c/Wires").status_code == 404
        assert 'href="/c/Wires"' in alice.get("/").text
        assert 'href="/c/Wires"' not in bob.get("/").text
        # OPML: each user's own, with their folders; an import is theirs only.
        mine = {o.url: sorted(o.categories) for o in parse_opml(alice.get("/feeds.opml").content)}
        assert mine["https://wire.example/feed.xml"] == ["Wires", "World"]
        assert "http://127.0.0.1:9/lab.xml" in mine
        theirs = {o.url: sorted(o.categories) for o in parse_opml(bob.get("/feeds.opml").content)}
        assert theirs["https://wire.example/feed.xml"] == ["World"]
        assert "http://127.0.0.1:9/lab.xml" not in theirs
        doc = (b'<?xml version="1.0"?><opml version="2.0"><body><outline text="Chips">'
               b'<outline text="Chip" xmlUrl="http://127.0.0.1:9/chip.xml"/></outline>'
               b'</body></opml>')
        r = bob.post("/feeds/import", data={"csrf": bob_csrf},
                     files={"file": ("f.opml", doc, "text/xml")})
        assert r.status_code == 200 and "Imported 1 new feeds" in r.text
        assert "127.0.0.1:9/chip.xml" in bob.get("/feeds").text
        assert "127.0.0.1:9/chip.xml" not in alice.get("/feeds").text
        # Removing on the Feeds page drops the user's subscription only.
        assert alice.post(f"/feeds/{wire}/remove", data={"csrf": csrf},
                          follow_redirects=False).status_code == 303
        assert "wire.example" not in alice.get("/feeds").text
        assert "wire.example" in bob.get("/feeds").text
    with TestClient(create_app(settings, engine, cache_ttl=0)) as anon:  # every feed
        page = anon.get("/feeds").text
        assert "wire.example" in page and "127.0.0.1:9/lab.xml" in page


def test_operator_feeds_and_new_users(engine: Engine) -> None:
    """A feed the operator adds is everyone's; a new account starts with every feed."""
    from storyline.ingest import subscriptions as ingest

    build(engine)
    alice = accounts.add_user(engine, "alice", PASSWORD)
    (src, created), = ingest.subscribe(engine, ["http://127.0.0.1:9/op.xml"],
                                       allow_private=True)
    assert created
    bob = accounts.add_user(engine, "bob", PASSWORD)
    with engine.connect() as conn:
        for user in (alice, bob):
            followed = {s.source.url: s.folders for s in sub_store.list_for(conn, user.id)}
            assert set(followed) == {"https://wire.example/feed.xml",
                                     "https://daily.example/feed.xml",
                                     "https://courier.example/feed.xml",
                                     "http://127.0.0.1:9/op.xml"}
            assert followed["https://courier.example/feed.xml"] == ["Local", "World"]
    accounts.remove_user(engine, "alice")
    with engine.connect() as conn:
        assert sub_store.source_ids(conn, alice.id) == []
        assert len(sub_store.subscribers(conn, src.id)) == 1


def test_upgrade_subscribes_every_user_to_every_feed(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate(engine, "0007_accounts")
        now = datetime.now(UTC)
        with engine.begin() as conn:
            users = [user_store.add(conn, n, "x", now).id for n in ("ann", "ben")]
            a, _ = source_store.add(conn, "https://a.example/feed.xml", now)
            b, _ = source_store.add(conn, "https://b.example/feed.xml", now)
            category_store.add_feed(conn, a.id, ["World", "Local"])
        before, after = migrate(engine)
        assert (before, after) == ("0007_accounts", head_revision())
        with engine.connect() as conn:
            for uid in users:
                got = {s.source.id: (s.folders, s.title) for s in sub_store.list_for(conn, uid)}
                assert got == {a.id: (["Local", "World"], None), b.id: ([], None)}
    finally:
        engine.dispose()


def test_cli_opml_for_one_user(cli: Any, engine: Engine, tmp_path: Path) -> None:
    build(engine)
    alice = accounts.add_user(engine, "alice", PASSWORD)
    accounts.add_user(engine, "bob", PASSWORD)
    doc = tmp_path / "mine.opml"
    doc.write_bytes(b'<?xml version="1.0"?><opml version="2.0"><body><outline text="Lab">'
                    b'<outline text="L" xmlUrl="http://127.0.0.1:9/lab.xml"/></outline>'
                    b'</body></opml>')
    assert "Imported 1 new feeds" in cli("feeds", "import", str(doc), "--user", "alice").output
    mine = {o.url: o.categories for o in parse_opml(
        cli("feeds", "export", "--user", "alice").output.encode())}
    assert mine["http://127.0.0.1:9/lab.xml"] == ["Lab"] and len(mine) == 4
    theirs = {o.url for o in parse_opml(cli("feeds", "export", "--user", "bob").output.encode())}
    assert "http://127.0.0.1:9/lab.xml" not in theirs and len(theirs) == 3
    # The site's export is every feed; an unknown user is a plain error.
    assert "http://127.0.0.1:9/lab.xml" in cli("feeds", "export").output
    bad = cli("feeds", "export", "--user", "nobody", ok=False)
    assert bad.exit_code == 1 and "no user 'nobody'" in bad.output
    with engine.connect() as conn:
        assert len(sub_store.source_ids(conn, alice.id)) == 4
