"""The JSON API (and the write actions of the Feeds page), in-process through the ASGI app,
over a real database built by the real pipeline (``tests/webdata.py``)."""

from __future__ import annotations

import re
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import Engine, update

from storyline.settings import Settings, load_settings
from storyline.storage import open_database
from storyline.storage.schema import stories
from storyline.web import create_app
from tests.webdata import SEED_TIME, seed_story_id, start_server, story_with_title, web_db

TOKEN = "s3cret-admin-token"
BOILERPLATE = ("RECOMMENDED", "SOURCE:", "Explore", "Subscribe", "Read more")


@dataclass
class Web:
    client: TestClient
    engine: Engine
    settings: Settings
    seed: int


def web_settings(tmp: Path, **env: str) -> Settings:
    return load_settings(env={"STORYLINE_DATA_DIR": str(tmp / "data"), "STORYLINE_CONFIG": "",
                              **env})


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    url = web_db(tmp_path_factory)
    settings = web_settings(tmp_path_factory.mktemp("api"), STORYLINE_ADMIN_TOKEN=TOKEN)
    engine = open_database(settings, url)
    with TestClient(create_app(settings, engine)) as client:
        yield Web(client, engine, settings, seed_story_id(engine))
    engine.dispose()


def texts(obj: Any) -> Iterator[str]:
    """Every string inside a JSON document."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from texts(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from texts(v)


def all_citations(story: dict[str, Any]) -> list[int]:
    cited = [c for sec in story["sections"] for s in sec["sentences"] for c in s["citations"]]
    cited += [c for e in story["timeline"] for c in e["citations"]]
    cited += [c for sub in story["substories"] for c in sub["citations"]]
    cited += [c for link in story["external_links"] for c in link["citations"]]
    cited += [c for conflict in story["conflicts"] for claim in conflict["claims"]
              for c in claim["citations"]]
    if story["image"]:
        cited.append(story["image"]["citation"])
    return cited


# --- stories ------------------------------------------------------------------------


def test_seed_story_json(web: Web) -> None:
    r = web.client.get(f"/api/stories/{web.seed}")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    story = r.json()
    assert story["id"] == web.seed and story["has_summary"] and not story["stale"]
    headline = story["headline"]
    assert "Geneva" in headline and "talks" in headline and "Witkoff" in headline
    assert story["article_count"] == 4 and len(story["related"]) == 4
    assert story["updated_at"].startswith("2026-02-18")
    # Every citation marker resolves to a listed source, numbered 1..n.
    indices = [s["index"] for s in story["sources"]]
    assert indices == list(range(1, len(indices) + 1)) and len(indices) == 4
    cited = all_citations(story)
    assert len(cited) >= 10 and set(cited) <= set(indices)
    assert {a["source"] for a in story["related"]} == set(indices)
    # Sectioned, sorted timeline, the storyline, and no boilerplate from the seed pages.
    assert len(story["sections"]) >= 3 and all(sec["title"] for sec in story["sections"])
    body = " ".join(s["text"] for sec in story["sections"] for s in sec["sentences"])
    assert "Geneva" in body and "Witkoff" in body
    dates = [e["date"][:10] for e in story["timeline"]]
    assert dates == sorted(dates) and len(dates) >= 3
    earlier = [e for e in story["timeline"] if e.get("story_id")]
    assert [e["date"][:10] for e in earlier] == ["2026-02-04"]  # the Abu Dhabi round
    assert story["storyline"]["story_count"] == 2
    for text in texts(story):
        for junk in BOILERPLATE:
            assert junk not in text, f"boilerplate {junk!r} in {text[:80]!r}"
    assert story["support_rate"] == 1.0 and story["checked_sentences"] >= 5


def test_unknown_and_invalid_story_ids(web: Web) -> None:
    missing = web.client.get("/api/stories/987654")
    assert missing.status_code == 404 and missing.json() == {"detail": "no story 987654"}
    assert web.client.get("/api/stories/0").status_code == 404
    assert web.client.get("/api/stories/abc").status_code == 404
    assert web.client.get("/api/stories/99999999999999999999999").status_code == 404
    assert web.client.get("/api/storylines/987654").status_code == 404
    assert web.client.get("/api/nothing-here").json() == {"detail": "Not Found"}


def test_merged_story_redirects_to_its_survivor(tmp_path_factory: pytest.TempPathFactory,
                                                tmp_path: Path) -> None:
    src = Path(web_db(tmp_path_factory).removeprefix("sqlite:///"))
    copy = tmp_path / "copy.db"
    shutil.copy(src, copy)
    settings = web_settings(tmp_path)
    engine = open_database(settings, f"sqlite:///{copy}")
    seed = seed_story_id(engine)
    hostile = story_with_title(engine, "Storm")
    with engine.begin() as conn:  # as the consolidation pass leaves a merged story
        conn.execute(update(stories).where(stories.c.id == hostile).values(
            status="merged", merged_into=seed, article_count=0))
    with TestClient(create_app(settings, engine)) as client:
        for prefix in ("/api/stories", "/stories"):
            r = client.get(f"{prefix}/{hostile}", follow_redirects=False)
            assert r.status_code == 301 and r.headers["location"] == f"{prefix}/{seed}"
        assert client.get(f"/api/stories/{hostile}").json()["id"] == seed
        top = client.get("/api/top").json()
        assert hostile not in [s["id"] for s in top["stories"]]
    engine.dispose()


def test_top_headlines_ranking(web: Web) -> None:
    top = web.client.get("/api/top").json()
    ids = [s["id"] for s in top["stories"]]
    assert top["page"] == 1 and top["total"] == len(ids) >= 8
    assert ids[0] == web.seed  # the newest story with most sources leads
    scores = [s["score"] for s in top["stories"]]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0
    lead = top["stories"][0]
    assert lead["article_count"] == 4 and lead["lead"] and lead["updated"].startswith("2026")
    assert lead["headline"] == web.client.get(f"/api/stories/{web.seed}").json()["headline"]
    # Out-of-range pages are clamped, bad ones refused.
    assert web.client.get("/api/top?page=50").json()["page"] == top["pages"]
    assert web.client.get("/api/top?page=0").status_code == 422


def test_ranking_pages_and_scores(web: Web) -> None:
    from storyline.rank import story_score, top_stories
    from storyline.web.queries import top_page

    ref = datetime(2026, 2, 18, tzinfo=UTC)
    day = timedelta(days=1)

    def score(**kw: Any) -> float:
        base: dict[str, Any] = dict(outlets=3, articles=4, first=ref - day, last=ref,
                                    reference=ref)
        return story_score(**{**base, **kw})

    assert score(outlets=6) > score() > score(outlets=1)
    assert score(first=ref - day / 24) > score()  # same articles, faster: velocity
    assert score() > score(last=ref - day, first=ref - 2 * day)  # recency
    # Recency is relative to the newest story: an old archive still ranks sensibly.
    old = ref - 3650 * day
    assert score(first=old - day, last=old, reference=old) == pytest.approx(score())

    with web.engine.connect() as conn:
        ranking = top_stories(conn)
        pages = [top_page(conn, ranking, p, per_page=3) for p in range(1, 6)]
    seen = [s["id"] for p in pages for s in p["stories"]]
    assert pages[0]["pages"] == -(-len(ranking) // 3)
    assert seen[: len(ranking)] == [r.id for r in ranking]  # pages partition the ranking
    assert len(set(seen[: len(ranking)])) == len(ranking)


def test_ranking_over_plain_story_stats() -> None:
    """storyline.rank over plain data: age is measured against the newest story, not the
    clock; a tie goes to the newer id; no stories, no ranking."""
    from types import SimpleNamespace

    from storyline.rank import rank_stories, story_score

    newest = datetime(2016, 3, 1, 12, tzinfo=UTC)
    stats = [
        SimpleNamespace(id=1, outlet_count=5, article_count=9, first_time=newest - timedelta(days=3),
                        last_time=newest - timedelta(days=2)),  # big but two days old
        SimpleNamespace(id=2, outlet_count=2, article_count=3, first_time=newest,
                        last_time=newest),
        SimpleNamespace(id=3, outlet_count=2, article_count=3, first_time=None,
                        last_time=newest.replace(tzinfo=None)),  # naive: taken as UTC
        SimpleNamespace(id=4, outlet_count=1, article_count=1, first_time=None,
                        last_time=None),  # undated: last
    ]
    ranked = rank_stories(stats)
    assert [r.id for r in ranked] == [3, 2, 1, 4]
    assert ranked[0].score == ranked[1].score == pytest.approx(
        story_score(outlets=2, articles=3, first=newest, last=newest, reference=newest))
    assert ranked[1].score == pytest.approx(1 + 2 * 1.584962500721156 + 2 + 2)
    assert 0 < ranked[2].score < ranked[1].score / 3 and ranked[3].score == 0.0
    assert rank_stories([]) == []


def test_storyline_json(web: Web) -> None:
    story = web.client.get(f"/api/stories/{web.seed}").json()
    line = web.client.get(f"/api/storylines/{story['storyline']['id']}").json()
    assert [s["id"] for s in line["stories"]][-1] == web.seed and line["story_count"] == 2
    firsts = [s["first_time"] for s in line["stories"]]
    assert firsts == sorted(firsts) and firsts[0].startswith("2026-02-04")
    dates = [e["date"][:10] for e in line["timeline"]]
    assert dates == sorted(dates)
    own = [e["story_id"] for e in line["timeline"] if e.get("story_id")]
    assert own == [s["id"] for s in line["stories"]]  # each story once, in time order
    assert any(e["citations"] and e["from_story"] == web.seed for e in line["timeline"])


# --- Atom ---------------------------------------------------------------------------


def test_atom_feeds_parse(web: Web) -> None:
    top = web.client.get("/api/top").json()
    r = web.client.get("/feeds/top.atom")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(r.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10" and feed.feed.title == "Storyline: Top Headlines"
    assert [e.link for e in feed.entries] == [
        f"/stories/{s['id']}" for s in top["stories"]]  # Host "testserver" is not ours
    assert feed.entries[0].title == top["stories"][0]["headline"]
    assert feed.entries[0].id == f"tag:storyline.invalid,2026:/stories/{web.seed}"
    assert "4 articles" in feed.entries[0].summary
    hostile = next(e for e in feed.entries if "Storm" in e.title)
    assert hostile.title.startswith("<script>alert")  # text, round-tripped, not markup

    line_id = web.client.get(f"/api/stories/{web.seed}").json()["storyline"]["id"]
    line = feedparser.parse(web.client.get(f"/storylines/{line_id}.atom").content)
    assert not line.bozo and len(line.entries) == 2
    assert line.entries[0].link.endswith(f"/stories/{web.seed}")  # newest first
    assert line.feed.links[0].href == f"/storylines/{line_id}.atom"
    assert web.client.get("/storylines/987654.atom").status_code == 404


# --- search -------------------------------------------------------------------------


def test_search_api(web: Web) -> None:
    r = web.client.get("/api/search", params={"q": "Geneva Witkoff"})
    assert r.status_code == 200
    found = r.json()
    assert found["stories"] and found["stories"][0]["story_id"] == web.seed
    assert {a["story_id"] for a in found["articles"]} == {web.seed}
    assert all(a["published"].startswith(SEED_TIME.date().isoformat()) for a in
               found["articles"])
    marked = [p["text"] for a in found["articles"] for p in a["snippet_parts"] if p["mark"]]
    assert marked and all(m.lower() in ("geneva", "witkoff") for m in marked)
    for odd in ('"unclosed', "NOT", "*", "'; DROP TABLE stories; --", "<script>"):
        assert web.client.get("/api/search", params={"q": odd}).status_code == 200
    assert web.client.get("/api/search?q=").json()["stories"] == []


# --- headers, limits ----------------------------------------------------------------


def test_security_headers(web: Web) -> None:
    for path in ("/", f"/stories/{web.seed}", f"/api/stories/{web.seed}", "/feeds",
                 "/stories/987654", "/static/style.css"):
        r = web.client.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"


def test_openapi_lists_every_twin(web: Web) -> None:
    spec = web.client.get("/api/openapi.json").json()
    assert {"/api/top", "/api/stories/{story_id}", "/api/storylines/{storyline_id}",
            "/api/search", "/api/feeds", "/api/feeds/{feed_id}"} <= set(spec["paths"])
    assert set(spec["paths"]["/api/feeds"]) == {"get", "post"}
    docs = web.client.get("/api/docs")
    assert docs.status_code == 200 and "/api/stories/{story_id}" in docs.text
    assert "<script" not in docs.text.replace('<script src="/static/app.js" defer>', "")


# --- feeds: write actions -----------------------------------------------------------


def feeds_app(engine: Engine, tmp_path: Path, **env: str) -> TestClient:
    settings = web_settings(tmp_path, **env)
    return TestClient(create_app(settings, engine))


def test_feed_writes_need_a_configured_token(engine: Engine, tmp_path: Path) -> None:
    client = feeds_app(engine, tmp_path, STORYLINE_ALLOW_PRIVATE_FEEDS="true")
    r = client.post("/api/feeds", json={"url": "https://example.org/rss.xml"},
                    headers={"Authorization": "Bearer anything"})
    assert r.status_code == 403 and "STORYLINE_ADMIN_TOKEN" in r.json()["detail"]
    page = client.post("/feeds/add", data={"url": "https://example.org/rss.xml",
                                           "token": "anything"})
    assert page.status_code == 403 and "STORYLINE_ADMIN_TOKEN" in page.text
    assert client.get("/api/feeds").json() == {"feeds": []}
    assert "no admin token is set" in client.get("/feeds").text


def test_feed_add_and_remove_with_token(engine: Engine, tmp_path: Path) -> None:
    client = feeds_app(engine, tmp_path, STORYLINE_ADMIN_TOKEN=TOKEN,
                       STORYLINE_ALLOW_PRIVATE_FEEDS="true")
    url = "http://127.0.0.1:9/feed.xml"
    assert client.post("/api/feeds", json={"url": url}).status_code == 401
    wrong = client.post("/api/feeds", json={"url": url},
                        headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 403 and wrong.json() == {"detail": "wrong admin token"}
    auth = {"Authorization": f"Bearer {TOKEN}"}
    added = client.post("/api/feeds", json={"url": url}, headers=auth)
    assert added.status_code == 201 and added.json()["created"] is True
    feed_id = added.json()["id"]
    again = client.post("/api/feeds", json={"url": url}, headers=auth)
    assert again.status_code == 200 and again.json() == {"id": feed_id, "url": url,
                                                         "created": False}
    listed = client.get("/api/feeds").json()["feeds"]
    assert [(f["id"], f["url"], f["status"], f["articles"]) for f in listed] == [
        (feed_id, url, "active", 0)]
    assert url in client.get("/feeds.opml").text
    bad = client.post("/api/feeds", json={"url": "ftp://example.org/x"}, headers=auth)
    assert bad.status_code == 400 and "not an http(s) URL" in bad.json()["detail"]

    assert client.delete(f"/api/feeds/{feed_id}").status_code == 401
    assert client.delete(f"/api/feeds/{feed_id}", headers=auth).json() == {
        "id": feed_id, "removed": True}
    assert client.delete(f"/api/feeds/{feed_id}", headers=auth).status_code == 404
    assert client.get("/api/feeds").json() == {"feeds": []}

    # The HTML forms: token in the form, Post/Redirect/Get, cross-site posts refused.
    form = client.post("/feeds/add", data={"url": url, "token": TOKEN},
                       follow_redirects=False)
    assert form.status_code == 303 and form.headers["location"].startswith("/feeds?added=")
    new_id = int(form.headers["location"].rsplit("=", 1)[1])
    page = client.get(form.headers["location"])
    assert f"Added feed {new_id}" in page.text and url in page.text
    assert client.post("/feeds/add", data={"url": url, "token": "nope"}).status_code == 403
    evil = client.post(f"/feeds/{new_id}/remove", data={"token": TOKEN},
                       headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403 and "cross-site" in evil.text
    # Chromium sends Origin: null under Referrer-Policy no-referrer: the token decides.
    blind = client.post(f"/feeds/{new_id}/remove", data={"token": "nope"},
                        headers={"Origin": "null"})
    assert blind.status_code == 403
    gone = client.post(f"/feeds/{new_id}/remove", data={"token": TOKEN},
                       headers={"Origin": "null"}, follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == f"/feeds?removed={new_id}"
    assert client.get("/api/feeds").json() == {"feeds": []}


OPML = """<?xml version="1.0"?>
<opml version="2.0"><head><title>subs</title></head><body>
<outline text="News"><outline text="A" xmlUrl="https://a.example.org/rss"/>
<outline text="Local" xmlUrl="http://127.0.0.1:8080/feed"/></outline>
<outline text="B" xmlUrl="https://b.example.org/atom.xml" htmlUrl="https://b.example.org/"/>
</body></opml>"""


def test_private_addresses_refused_and_opml_import(engine: Engine, tmp_path: Path) -> None:
    client = feeds_app(engine, tmp_path, STORYLINE_ADMIN_TOKEN=TOKEN)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for url in ("http://127.0.0.1:8000/feed.xml", "http://localhost/rss", "http://[::1]/a",
                "http://10.1.2.3/feed", "http://169.254.169.254/latest/meta-data"):
        r = client.post("/api/feeds", json={"url": url}, headers=auth)
        assert r.status_code == 400 and "private or loopback" in r.json()["detail"], url
    page = client.post("/feeds/import", data={"token": TOKEN},
                       files={"file": ("subs.opml", OPML.encode(), "text/x-opml")})
    assert page.status_code == 200
    assert "Imported 2 new feeds (0 already there, 1 skipped)" in page.text
    assert "127.0.0.1 is a private or loopback address" in page.text
    urls = sorted(f["url"] for f in client.get("/api/feeds").json()["feeds"])
    assert urls == ["https://a.example.org/rss", "https://b.example.org/atom.xml"]
    exported = client.get("/feeds.opml")
    assert exported.headers["content-type"].startswith("text/x-opml")
    assert 'xmlUrl="https://b.example.org/atom.xml"' in exported.text
    not_opml = client.post("/feeds/import", data={"token": TOKEN},
                           files={"file": ("x.opml", b"<html>nope</html>", "text/html")})
    assert not_opml.status_code == 400 and "not a usable OPML file" in not_opml.text


def test_request_size_limit(engine: Engine, tmp_path: Path) -> None:
    client = feeds_app(engine, tmp_path, STORYLINE_ADMIN_TOKEN=TOKEN,
                       STORYLINE_MAX_REQUEST_BYTES="4096")
    big = OPML.replace("<body>", "<body>" + "<!-- padding -->" * 1000).encode()
    r = client.post("/feeds/import", data={"token": TOKEN},
                    files={"file": ("big.opml", big, "text/x-opml")})
    assert r.status_code == 413 and "4096 bytes" in r.text
    assert r.headers["x-content-type-options"] == "nosniff"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams in
        for _ in range(10):
            yield b"x" * 1000

    streamed = client.post("/api/feeds", content=chunks(),
                           headers={"Authorization": f"Bearer {TOKEN}",
                                    "Content-Type": "application/json"})
    assert streamed.status_code == 413
    assert client.get("/api/feeds").json() == {"feeds": []}
    small = client.post("/api/feeds", json={"url": "https://a.example.org/rss"},
                        headers={"Authorization": f"Bearer {TOKEN}"})
    assert small.status_code == 201


# --- the serve command ----------------------------------------------------------------


def test_serve_refuses_an_old_schema(db_url: str, tmp_path: Path) -> None:
    from storyline.cli import main
    from storyline.storage import make_engine, migrate

    old = make_engine(db_url)
    migrate(old, "0003_summaries")
    old.dispose()
    res = CliRunner().invoke(main, ["--db", db_url, "serve", "--port", "0", "--no-worker"],
                             env={"STORYLINE_CONFIG": "",
                                  "STORYLINE_DATA_DIR": str(tmp_path / "data")})
    assert res.exit_code == 1
    assert re.search(r"^Error: .*run `storyline db migrate`$", res.output.strip())
    assert "Traceback" not in res.output and "serving" not in res.output


def test_serve_reports_a_busy_port(tmp_path_factory: pytest.TempPathFactory,
                                   tmp_path: Path) -> None:
    from storyline.cli import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        res = CliRunner().invoke(main, ["--db", web_db(tmp_path_factory), "serve", "--port",
                                        str(port), "--no-worker"],
                                 env={"STORYLINE_CONFIG": "",
                                      "STORYLINE_DATA_DIR": str(tmp_path / "data")})
    assert res.exit_code == 1
    assert res.output.startswith(f"Error: cannot listen on 127.0.0.1:{port}")
    assert len(res.output.strip().splitlines()) == 1


def test_summary_html_rendering(web: Web, tmp_path: Path) -> None:
    from storyline.cli import main

    res = CliRunner().invoke(main, ["--db", str(web.engine.url), "stories", "summary",
                                    str(web.seed), "--html"],
                             env={"STORYLINE_CONFIG": "",
                                  "STORYLINE_DATA_DIR": str(tmp_path / "data")})
    assert res.exit_code == 0, res.output
    html = res.output
    story = web.client.get(f"/api/stories/{web.seed}").json()
    assert html.startswith("<!doctype html>") and "<h2 id=\"h-sources\">Sources</h2>" in html
    assert str(escape(story["headline"])) in html and "<h2 id=\"h-timeline\">" in html
    cited = re.findall(r'<a class="cite" href="#source-(\d+)"', html)
    sentence_cites = [c for sec in story["sections"] for s in sec["sentences"]
                      for c in s["citations"]]
    assert len(cited) >= len(sentence_cites) > 0
    assert {int(c) for c in cited} <= {s["index"] for s in story["sources"]}
    for n in range(1, len(story["sources"]) + 1):
        assert f'<li id="source-{n}" value="{n}">' in html


def test_serve_with_two_processes(tmp_path_factory: pytest.TempPathFactory,
                                  tmp_path: Path) -> None:
    """`storyline serve --workers 2`: both server processes answer from the same
    database; SIGTERM stops the lot cleanly."""
    import httpx

    url = web_db(tmp_path_factory)
    engine = open_database(web_settings(tmp_path), url)
    seed = seed_story_id(engine)
    engine.dispose()
    proc, base = start_server(url, tmp_path / "data", "--workers", "2")
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(20):  # until both processes are up, then some more
                story = client.get(f"/api/stories/{seed}")
                assert story.status_code == 200 and story.json()["id"] == seed
            page = client.get(f"/stories/{seed}")
            assert page.status_code == 200 and "content-security-policy" in page.headers
            assert client.get("/api/stories/987654").status_code == 404
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        servers = [c for c in children
                   if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]
        assert len(servers) == 2, children
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert out.rstrip().endswith("Stopped.")
    assert "Traceback" not in out
