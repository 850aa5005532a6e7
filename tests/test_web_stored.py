"""Story pages rendered on write (storyline/write/page.py): the stored page equals the page
rendered on request, byte for byte; what can change without the summary being rewritten
stays live; databases without stored pages still serve them; migration 0005 up and down."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select, update

from storyline.settings import load_settings
from storyline.storage import open_database
from storyline.storage.db import _alembic_config, head_revision, make_engine, migrate
from storyline.storage.schema import stories, story_summaries, storylines, substories
from storyline.web import create_app
from storyline.web.reader import Reader
from storyline.write.page import page_version, render_missing
from tests.webdata import seed_story_id, web_db


@dataclass
class Site:
    engine: Engine
    reader: Reader
    client: TestClient
    seed: int


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A private copy of the shared web test database (these tests change it)."""
    src = Path(web_db(tmp_path_factory).removeprefix("sqlite:///"))
    tmp = tmp_path_factory.mktemp("stored")
    shutil.copy(src, tmp / "web.db")
    settings = load_settings(env={"STORYLINE_DATA_DIR": str(tmp / "data"),
                                  "STORYLINE_CONFIG": ""})
    engine = open_database(settings, f"sqlite:///{tmp / 'web.db'}")
    app = create_app(settings, engine, cache_ttl=0.0)
    with TestClient(app) as client:
        yield Site(engine, app.state.reader, client, seed_story_id(engine))
    engine.dispose()


