"""The HTML pages, in-process through the ASGI app, over the real test database: what a
reader sees (content, links that resolve, escaping, titles, error pages)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import html as lxml_html
from sqlalchemy import Engine, func, insert, select, update

from storyline.settings import load_settings
from storyline.storage import open_database
from storyline.storage.schema import stories, story_members, story_summaries, substories
from storyline.web import create_app
from tests.webdata import HOSTILE_TITLE, seed_story_id, story_with_title, web_db

BOILERPLATE = ("RECOMMENDED", "SOURCE:", "Explore", "Subscribe", "Full size Source")


@dataclass
class Site:
    client: TestClient
    engine: Engine
    seed: int

    def page(self, path: str, status: int = 200) -> Any:
        r = self.client.get(path)
        assert r.status_code == status, (path, r.status_code, r.text[:300])
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        return lxml_html.fromstring(r.text), r.text

    def api(self, path: str) -> Any:
        return self.client.get(f"/api{path}").json()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = web_db(tmp_path_factory)
    tmp = tmp_path_factory.mktemp("pages")
    settings = load_settings(env={"STORYLINE_DATA_DIR": str(tmp / "data"),
                                  "STORYLINE_CONFIG": ""})
    engine = open_database(settings, url)
    with TestClient(create_app(settings, engine)) as client:
        yield Site(client, engine, seed_story_id(engine))
    engine.dispose()


def has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def css(el: Any, selector: str) -> list[Any]:
    """The few CSS selectors these tests use, as XPath (descendant combinators of
    ``tag``, ``.class``, ``[attr="value"]`` and ``:not(.class)`` parts)."""
    path = "."
    for part in selector.split():
        m = re.fullmatch(r'([a-z0-9*]*)((?:\.[\w-]+)*)((?:\[[\w-]+(?:="[^"]*")?\])*)'
                         r'(?::not\(\.([\w-]+)\))?', part)
        assert m, f"unsupported selector part {part!r}"
        tag, classes, attrs, negated = m.groups()
        preds = [has_class(c) for c in classes.split(".") if c]
        for name, value in re.findall(r'\[([\w-]+)(?:="([^"]*)")?\]', attrs):
            preds.append(f'@{name}="{value}"' if value else f"@{name}")
        if negated:
            preds.append(f"not({has_class(negated)})")
        path += f"//{tag or '*'}" + "".join(f"[{p}]" for p in preds)
    return el.xpath(path)  # type: ignore[no-any-return]


def text_of(el: Any) -> str:
    return " ".join(el.text_content().split())


def test_story_page_shows_the_whole_story(site: Site) -> None:
    doc, raw = site.page(f"/stories/{site.seed}")
    story = site.api(f"/stories/{site.seed}")
    assert doc.findtext(".//title") == f"{story['headline']} · Storyline"
    assert text_of(doc.get_element_by_id("story-headline")) == story["headline"]
    meta = text_of(css(doc, ".story-header .meta")[0])
    assert meta.startswith("Updated 18 Feb 2026, 08:00 UTC") and "(4 articles" in meta
    # Sections as in the JSON, each sentence followed by its citation links.
    titles = [text_of(h) for h in css(doc, ".summary-section h2")]
    assert titles == [sec["title"] for sec in story["sections"]]
    first = story["sections"][0]["sentences"][0]
    assert first["text"] in text_of(css(doc, ".summary-section p")[0])
    # Every citation marker links to a numbered source entry that exists.
    sources = {li.get("id"): li for li in css(doc, ".sources li")}
    assert list(sources) == [f"source-{s['index']}" for s in story["sources"]]
    cites = css(doc, "a.cite")
    n_sentence_cites = sum(len(s["citations"]) for sec in story["sections"]
                           for s in sec["sentences"])
    assert len(cites) >= n_sentence_cites >= 10
    for a in cites:
        href = a.get("href")
        assert href.startswith("#source-") and href[1:] in sources, href
        assert text_of(a) == f"[{href.rsplit('-', 1)[1]}]"
    assert not css(doc, ".cite-missing")
    for src in story["sources"]:
        li = sources[f"source-{src['index']}"]
        assert src["title"] in text_of(li) and "18 Feb 2026" in text_of(li)
    # Timeline in order, dates shown at their precision; the earlier story linked.
    items = css(doc, ".timeline li")
    assert len(items) == len(story["timeline"]) >= 3
    for li, entry in zip(items, story["timeline"], strict=True):
        shown = text_of(css(li, "time")[0])
        assert css(li, "time")[0].get("datetime").startswith(entry["date"][:10])
        if entry["precision"] == "year":
            assert shown == entry["date"][:4]
        elif entry["precision"] == "day":
            assert shown.endswith(entry["date"][:4]) and len(shown.split()) == 3
    assert [a.get("href") for a in css(doc, ".timeline a:not(.cite)")] == [
        f"/stories/{e['story_id']}" for e in story["timeline"] if e.get("story_id")]
    related = css(doc, ".related li")
    assert len(related) == 4
    assert text_of(doc.get_element_by_id("h-related")) == "All related articles (4 articles)"
    link = css(doc, "a.storyline-link")
    assert len(link) == 1 and link[0].get("href") == f"/storylines/{story['storyline']['id']}"
    body = text_of(doc.get_element_by_id("main"))
    for junk in BOILERPLATE:
        assert junk not in body, junk


def test_story_without_summary_lists_its_articles(site: Site) -> None:
    with site.engine.connect() as conn:
        unwritten = conn.execute(
            select(stories.c.id, stories.c.title, stories.c.article_count)
            .outerjoin(story_summaries, story_summaries.c.story_id == stories.c.id)
            .where(story_summaries.c.story_id.is_(None), stories.c.status == "active")
            .order_by(stories.c.article_count.desc(), stories.c.id)
        ).first()
        assert unwritten is not None, "the test corpus leaves the sample's stories unwritten"
        n_subs = conn.execute(select(func.count()).select_from(substories)
                              .where(substories.c.story_id == unwritten.id)).scalar_one()
    doc, raw = site.page(f"/stories/{unwritten.id}")
    assert text_of(doc.get_element_by_id("story-headline")) == unwritten.title
    assert "summary of this story is not written yet" in raw
    assert len(css(doc, ".related li")) == unwritten.article_count >= 6
    assert len(css(doc, ".substories li")) == n_subs
    assert not css(doc, ".sources") and not css(doc, "a.cite")


def test_dive_deeper_from_stored_substories(tmp_path_factory: pytest.TempPathFactory,
                                            tmp_path: Path) -> None:
    """Sub-stories the summary lacks come from the database, cited by their articles."""
    copy = tmp_path / "copy.db"
    shutil.copy(web_db(tmp_path_factory).removeprefix("sqlite:///"), copy)
    settings = load_settings(env={"STORYLINE_DATA_DIR": str(tmp_path / "data"),
                                  "STORYLINE_CONFIG": ""})
    engine = open_database(settings, f"sqlite:///{copy}")
    seed = seed_story_id(engine)
    with TestClient(create_app(settings, engine)) as client:
        story = client.get(f"/api/stories/{seed}").json()
        assert story["substories"] == []
        by_article = {s["article_id"]: s["index"] for s in story["sources"]}
        members = sorted(by_article)
        with engine.begin() as conn:
            for label, arts in (("Drone strikes during the talks", members[:3]),
                                ("Zelensky on compromise", members[3:])):
                sub = conn.execute(insert(substories).values(
                    story_id=seed, label=label, article_count=len(arts))).inserted_primary_key[0]
                conn.execute(update(story_members).where(
                    story_members.c.article_id.in_(arts)).values(substory_id=sub))
        client.app.state.reader.cache.invalidate()
        doc, raw = Site(client, engine, seed).page(f"/stories/{seed}")
        items = css(doc, ".substories li")
        assert text_of(doc.get_element_by_id("h-substories")) == "Dive deeper (2 sub-stories)"
        assert [text_of(css(li, ".label")[0]) for li in items] == [
            "Drone strikes during the talks", "Zelensky on compromise"]
        cited = [[a.get("href") for a in css(li, "a.cite")] for li in items]
        assert cited == [[f"#source-{by_article[a]}" for a in sorted(
            members[:3], key=by_article.__getitem__)], [f"#source-{by_article[members[3]]}"]]
    engine.dispose()


def test_top_headlines_page(site: Site) -> None:
    doc, raw = site.page("/")
    top = site.api("/top")
    assert doc.findtext(".//title") == "Top Headlines · Storyline"
    cards = css(doc, ".headline-card")
    assert len(cards) == len(top["stories"]) >= 8
    links = [a.get("href") for a in css(doc, ".headline-card a.story-link")]
    assert links == [f"/stories/{s['id']}" for s in top["stories"]]
    lead = cards[0]
    assert text_of(css(lead, "h2")[0]) == top["stories"][0]["headline"]
    assert top["stories"][0]["lead"] in text_of(lead)
    assert "1 outlet · 4 articles · updated 18 Feb 2026, 08:00 UTC" in text_of(lead)
    # Keyboard and phone basics.
    skip = css(doc, "a.skip-link")[0]
    assert skip.get("href") == "#main" and doc.get_element_by_id("main").tag == "main"
    assert css(doc, 'meta[name="viewport"]')
    assert not doc.xpath("//script[not(@src)]") and not css(doc, "[style]")
    assert not any(attr.startswith("on") for el in doc.iter() if isinstance(el.tag, str)
                   for attr in el.attrib)


def test_hostile_titles_are_escaped(site: Site) -> None:
    hostile = story_with_title(site.engine, "Storm")
    for path in ("/", f"/stories/{hostile}", "/search?q=storm+coast"):
        doc, raw = site.page(path)
        assert "<script>alert" not in raw and "<b>batters</b>" not in raw, path
        assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in raw, path
        assert not css(doc, "main script") and not css(doc, "main b"), path
    doc, raw = site.page(f"/stories/{hostile}")
    assert text_of(doc.get_element_by_id("story-headline")) == " ".join(HOSTILE_TITLE.split())
    assert "&lt;i&gt;Evil&lt;/i&gt; Gazette" in raw and "<i>Evil</i>" not in raw
    doc, raw = site.page("/search?q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert "<script>alert(1)" not in raw and 'value="&lt;script&gt;alert(1)' in raw


def test_storyline_page(site: Site) -> None:
    story = site.api(f"/stories/{site.seed}")
    line_id = story["storyline"]["id"]
    doc, raw = site.page(f"/storylines/{line_id}")
    line = site.api(f"/storylines/{line_id}")
    assert doc.findtext(".//title").endswith(" · Storyline")
    links = [a.get("href") for a in css(doc, ".storyline-stories a.story-link")]
    assert links == [f"/stories/{s['id']}" for s in line["stories"]]
    assert links[-1] == f"/stories/{site.seed}" and len(links) == 2
    dates = [t.get("datetime")[:10] for t in css(doc, ".timeline time")]
    assert dates == sorted(dates) and len(dates) == len(line["timeline"])
    sources = {s["id"]: len(site.api(f"/stories/{s['id']}")["sources"])
               for s in line["stories"]}
    cites = [a.get("href") for a in css(doc, ".timeline a.cite")]
    assert cites
    for href in cites:  # a citation points at a source on its own story's page
        m = re.fullmatch(r"/stories/(\d+)#source-(\d+)", href)
        assert m and 1 <= int(m[2]) <= sources[int(m[1])], href
    assert css(doc, f'link[type="application/atom+xml"][href="/storylines/{line_id}.atom"]')


def test_search_page(site: Site) -> None:
    doc, raw = site.page("/search?q=Geneva+talks")
    assert doc.findtext(".//title") == "Geneva talks · Search · Storyline"
    hits = [a.get("href") for a in css(doc, ".hits a.story-link")]
    assert hits and hits[0] == f"/stories/{site.seed}"
    assert [m.text.lower() for m in css(doc, "mark")][:2] in (["geneva", "talks"],
                                                                     ["talks", "geneva"],
                                                                     ["geneva", "geneva"],
                                                                     ["talks", "talks"])
    empty, raw = site.page("/search?q=zzzxqqnotaword")
    assert "No stories match." in raw and "No articles match." in raw


def test_error_pages(site: Site) -> None:
    for path, words in (("/stories/987654", "There is no story 987654."),
                        ("/storylines/987654", "There is no storyline 987654."),
                        ("/stories/abc", "There is no page at this address."),
                        ("/no/such/page", "There is no page at this address.")):
        doc, raw = site.page(path, status=404)
        assert doc.findtext(".//title") == "Not found · Storyline" and words in raw
        assert css(doc, "a.skip-link")
    assert site.client.get("/?page=abc").status_code == 400
    r = site.client.post("/stories/1")
    assert r.status_code == 405 and "Method not allowed" in r.text


def test_head_and_static(site: Site) -> None:
    r = site.client.head(f"/stories/{site.seed}")
    assert r.status_code == 200 and r.content == b""
    assert int(r.headers["content-length"]) > 5000
    css = site.client.get("/static/style.css")
    assert css.status_code == 200 and "prefers-color-scheme: dark" in css.text
    js = site.client.get("/static/app.js")
    assert js.status_code == 200 and "data-confirm" in js.text


@pytest.mark.needs_shared
def test_pages_follow_new_writes(tmp_path: Path, cli: Any, db_url: str) -> None:
    """A story page and Top Headlines change as soon as the database does (no restart):
    on SQLite and on PostgreSQL."""
    from tests.helpers import SEED_FILES, SEEDS

    settings = load_settings(env={"STORYLINE_DATA_DIR": str(tmp_path / "data"),
                                  "STORYLINE_CONFIG": ""})
    engine = open_database(settings, db_url)
    with TestClient(create_app(settings, engine, cache_ttl=0)) as client:
        assert client.get("/api/top").json()["total"] == 0
        assert "No stories yet" in client.get("/").text
        cli("import", str(SEEDS / SEED_FILES[0]), "--published", "2026-02-18T08:00:00Z")
        cli("cluster")
        top = client.get("/api/top").json()
        assert top["total"] == 1
        sid = top["stories"][0]["id"]
        assert "not written yet" in client.get(f"/stories/{sid}").text
        cli("write")
        page = client.get(f"/stories/{sid}").text
        assert "not written yet" not in page and 'class="cite" href="#source-1"' in page
        assert client.get(f"/api/stories/{sid}").json()["has_summary"] is True
    engine.dispose()


def full_summary(**over: Any) -> dict[str, Any]:
    """A summary with every part the seed page 002 shows (image, sub-stories, external
    links, "sources differ"), in the schema of ``StorySummary.to_dict()``."""
    src = [{"index": i, "article_id": 100 + i, "outlet": f"Outlet {i}", "title": f"Report {i}",
            "url": f"https://news{i}.example/a", "published": "2026-02-18T08:00:00+00:00"}
           for i in (1, 2, 3)]
    summary = {
        "headline": "Envoy declares progress as Geneva talks enter second day",
        "updated_at": "2026-02-18T09:30:00+00:00", "article_count": 3,
        "outlets": ["Outlet 1", "Outlet 2", "Outlet 3"],
        "image": {"url": "https://img.example/talks.jpg", "caption": "Delegations <meet>",
                  "credit": "Getty Images", "citation": 2},
        "sections": [{"title": "Talks resume", "sentences": [
            {"text": "The second day of talks began in Geneva.", "citations": [1, 2]},
            {"text": "Mediators praised the progress.", "citations": [3]}]}],
        "sources": src,
        "timeline": [{"date": "2022-02-24", "precision": "day", "text": "Invasion begins.",
                      "citations": [1], "story_id": None},
                     {"date": "2024-07-01", "precision": "month", "text": "Istanbul talks.",
                      "citations": [3], "story_id": None},
                     {"date": "2014-01-01", "precision": "year", "text": "Crimea annexed.",
                      "citations": [2], "story_id": None}],
        "substories": [{"id": 5, "label": "Drone strikes", "article_count": 2,
                        "citations": [1, 3]}],
        "related": [{"article_id": 101, "outlet": "Outlet 1", "title": "Report 1",
                     "url": "https://news1.example/a", "published": "2026-02-18T08:00:00",
                     "source": 1, "duplicate_of": None},
                    {"article_id": 104, "outlet": "Wire", "title": "Report 1 (copy)",
                     "url": "javascript:alert(1)", "published": None, "source": None,
                     "duplicate_of": 101}],
        "external_links": [{"url": "https://www.un.org/statement", "title": "UN statement",
                            "domain": "un.org", "citations": [2]},
                           {"url": "javascript:alert(2)", "title": "bad", "domain": "x",
                            "citations": []}],
        "conflicts": [{"subject": "length of the opening session", "claims": [
            {"value": "six hours", "text": "The session lasted six hours.", "citations": [1]},
            {"value": "five hours", "text": "Talks ran five hours.", "citations": [9]}]}],
        "story_id": 42, "storyline_id": None, "support_rate": 1.0, "checked_sentences": 2,
        "supported_sentences": 2, "writer": "extractive",
    }
    return {**summary, **over}


def test_every_part_of_the_story_page_renders() -> None:
    from storyline.write.page import summary_html

    raw = summary_html(full_summary())
    doc = lxml_html.fromstring(raw)
    assert doc.findtext(".//title") == "Envoy declares progress as Geneva talks enter second day"
    fig = css(doc, "figure.lead-image")[0]
    assert css(fig, "img")[0].get("src") == "https://img.example/talks.jpg"
    assert "Delegations <meet>" in text_of(fig) and "(Getty Images)" in text_of(fig)
    assert "Delegations &lt;meet&gt;" in raw
    assert [a.get("href") for a in css(fig, "a.cite")] == ["#source-2"]
    assert [text_of(t) for t in css(doc, ".timeline time")] == ["24 Feb 2022", "Jul 2024",
                                                                 "2014"]
    assert text_of(doc.get_element_by_id("h-substories")) == "Dive deeper (1 sub-story)"
    assert [a.get("href") for a in css(doc, ".substories a.cite")] == ["#source-1",
                                                                       "#source-3"]
    related = css(doc, ".related li")
    assert len(related) == 2 and "(copy of an earlier article)" in text_of(related[1])
    assert not css(related[1], "a") and "javascript:" not in raw  # never a link
    links = css(doc, ".external li")
    assert len(links) == 1 and css(links[0], "a")[0].get("href") == "https://www.un.org/statement"
    assert text_of(doc.get_element_by_id("h-external")) == "External resources (1 link)"
    conflict = css(doc, ".conflicts")[0]
    assert "length of the opening session" in text_of(conflict)
    assert "six hours" in text_of(conflict) and "five hours" in text_of(conflict)
    assert [a.get("href") for a in css(conflict, "a.cite")] == ["#source-1"]
    assert [text_of(x) for x in css(conflict, ".cite-missing")] == ["[9]"]  # not a source
    ids = {li.get("id") for li in css(doc, ".sources li")}
    for a in css(doc, "a.cite"):
        assert a.get("href")[1:] in ids


def test_a_source_of_no_known_outlet_shows_its_title_alone() -> None:
    """An imported file without an outlet is listed by its title, with no "Unknown
    outlet:" before it (the demo's ECB+ pages had it on every line of Sources)."""
    from storyline.write.page import summary_html
    from storyline.write.render import to_markdown

    page = full_summary()
    page["sources"][1]["outlet"] = None
    page["related"][0]["outlet"] = None
    doc = lxml_html.fromstring(summary_html(page))
    sources = css(doc, ".sources li")
    assert [len(css(li, ".outlet")) for li in sources] == [1, 0, 1]
    assert text_of(sources[1]).startswith("Report 2") and "Outlet 1" in text_of(sources[0])
    assert [len(css(li, ".outlet")) for li in css(doc, ".related li")] == [0, 1]
    markdown = to_markdown(page)
    assert "2. Report 2 (2026-02-18) <https://news2.example/a>" in markdown
    assert "1. Outlet 1: Report 1" in markdown and "Unknown outlet" not in markdown
