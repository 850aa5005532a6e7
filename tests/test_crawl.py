"""End to end: the real fetcher against a loopback server, into a temporary database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from html import escape

import pytest

from storyline.evaluate.extraction import score_page, summarise
from tests.feedgen import Item, base_time, bench_pages, rfc822, rss, serve_pages

PARAS = [
    "Negotiators from Ukraine and Russia resumed a second round of peace talks in Geneva "
    "on Wednesday, as the United States expressed cautious optimism about the effort.",
    "The talks lasted six hours and were described as very tense by a source close to the "
    "Russian delegation, who spoke on condition of anonymity to reporters afterwards.",
    "Ukraine's delegation was led by Rustem Umerov, while Russia's team was headed by "
    "Vladimir Medinsky, a former culture minister and a veteran of earlier rounds.",
    "European partners including France, Britain, Germany and Italy were consulted on the "
    "outcome, officials said, and further meetings are expected in the coming weeks.",
]


def page(title: str, paras: list[str]) -> bytes:
    body = "".join(f"<p>{escape(p)}</p>" for p in paras)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"</head><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
            f"<article><h1>{escape(title)}</h1>{body}</article>"
            f"<footer>Copyright Fixture News</footer></body></html>").encode()


def feeds_json(cli) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    rows = [json.loads(x) for x in cli("feeds", "list", "--json").output.splitlines()]
    return {r["url"]: r for r in rows}


def articles_json(cli) -> list[dict]:  # type: ignore[no-untyped-def]
    return [json.loads(x) for x in cli("articles", "list", "--json").output.splitlines()]


@pytest.mark.needs_shared
def test_fetch_extracts_full_text_conditional_get_and_idempotent(cli, http_server) -> None:  # type: ignore[no-untyped-def]
    pages = bench_pages(4)
    urls = serve_pages(http_server, pages)
    t0 = base_time()
    items = [Item(link=u, title=f"Story {i}", guid=f"g{i}", published=rfc822(t0 + timedelta(
        minutes=i))) for i, u in enumerate(urls)]
    http_server.add_conditional("/news.rss", rss(items, title="Loopback Daily"),
                                etag='"v1"', headers={"Content-Type": "application/rss+xml"})
    cli("feeds", "add", http_server.url("/news.rss"))

    out = cli("fetch").output
    assert "Fetched 1/1 feeds (0 unchanged): 4 new articles" in out
    arts = {a["url"]: a for a in articles_json(cli)}
    assert set(arts) == set(urls)
    for (_key, _html, truth), url in zip(pages, urls, strict=True):
        art = arts[url]
        assert art["extraction_method"] == "trafilatura"
        assert art["outlet"] == "Loopback Daily"
        assert art["published"] == (t0 + timedelta(minutes=urls.index(url))).isoformat()
        words = truth.split()
        mid = len(words) // 2
        assert " ".join(words[mid:mid + 12]) in " ".join(art["text"].split())
    feed = feeds_json(cli)[http_server.url("/news.rss")]
    assert feed["status"] == "active" and feed["articles"] == 4 and feed["last_error"] is None
    assert datetime.fromisoformat(feed["next_check"]) > datetime.now(UTC) + timedelta(minutes=4)

    # Not due yet: nothing fetched. Forced: conditional GET answers 304, nothing new.
    assert "No feeds due" in cli("fetch").output
    out = cli("fetch", "--all").output
    assert "(1 unchanged): 0 new articles" in out
    assert http_server.requests_to("/news.rss")[-1].headers.get("if-none-match") == '"v1"'
    assert len(articles_json(cli)) == 4

    # A new item: only its page is fetched; old pages are not fetched again.
    new_page = bench_pages(5)[4:]
    (new_url,) = serve_pages(http_server, new_page, prefix="/q/")
    items.append(Item(link=new_url, title="Story new", guid="g-new"))
    http_server.add_conditional("/news.rss", rss(items, title="Loopback Daily"), etag='"v2"')
    assert "1 new articles" in cli("fetch", "--all").output
    assert all(http_server.hits[u.removeprefix(http_server.base_url)] == 1 for u in urls)
    assert len(articles_json(cli)) == 5


def test_page_failures_fall_back_to_feed_content(cli, http_server) -> None:  # type: ignore[no-untyped-def]
    http_server.add("/robots.txt", "User-agent: *\nDisallow: /private/\n",
                    headers={"Content-Type": "text/plain"})
    http_server.add("/gone.html", "nope", status=404)
    http_server.add("/private/a.html", page("Secret", PARAS))
    content = "".join(f"<p>{p}</p>" for p in PARAS)
    items = [
        Item(link=http_server.url("/gone.html"), title="Gone page", guid="1",
             content=content),
        Item(link=http_server.url("/private/a.html"), title="Robots page", guid="2",
             content="<p>" + PARAS[0] + "</p><p>" + PARAS[3] + "</p>"),
        Item(link=http_server.url("/gone.html#2"), title="No text anywhere", guid="3"),
    ]
    http_server.add("/f.rss", rss(items), headers={"Content-Type": "application/rss+xml"})
    cli("feeds", "add", http_server.url("/f.rss"))
    out = cli("fetch").output
    assert "2 new articles" in out and "3 pages fell back to feed content or failed" in out
    arts = {a["title"]: a for a in articles_json(cli)}
    assert arts["Gone page"]["extraction_method"] == "feed-content"
    assert arts["Gone page"]["text"] == "\n".join(PARAS)
    assert arts["Robots page"]["extraction_method"] == "feed-content"
    assert http_server.hits["/private/a.html"] == 0  # robots.txt respected
    assert "No text anywhere" not in arts


def test_bad_feeds_are_reported_and_the_run_goes_on(cli, http_server) -> None:  # type: ignore[no-untyped-def]
    env = {"STORYLINE_FETCH_TIMEOUT": "1", "STORYLINE_FETCH_MAX_BYTES": "20000"}
    http_server.add("/good/1.html", page("Good one", PARAS))
    http_server.add("/good.rss", rss([Item(link=http_server.url("/good/1.html"),
                                           title="Good one", guid="good-1")]),
                    headers={"Content-Type": "application/rss+xml"})
    bad = {
        "/malformed.rss": dict(body=b"<?xml version='1.0'?><rss><channel><item><title>x",
                               headers={"Content-Type": "application/rss+xml"}),
        "/page.rss": dict(body=b"<!doctype html><html><head><title>Hi</title>"
                               b"<link rel='alternate' type='application/rss+xml' "
                               b"href='/real.rss'></head><body>Hello</body></html>",
                          headers={"Content-Type": "text/html"}),
        "/empty.rss": dict(body=b"", headers={"Content-Type": "application/rss+xml"}),
        "/missing.rss": dict(body=b"not here", status=404),
        "/gone.rss": dict(body=b"gone", status=410),
        "/broken.rss": dict(body=b"oops", status=500),
        "/slow.rss": dict(body=rss([]), delay=2.5),
        "/huge.rss": dict(body=rss([Item(link=f"http://127.0.0.1/x/{i}", title="y" * 300)
                                    for i in range(200)])),
    }
    for path, spec in bad.items():
        http_server.add(path, **spec)
    http_server.add_redirect_loop("/loop-a.rss", "/loop-b.rss")
    all_paths = ["/good.rss", *bad, "/loop-a.rss"]
    cli("feeds", "add", *[http_server.url(p) for p in all_paths])

    res = cli("fetch", env=env)
    assert "Fetched 1/10 feeds (0 unchanged): 1 new articles" in res.output
    feeds = {url.removeprefix(http_server.base_url): f for url, f in feeds_json(cli).items()}
    errors = {p: (f["status"], f["last_error"]) for p, f in feeds.items()}
    assert errors["/good.rss"] == ("active", None)
    assert errors["/malformed.rss"][0] == "error"
    assert "malformed XML" in errors["/malformed.rss"][1]
    assert "HTML page, not a feed" in errors["/page.rss"][1]
    assert "empty response body" in errors["/empty.rss"][1]
    assert "HTTP 404" in errors["/missing.rss"][1]
    assert errors["/gone.rss"][0] == "disabled" and "HTTP 410" in errors["/gone.rss"][1]
    assert "HTTP 500" in errors["/broken.rss"][1]
    assert "timed out" in errors["/slow.rss"][1]
    assert "redirect" in errors["/loop-a.rss"][1]
    assert "larger than" in errors["/huge.rss"][1]
    for path in all_paths[1:]:
        assert f"{http_server.url(path)}: " in res.output  # one line per failing feed
        assert "\n" not in errors[path][1]
    now = datetime.now(UTC)
    assert datetime.fromisoformat(feeds["/broken.rss"]["next_check"]) > now + timedelta(
        minutes=20)

    # Re-running is idempotent; errors are counted; the disabled feed is left alone.
    cli("fetch", "--all", env=env)
    feeds = {url.removeprefix(http_server.base_url): f for url, f in feeds_json(cli).items()}
    assert feeds["/broken.rss"]["error_count"] == 2
    assert feeds["/gone.rss"]["error_count"] == 1 and http_server.hits["/gone.rss"] == 1
    assert len(articles_json(cli)) == 1
    assert feeds["/good.rss"]["articles"] == 1


def test_feed_edge_cases(cli, http_server) -> None:  # type: ignore[no-untyped-def]
    for name in ("a", "b", "c", "d", "e"):
        http_server.add(f"/art/{name}.html", page(f"Article {name}", [
            f"Article {name} reports: " + PARAS[0], *PARAS[1:]]))
    future = rfc822(datetime.now(UTC) + timedelta(days=30))
    items = [
        Item(link="/art/a.html", title="Relative link", guid="dup"),
        Item(link="/art/b.html", title="Duplicate guid", guid="dup"),
        Item(link="art/c.html", title=None, guid="no-title"),
        Item(link="/art/d.html", title="Future date", guid="future", published=future),
        Item(link="/art/e.html", title="Bad date", guid="bad", published="the 45th of Nevember"),
    ]
    body = rss(items, title="Café Crème", encoding="cp1252", declare=False)
    assert "é".encode("cp1252") in body
    http_server.add("/edge.rss", body, headers={"Content-Type": "application/rss+xml"})
    cli("feeds", "add", http_server.url("/edge.rss"))
    res = cli("fetch")
    assert "4 new articles" in res.output
    arts = {a["url"].removeprefix(http_server.base_url): a for a in articles_json(cli)}
    assert set(arts) == {"/art/a.html", "/art/c.html", "/art/d.html", "/art/e.html"}
    assert arts["/art/a.html"]["outlet"] == "Café Crème"
    assert arts["/art/c.html"]["title"]  # a title from the page or the text
    for key in ("/art/d.html", "/art/e.html"):
        assert "published" in arts[key]["inferred_fields"]
        assert datetime.fromisoformat(arts[key]["published"]) <= datetime.now(UTC)
    assert "duplicate" in (feeds_json(cli)[http_server.url("/edge.rss")]["last_error"] or "")
    cli("fetch", "--all")
    assert len(articles_json(cli)) == 4


def test_syndicated_copies_and_url_variants(cli, http_server) -> None:  # type: ignore[no-untyped-def]
    http_server.add("/wire/talks.html", page("Talks resume in Geneva", PARAS))
    edited = [p.replace("very tense", "tense") for p in PARAS] + [
        "Expectations for a breakthrough remained low, diplomats said on Wednesday."]
    http_server.add("/herald/copy.html", page("Geneva talks resume", edited))
    a = [Item(link=http_server.url("/wire/talks.html?utm_source=rss&utm_medium=feed"),
              title="Talks resume in Geneva", guid="w1")]
    b = [Item(link=http_server.url("/wire/talks.html/#comments"), title="Talks resume",
              guid="x1"),
         Item(link=http_server.url("/herald/copy.html"), title="Geneva talks resume",
              guid="x2")]
    http_server.add("/a.rss", rss(a, title="Wire"))
    http_server.add("/b.rss", rss(b, title="Herald"))
    cli("feeds", "add", http_server.url("/a.rss"))
    cli("fetch")
    cli("feeds", "add", http_server.url("/b.rss"))
    cli("fetch")
    arts = articles_json(cli)
    assert [a["url"] for a in arts] == [http_server.url("/wire/talks.html"),
                                        http_server.url("/herald/copy.html")]
    assert arts[0]["duplicate_of"] is None
    assert arts[1]["duplicate_of"] == arts[0]["id"]
    assert arts[1]["duplicate_kind"] == "near" and arts[1]["outlet"] == "Herald"
    assert http_server.hits["/wire/talks.html"] == 1


@pytest.mark.slow
@pytest.mark.needs_shared
def test_big_run_extracts_in_worker_processes(cli, http_server) -> None:  # type: ignore[no-untyped-def]
    pages = bench_pages(24, min_words=150)
    urls = serve_pages(http_server, pages)
    http_server.add("/big.rss", rss([Item(link=u, title=f"Big {i}", guid=f"b{i}")
                                     for i, u in enumerate(urls)], title="Big"))
    cli("feeds", "add", http_server.url("/big.rss"))
    out = cli("fetch", env={"STORYLINE_EXTRACT_WORKERS": "2"}).output
    assert "24 new articles" in out
    arts = {a["url"]: a for a in articles_json(cli)}
    scores = []
    for (_key, _html, truth), url in zip(pages, urls, strict=True):
        assert arts[url]["extraction_method"] == "trafilatura"
        scores.append(score_page(truth, arts[url]["text"]))
    assert summarise(scores)["f1"] > 0.9