def story_ids(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return [r.story_id for r in conn.execute(select(story_summaries.c.story_id)
                                                 .order_by(story_summaries.c.story_id))]


def assert_stored_equals_on_request(reader: Reader, ids: list[int]) -> None:
    for sid in ids:
        for fmt in ("html", "json"):
            stored = reader.story_page(sid, fmt)  # type: ignore[arg-type]
            fresh = reader.story_page(sid, fmt, use_stored=False)  # type: ignore[arg-type]
            assert stored == fresh, (sid, fmt)


def test_written_summaries_store_their_pages(site: Site) -> None:
    with site.engine.connect() as conn:
        rows = conn.execute(select(story_summaries.c.page_html, story_summaries.c.page_json,
                                   story_summaries.c.page_version)).all()
    assert rows and all(r.page_version == page_version() for r in rows)
    assert all(r.page_html and r.page_json for r in rows)  # every written summary qualifies
    html = next(r.page_html for r in rows)
    assert "<!--slot:count-->" in html and "<!--slot:storyline-->" in html
    assert "<html" not in html and 'id="h-sources"' in html
    json.loads("{" + rows[0].page_json + "}")


def test_stored_page_equals_the_page_rendered_on_request(site: Site) -> None:
    ids = story_ids(site.engine)
    assert len(ids) >= 3
    assert_stored_equals_on_request(site.reader, ids)
    page = site.client.get(f"/stories/{site.seed}")
    assert page.status_code == 200 and "<!--slot:" not in page.text
    assert page.text.count('<p class="storyline-note">') <= 1
    api = site.client.get(f"/api/stories/{site.seed}").json()
    assert api["id"] == site.seed and api["has_summary"] and not api["stale"]
    assert api["sections"] and api["related"] and "headline" in api


def test_page_follows_the_storyline_and_article_count_without_a_rewrite(site: Site) -> None:
    sid = site.seed
    with site.engine.begin() as conn:
        line = conn.execute(insert(storylines).values(
            title="The <Geneva> talks", story_count=7, created_at=func.now(),
            updated_at=func.now(), entities="{}")).inserted_primary_key[0]  # type: ignore[index]
        old = conn.execute(select(stories.c.storyline_id, stories.c.article_count)
                           .where(stories.c.id == sid)).one()
        conn.execute(update(stories).where(stories.c.id == sid)
                     .values(storyline_id=line, article_count=41))
    try:
        html = site.reader.story_page(sid, "html").body.decode()
        assert "The &lt;Geneva&gt; talks</a>" in html and "(7 stories)" in html
        assert f'href="/storylines/{line}.atom"' in html and "(41 articles" in html
        api = json.loads(site.reader.story_page(sid, "json").body)
        assert api["storyline"] == {"id": line, "title": "The <Geneva> talks",
                                    "story_count": 7}
        assert api["article_count"] == 41
        assert_stored_equals_on_request(site.reader, [sid])
        # Through the app too (its cache follows the database).
        assert "The &lt;Geneva&gt; talks" in site.client.get(f"/stories/{sid}").text
        with site.engine.begin() as conn:
            conn.execute(update(storylines).where(storylines.c.id == line)
                         .values(title="Renamed storyline", updated_at=func.now()))
        assert "Renamed storyline</a>" in site.client.get(f"/stories/{sid}").text
    finally:
        with site.engine.begin() as conn:
            conn.execute(update(stories).where(stories.c.id == sid)
                         .values(storyline_id=old.storyline_id,
                                 article_count=old.article_count))
            conn.execute(storylines.delete().where(storylines.c.id == line))


def test_stale_outdated_or_missing_stored_pages_render_on_request(site: Site) -> None:
    sid = site.seed
    before = site.reader.story_page(sid, "html").body
    with site.engine.begin() as conn:  # another version of the code stored it
        conn.execute(update(story_summaries).where(story_summaries.c.story_id == sid)
                     .values(page_version="0" * 16, page_html="<p>old</p>", page_json='"x":1'))
    assert site.reader.story_page(sid, "html").body == before
    assert b'"x":1' not in site.reader.story_page(sid, "json").body
    assert render_missing(site.engine) == 1  # the background pass renders it again
    with site.engine.connect() as conn:
        row = conn.execute(select(story_summaries).where(story_summaries.c.story_id == sid)).one()
    assert row.page_version == page_version() and row.page_html != "<p>old</p>"
    assert site.reader.story_page(sid, "html").body == before

    with site.engine.begin() as conn:  # members changed since the summary was written
        old_hash = conn.execute(select(stories.c.members_hash)
                                .where(stories.c.id == sid)).scalar()
        conn.execute(update(stories).where(stories.c.id == sid).values(members_hash="new"))
    try:
        html = site.reader.story_page(sid, "html").body.decode()
        assert "New articles joined this story" in html
        assert_stored_equals_on_request(site.reader, [sid])
    finally:
        with site.engine.begin() as conn:
            conn.execute(update(stories).where(stories.c.id == sid)
                         .values(members_hash=old_hash))


def test_substories_that_appear_later_are_shown(site: Site) -> None:
    with site.engine.connect() as conn:
        row = conn.execute(select(story_summaries.c.story_id)
                           .where(story_summaries.c.page_own_substories.is_(False))).first()
    assert row is not None, "the web database needs a written story without sub-stories"
    sid = row.story_id
    with site.engine.begin() as conn:
        sub = conn.execute(insert(substories).values(
            story_id=sid, label="A later angle", article_count=2)).inserted_primary_key[0]  # type: ignore[index]
    try:
        html = site.reader.story_page(sid, "html").body.decode()
        assert "A later angle" in html
        assert_stored_equals_on_request(site.reader, [sid])
    finally:
        with site.engine.begin() as conn:
            conn.execute(substories.delete().where(substories.c.id == sub))


def test_a_database_without_stored_pages_still_serves_them(site: Site) -> None:
    ids = story_ids(site.engine)
    expected = {(sid, fmt): site.reader.story_page(sid, fmt).body  # type: ignore[arg-type]
                for sid in ids for fmt in ("html", "json")}
    with site.engine.begin() as conn:  # as after migration 0005 on an older database
        conn.execute(update(story_summaries).values(page_html=None, page_json=None,
                                                    page_version=None,
                                                    page_own_substories=None))
    for (sid, fmt), body in expected.items():
        assert site.reader.story_page(sid, fmt).body == body  # type: ignore[arg-type]
    assert site.client.get(f"/stories/{site.seed}").status_code == 200
    assert render_missing(site.engine, batch=3) == len(ids)
    assert render_missing(site.engine) == 0
    for (sid, fmt), body in expected.items():
        assert site.reader.story_page(sid, fmt).body == body  # type: ignore[arg-type]


def test_the_writer_renders_pages_without_the_web_reader() -> None:
    """Storing rendered pages needs only storyline.write (its templates and filters):
    importing the writer loads nothing of storyline.web, nor the web framework."""
    import subprocess
    import sys

    probe = ("import sys, storyline.write.service, storyline.write.page as p; "
             "print(sorted(m for m in sys.modules if m.startswith('storyline.web')), "
             "'fastapi' in sys.modules, p.render('_summary.html', story={'headline': 'H', "
             "'article_count': 2, 'sources': []}, slots=p.SLOTS).count('slot:'))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1]).stdout
    assert out.split() == ["[]", "False", "2"]


def test_health_and_static_caching(site: Site) -> None:
    health = site.client.get("/api/health")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    css = site.client.get("/static/style.css")
    assert css.status_code == 200 and "max-age" in css.headers["cache-control"]
    assert "content-security-policy" in css.headers


def test_written_pages_and_migration_on_both_backends(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The real writer stores pages (SQLite or PostgreSQL); 0005 downgrades and upgrades
    again, keeping full-text search, and the pages come back through render_missing."""
    from tests.helpers import import_talk_rounds

    import_talk_rounds(cli, tmp_path)
    cli("cluster")
    cli("write")
    engine = make_engine(cli.db_url)
    try:
        settings = load_settings(env={"STORYLINE_DATA_DIR": str(tmp_path / "data"),
                                      "STORYLINE_CONFIG": ""})
        reader = Reader(settings, engine)
        ids = story_ids(engine)
        assert ids
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).where(
                story_summaries.c.page_html.is_not(None))).scalar() == len(ids)
        assert_stored_equals_on_request(reader, ids)
        pages = {sid: reader.story_page(sid, "html").body for sid in ids}

        cfg = _alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0004_search")
        assert migrate(engine, "0005_story_pages") == ("0004_search", "0005_story_pages")
        assert migrate(engine) == ("0005_story_pages", head_revision())
        assert "Geneva" in cli("search", "Geneva").output  # the search triggers survived
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).where(
                story_summaries.c.page_html.is_not(None))).scalar() == 0
        assert {sid: reader.story_page(sid, "html").body for sid in ids} == pages
        assert render_missing(engine) == len(ids)
        assert_stored_equals_on_request(reader, ids)
        assert {sid: reader.story_page(sid, "html").body for sid in ids} == pages
    finally:
        engine.dispose()
