"""The Google Reader API under /greader, in-process through the ASGI app over a real
database (SQLite, or PostgreSQL with --backend postgresql): every endpoint, bad tokens,
wrong methods, continuation paging over 1,000 items, per-user state."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from storyline.accounts import users as accounts
from storyline.settings import Settings
from storyline.storage.streams import STORY_BASE
from storyline.web import create_app
from tests.readerdata import T0, ReaderData, add_article, build

PASSWORD = "correct horse battery"
API = "/greader/reader/api/0"
READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"


@dataclass
class GR:
    client: TestClient
    engine: Engine
    data: ReaderData
    alice: dict[str, str]
    bob: dict[str, str]


def login(client: TestClient, name: str) -> dict[str, str]:
    r = client.post("/greader/accounts/ClientLogin", data={"Email": name, "Passwd": PASSWORD})
    assert r.status_code == 200, r.text
    token = re.search(r"^Auth=(\S+)$", r.text, re.M)
    assert token and r.text.startswith("SID=")
    return {"Authorization": f"GoogleLogin auth={token.group(1)}"}


@pytest.fixture
def gr(engine: Engine, settings: Settings) -> Any:
    data = build(engine)
    accounts.add_user(engine, "alice", PASSWORD)
    accounts.add_user(engine, "bob", PASSWORD)
    with TestClient(create_app(settings, engine, cache_ttl=0)) as client:
        yield GR(client, engine, data, login(client, "alice"), login(client, "bob"))


def counts(gr: GR, who: dict[str, str]) -> dict[str, int]:
    r = gr.client.get(API + "/unread-count", headers=who)
    assert r.status_code == 200
    return {c["id"].replace("user/1/", "user/-/").replace("user/2/", "user/-/"): c["count"]
            for c in r.json()["unreadcounts"]}


def ids(gr: GR, who: dict[str, str], stream: str, **params: Any) -> list[int]:
    r = gr.client.get(API + "/stream/items/ids", params={"s": stream, "n": 1000, **params},
                      headers=who)
    assert r.status_code == 200, r.text
    return [int(i["id"]) for i in r.json()["itemRefs"]]


def edit(gr: GR, who: dict[str, str], items: list[int], **tags: str) -> None:
    r = gr.client.post(API + "/edit-tag", data={"i": [str(i) for i in items], **tags},
                       headers=who)
    assert r.status_code == 200 and r.text == "OK", r.text


def test_sign_in_tokens_and_refusals(gr: GR) -> None:
    c = gr.client
    bad = c.post("/greader/accounts/ClientLogin", data={"Email": "alice", "Passwd": "nope"})
    assert bad.status_code == 401 and bad.text.startswith("Error=BadAuthentication")
    assert c.post("/greader/accounts/ClientLogin", data={"Email": "alice"}).status_code == 401
    as_json = c.get("/greader/accounts/ClientLogin",
                    params={"Email": "ALICE", "Passwd": PASSWORD, "output": "json"})
    assert as_json.status_code == 200 and as_json.json()["Auth"].startswith("slg_")
    endpoints = [("GET", "/token"), ("GET", "/user-info"), ("GET", "/subscription/list"),
                 ("GET", "/tag/list"), ("GET", "/unread-count"),
                 ("GET", "/stream/contents/user/-/state/com.google/reading-list"),
                 ("GET", "/stream/contents"), ("GET", "/stream/items/ids"),
                 ("POST", "/stream/items/contents"), ("POST", "/edit-tag"),
                 ("POST", "/mark-all-as-read"), ("POST", "/subscription/edit"),
                 ("POST", "/subscription/quickadd"), ("POST", "/rename-tag"),
                 ("POST", "/disable-tag")]
    for headers in ({}, {"Authorization": "GoogleLogin auth=slg_forged"},
                    {"Authorization": "Bearer nothing"}, {"Authorization": "GoogleLogin"}):
        for method, path in endpoints:
            r = c.request(method, API + path, headers=headers)
            assert r.status_code == 401, (method, path, headers, r.status_code)
            assert r.text == "Unauthorized"
        assert c.get("/greader/reader/atom/feed%2F1", headers=headers).status_code == 401
    # A user's API token works as a Bearer token; the admin token is no user.
    user = accounts.get_user(gr.engine, "alice")
    api_token = accounts.issue_token(gr.engine, user, "api", "test")
    me = c.get(API + "/user-info", headers={"Authorization": f"Bearer {api_token}"})
    assert me.status_code == 200 and me.json()["userName"] == "alice"
    info = c.get(API + "/user-info", headers=gr.bob).json()
    assert info["userName"] == "bob" and info["userId"] != me.json()["userId"]
    t = c.get(API + "/token", headers=gr.alice)
    assert t.status_code == 200 and len(t.text) == 57
    # A wrong T is refused; the right one (or none) is accepted.
    talks = gr.data.articles["talks-wire"]
    wrong = c.post(API + "/edit-tag", data={"i": str(talks), "a": READ, "T": "x" * 57},
                   headers=gr.alice)
    assert wrong.status_code == 401 and wrong.headers["X-Reader-Google-Bad-Token"] == "true"
    right = c.post(API + "/edit-tag", data={"i": str(talks), "a": READ, "T": t.text},
                   headers=gr.alice)
    assert right.status_code == 200
    # Changing the password ends every Google Reader login.
    accounts.set_password(gr.engine, "alice", "a new password!")
    assert c.get(API + "/user-info", headers=gr.alice).status_code == 401


def test_wrong_methods(gr: GR) -> None:
    for method, path in (("GET", "/edit-tag"), ("GET", "/mark-all-as-read"),
                         ("GET", "/subscription/edit"), ("POST", "/tag/list"),
                         ("POST", "/unread-count"), ("DELETE", "/stream/items/ids"),
                         ("PUT", "/subscription/list"), ("GET", "/stream/items/contents")):
        r = gr.client.request(method, API + path, headers=gr.alice)
        assert r.status_code == 405, (method, path, r.status_code)
    assert gr.client.delete("/greader/accounts/ClientLogin").status_code == 405


def test_subscriptions_tags_and_counts(gr: GR) -> None:
    f = gr.data.feeds
    subs = gr.client.get(API + "/subscription/list", params={"output": "json"},
                         headers=gr.alice).json()["subscriptions"]
    by_id = {s["id"]: s for s in subs}
    assert set(by_id) == {f"feed/{f['Wire']}", f"feed/{f['Daily']}", f"feed/{f['Courier']}",
                          "feed/storyline:stories"}
    assert by_id[f"feed/{f['Courier']}"]["title"] == "Courier"
    assert {c["label"] for c in by_id[f"feed/{f['Courier']}"]["categories"]} == {"Local",
                                                                               "World"}
    assert by_id["feed/storyline:stories"]["title"] == "Stories"
    tags = [t["id"] for t in gr.client.get(API + "/tag/list", headers=gr.alice).json()["tags"]]
    assert tags == [STARRED, "user/-/label/Local", "user/-/label/World"]
    n = counts(gr, gr.alice)
    # Six articles, one a syndicated copy: five items; three stories.
    assert n[f"feed/{f['Wire']}"] == 2 and n[f"feed/{f['Daily']}"] == 2
    assert n[f"feed/{f['Courier']}"] == 1  # the copy of Wire's is collapsed
    assert n["feed/storyline:stories"] == 3
    assert n["user/-/label/Local"] == 1 and n["user/-/label/World"] == 5
    assert n["user/-/state/com.google/reading-list"] == 8


def test_stream_contents_items_and_stories(gr: GR) -> None:
    a, f = gr.data.articles, gr.data.feeds
    r = gr.client.get(f"{API}/stream/contents/feed/{f['Wire']}", headers=gr.alice)
    body = r.json()
    assert body["id"] == f"feed/{f['Wire']}" and body["title"] == "Wire"
    titles = [i["title"] for i in body["items"]]
    assert titles == ["Harbour storm cuts power", "Talks open in Geneva"]  # newest first
    item = body["items"][1]
    assert item["id"] == f"tag:google.com,2005:reader/item/{a['talks-wire']:016x}"
    assert "<p>Delegations met in Geneva on Monday.</p>" in item["summary"]["content"]
    assert item["origin"]["streamId"] == f"feed/{f['Wire']}"
    assert item["published"] == int(T0.timestamp())
    assert "user/1/label/World" in item["categories"]
    oldest = gr.client.get(f"{API}/stream/contents/feed/{f['Wire']}", params={"r": "o"},
                           headers=gr.alice).json()
    assert [i["title"] for i in oldest["items"]] == list(reversed(titles))
    newer = ids(gr, gr.alice, f"feed/{f['Wire']}",
                ot=int((T0 + timedelta(hours=1)).timestamp()))
    assert newer == [a["storm-wire"]]
    # The Stories stream: one item per story, its page as content.
    stories = gr.client.get(API + "/stream/contents", params={"s": "feed/storyline:stories"},
                            headers=gr.alice).json()["items"]
    assert [s["title"] for s in stories] == ["Markets rise on rate hopes (1 article)",
                                             "Storm floods the harbour (2 articles)",
                                             "Geneva peace talks open (3 articles)"]
    talks = stories[2]
    assert talks["id"] == f"tag:google.com,2005:reader/item/{STORY_BASE + 1:016x}"
    assert "Delegations met in Geneva on Monday." in talks["summary"]["content"]
    assert "Sources" in talks["summary"]["content"]
    # By id, long and short forms; unknown ids are left out.
    r = gr.client.post(API + "/stream/items/contents", headers=gr.alice, data={"i": [
        f"tag:google.com,2005:reader/item/{a['market']:016x}", str(STORY_BASE + 2), "999999"]})
    assert [i["title"] for i in r.json()["items"]] == ["Markets rise on rate hopes",
                                                       "Storm floods the harbour (2 articles)"]
    assert gr.client.post(API + "/stream/items/contents", data={"i": "x"},
                          headers=gr.alice).status_code == 400
    # Bad input: unknown stream, bad continuation, bad n.
    assert gr.client.get(API + "/stream/contents/feed/424242",
                         headers=gr.alice).status_code == 404
    assert gr.client.get(API + "/stream/items/ids", params={"c": "!!"},
                         headers=gr.alice).status_code == 400
    assert gr.client.get(API + "/stream/items/ids", params={"n": "many"},
                         headers=gr.alice).status_code == 400


def test_read_state_between_stories_and_articles(gr: GR) -> None:
    a, f = gr.data.articles, gr.data.feeds
    stories = "feed/storyline:stories"
    # Reading a story item marks its articles (and their copies) read.
    edit(gr, gr.alice, [STORY_BASE + 1], a=READ)
    n = counts(gr, gr.alice)
    assert n[f"feed/{f['Wire']}"] == 1 and n[f"feed/{f['Daily']}"] == 1
    assert n["feed/storyline:stories"] == 2
    assert STORY_BASE + 1 not in ids(gr, gr.alice, stories, xt=READ)
    assert a["talks-wire"] in ids(gr, gr.alice, "user/-/state/com.google/read")
    # Reading the last unread article of a story makes the story read.
    edit(gr, gr.alice, [a["storm-courier"]], a=READ)
    assert STORY_BASE + 2 in ids(gr, gr.alice, stories, xt=READ)
    edit(gr, gr.alice, [a["storm-wire"]], a=READ)
    assert ids(gr, gr.alice, stories, xt=READ) == [STORY_BASE + 3]
    item = gr.client.post(API + "/stream/items/contents", data={"i": str(STORY_BASE + 2)},
                          headers=gr.alice).json()["items"][0]
    assert "user/1/state/com.google/read" in item["categories"]
    # Keeping an article unread makes its story unread again.
    edit(gr, gr.alice, [a["storm-wire"]], r=READ)
    assert STORY_BASE + 2 in ids(gr, gr.alice, stories, xt=READ)
    # Bob saw none of that.
    nb = counts(gr, gr.bob)
    assert nb["user/-/state/com.google/reading-list"] == 8
    assert ids(gr, gr.bob, "user/-/state/com.google/read") == []


def test_starred_and_isolation(gr: GR) -> None:
    a = gr.data.articles
    edit(gr, gr.alice, [a["market"], STORY_BASE + 2], a=STARRED)
    assert ids(gr, gr.alice, STARRED) == [a["market"], STORY_BASE + 2]
    assert ids(gr, gr.bob, STARRED) == []
    edit(gr, gr.alice, [a["market"]], r=STARRED)
    assert ids(gr, gr.alice, STARRED) == [STORY_BASE + 2]
    assert gr.client.post(API + "/edit-tag", data={"i": str(a["market"])},
                          headers=gr.alice).status_code == 400
    assert gr.client.post(API + "/edit-tag", data={"a": READ},
                          headers=gr.alice).status_code == 400


def test_mark_all_as_read(gr: GR) -> None:
    f = gr.data.feeds
    cut = T0 + timedelta(hours=2)
    r = gr.client.post(API + "/mark-all-as-read", headers=gr.alice, data={
        "s": "user/-/label/World", "ts": str(int(cut.timestamp() * 1_000_000))})
    assert r.status_code == 200 and r.text == "OK"
    n = counts(gr, gr.alice)
    assert n[f"feed/{f['Wire']}"] == 1 and n[f"feed/{f['Daily']}"] == 1  # newer ones stay
    assert n["feed/storyline:stories"] == 2  # the talks story: all its articles read
    gr.client.post(API + "/mark-all-as-read", data={"s": "feed/storyline:stories"},
                   headers=gr.alice)
    n = counts(gr, gr.alice)
    assert n["user/-/state/com.google/reading-list"] == 0
    assert counts(gr, gr.bob)["user/-/state/com.google/reading-list"] == 8
    assert gr.client.post(API + "/mark-all-as-read", headers=gr.alice).status_code == 400
    assert gr.client.post(API + "/mark-all-as-read", data={"s": "feed/9999"},
                          headers=gr.alice).status_code == 404


def test_subscription_edit_labels_and_quickadd(gr: GR) -> None:
    c, f = gr.client, gr.data.feeds
    r = c.post(API + "/subscription/edit", headers=gr.alice, data={
        "ac": "subscribe", "s": "feed/http://127.0.0.1:9/new.xml", "a": "user/-/label/Tech"})
    assert r.status_code == 200
    subs = {s["url"]: s for s in c.get(API + "/subscription/list",
                                       headers=gr.alice).json()["subscriptions"]}
    new = subs["http://127.0.0.1:9/new.xml"]
    assert [x["label"] for x in new["categories"]] == ["Tech"]
    c.post(API + "/subscription/edit", headers=gr.alice, data={
        "ac": "edit", "s": new["id"], "a": "user/-/label/Science", "r": "user/-/label/Tech"})
    subs = {s["id"]: s for s in c.get(API + "/subscription/list",
                                      headers=gr.alice).json()["subscriptions"]}
    assert [x["label"] for x in subs[new["id"]]["categories"]] == ["Science"]
    assert c.post(API + "/rename-tag", headers=gr.alice, data={
        "s": "user/-/label/Science", "dest": "user/-/label/Research"}).status_code == 200
    assert c.post(API + "/disable-tag", headers=gr.alice,
                  data={"s": "user/-/label/Local"}).status_code == 200
    tags = [t["id"] for t in c.get(API + "/tag/list", headers=gr.alice).json()["tags"]]
    assert tags == [STARRED, "user/-/label/Research", "user/-/label/World"]
    assert c.post(API + "/subscription/edit", headers=gr.alice,
                  data={"ac": "unsubscribe", "s": new["id"]}).status_code == 200
    q = c.post(API + "/subscription/quickadd", headers=gr.alice,
               data={"quickadd": "http://127.0.0.1:9/other.xml"}).json()
    assert q["numResults"] == 1 and q["streamId"].startswith("feed/")
    subs = {s["url"] for s in c.get(API + "/subscription/list",
                                    headers=gr.alice).json()["subscriptions"]}
    assert "http://127.0.0.1:9/new.xml" not in subs and "http://127.0.0.1:9/other.xml" in subs
    for data, status in (({"ac": "move", "s": f"feed/{f['Wire']}"}, 400),
                         ({"ac": "edit"}, 400),
                         ({"ac": "edit", "s": "feed/9999"}, 404),
                         ({"ac": "subscribe", "s": "feed/ftp://x.example/f"}, 400)):
        assert c.post(API + "/subscription/edit", data=data,
                      headers=gr.alice).status_code == status, data
    assert c.post(API + "/rename-tag", data={"s": "user/-/label/Nope",
                                             "dest": "user/-/label/X"},
                  headers=gr.alice).status_code == 404


def test_muted_outlet_leaves_its_articles_out(gr: GR) -> None:
    from storyline.accounts import muting

    f = gr.data.feeds
    alice = accounts.get_user(gr.engine, "alice")
    muting.add(gr.engine, alice.id, "outlet", "courier")
    n = counts(gr, gr.alice)
    assert n.get(f"feed/{f['Courier']}", 0) == 0
    storm = gr.client.post(API + "/stream/items/contents", data={"i": str(STORY_BASE + 2)},
                           headers=gr.alice).json()["items"][0]
    assert "harbour district" not in storm["summary"]["content"]  # cited to Courier only
    assert "12,000 homes" in storm["summary"]["content"]
    other = gr.client.post(API + "/stream/items/contents", data={"i": str(STORY_BASE + 2)},
                           headers=gr.bob).json()["items"][0]
    assert "harbour district" in other["summary"]["content"]


def test_atom_form(gr: GR) -> None:
    a, f = gr.data.articles, gr.data.feeds
    edit(gr, gr.alice, [a["talks-wire"]], a=READ)
    r = gr.client.get(f"/greader/reader/atom/feed%2F{f['Wire']}", params={"n": 20},
                      headers=gr.alice)
    assert r.status_code == 200 and r.headers["content-type"].startswith(
        "application/atom+xml")
    feed = feedparser.parse(r.content)
    assert feed.feed.title == "Wire" and len(feed.entries) == 2
    terms = {e.title: {t.term for t in e.get("tags", [])} for e in feed.entries}
    assert "user/1/state/com.google/read" in terms["Talks open in Geneva"]
    assert "user/1/state/com.google/read" not in terms["Harbour storm cuts power"]
    first = gr.client.get("/greader/reader/atom/feed%2Fstoryline%3Astories",
                          params={"n": 2}, headers=gr.alice)
    parsed = feedparser.parse(first.content)
    assert len(parsed.entries) == 2
    cont = re.search(rb"<gr:continuation>([^<]+)</gr:continuation>", first.content)
    assert cont
    rest = gr.client.get("/greader/reader/atom/feed%2Fstoryline%3Astories",
                         params={"n": 2, "c": cont.group(1).decode()}, headers=gr.alice)
    assert [e.title for e in feedparser.parse(rest.content).entries] == [
        "Geneva peace talks open (3 articles)"]


def test_continuation_over_a_thousand_items(gr: GR) -> None:
    f = gr.data.feeds["Daily"]
    with gr.engine.begin() as conn:
        made = [add_article(conn, source_id=f, outlet="Daily", title=f"Brief {i}",
                            text=f"Brief number {i}.", key=str(i),
                            published=T0 + timedelta(minutes=7 * i)) for i in range(1205)]
    seen: list[int] = []
    cont = None
    pages = 0
    while True:
        params = {"s": f"feed/{f}", "n": 500, **({"c": cont} if cont else {})}
        body = gr.client.get(API + "/stream/items/ids", params=params,
                             headers=gr.alice).json()
        seen += [int(i["id"]) for i in body["itemRefs"]]
        pages += 1
        cont = body.get("continuation")
        if not cont:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 1205 + 2
    assert seen[:3] == [made[-1], made[-2], made[-3]]
    full = gr.client.get(f"{API}/stream/contents/feed/{f}", params={"n": 1000},
                         headers=gr.alice).json()
    assert len(full["items"]) == 1000 and full["continuation"]
    tail = gr.client.get(f"{API}/stream/contents/feed/{f}",
                         params={"n": 1000, "c": full["continuation"]},
                         headers=gr.alice).json()
    assert len(tail["items"]) == 207 and "continuation" not in tail
    assert tail["items"][-1]["title"] == "Brief 0"  # at T0, before the talks article
    edit(gr, gr.alice, made[:700], a=READ)
    assert len(ids(gr, gr.alice, f"feed/{f}", xt=READ, n=10_000)) == 1207 - 700
    assert len(ids(gr, gr.bob, f"feed/{f}", xt=READ, n=10_000)) == 1207
