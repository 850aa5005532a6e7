"""A signed-in reader in a real browser (headless Debian Chromium driven by Playwright)
against `storyline serve` with its background worker, reading two loopback feeds: sign
in, open a story (it dims on Top Headlines), a new article arrives in the story (the
feed server publishes it and the worker runs), the story shows what is new since the
last visit; mute an outlet and its citations go; file a feed in a folder and pick the
category. Screenshots are kept under test-artifacts/browser/."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from storyline.accounts import users as accounts
from storyline.settings import load_settings
from storyline.storage import open_database
from storyline.storage.schema import stories, story_summaries
from tests.httpserver import LocalHTTPServer
from tests.livefeed import A_SEEDS, B_SEEDS, LiveFeed, add_feed
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, shoot

PASSWORD = "reading in chromium"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(),
                                 reason="Debian chromium is not installed at /usr/bin/chromium")]


def start_serve(db_url: str, data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "STORYLINE_CONFIG": "", "STORYLINE_DATA_DIR": str(data_dir),
           "PYTHONUNBUFFERED": "1", "STORYLINE_WORKER_INTERVAL": "1",
           "STORYLINE_FEED_MIN_INTERVAL": "0", "STORYLINE_FEED_DEFAULT_INTERVAL": "0",
           "STORYLINE_ALLOW_PRIVATE_FEEDS": "true", "STORYLINE_RESPECT_ROBOTS": "false"}
    proc = subprocess.Popen([sys.executable, "-m", "storyline", "--db", db_url, "serve",
                             "--host", "127.0.0.1", "--port", "0", "--workers", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env)
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    seen = ""
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen += line
        m = re.search(r"serving at (http://127\.0\.0\.1:\d+/)", line)
        if m:
            os.set_blocking(proc.stdout.fileno(), False)
            return proc, m.group(1)
    proc.kill()
    raise AssertionError(f"storyline serve did not start: {seen}")


def wait_for(what: str, check: Callable[[], Any], timeout: float = 240) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def written_story(engine: Engine, count: int) -> int | None:
    """The story with ``count`` articles whose summary is current."""
    with engine.connect() as conn:
        row = conn.execute(select(stories.c.id).join(
            story_summaries, story_summaries.c.story_id == stories.c.id).where(
            stories.c.status == "active", stories.c.article_count == count,
            story_summaries.c.members_hash == stories.c.members_hash)).first()
    return row.id if row else None


def test_signed_in_reader_in_a_browser(tmp_path: Path, http_server: LocalHTTPServer) -> None:
    from playwright.sync_api import expect, sync_playwright

    db_url = f"sqlite:///{tmp_path / 'reader.db'}"
    settings = load_settings(env={"STORYLINE_DATA_DIR": str(tmp_path / "data"),
                                  "STORYLINE_CONFIG": ""})
    engine = open_database(settings, db_url)
    accounts.add_user(engine, "alice", PASSWORD)
    wire = LiveFeed(http_server, "/wire.rss", "Loopback Wire")
    daily = LiveFeed(http_server, "/daily.rss", "Loopback Daily")
    wire_id = add_feed(engine, http_server.url("/wire.rss"))
    add_feed(engine, http_server.url("/daily.rss"))
    wire.publish(A_SEEDS[:1], minutes=0)
    daily.publish(A_SEEDS[1:], minutes=5)
    proc, base = start_serve(db_url, tmp_path / "serve")
    shots = []
    try:
        sid = wait_for("the first story, written", lambda: written_story(engine, 2))
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                         args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1100, "height": 900})
                page.set_default_timeout(90_000)  # the worker shares the machine's cores
                problems: list[str] = []
                page.on("pageerror", lambda exc: problems.append(str(exc)))
                # Sign in.
                page.goto(base)
                page.click("a.account-link")
                page.fill("#signin-name", "alice")
                page.fill("#signin-password", PASSWORD)
                page.click(".signin-form button[type=submit]")
                try:
                    page.wait_for_url(base)
                except Exception:
                    shoot(page, "acc-0-signin-failed")
                    raise AssertionError(page.url + page.content()[:3000]) from None
                expect(page.locator("a.account-link")).to_have_text("alice")
                card = page.locator(f'.headline-card:has(a[href="/stories/{sid}"])')
                assert "is-read" not in (card.get_attribute("class") or "")
                # Open the story: back on Top Headlines it is dimmed.
                card.locator("a.story-link").click()
                page.wait_for_url(f"{base}stories/{sid}")
                expect(page.locator(".new-since-note")).to_have_count(0)
                page.goto(base)
                expect(card).to_have_class(re.compile(r"\bis-read\b"))
                assert float(card.evaluate("el => getComputedStyle(el).opacity")) < 0.8
                shots.append(shoot(page, "acc-1-read-dimmed"))

                # Two more reports arrive; the worker fetches, clusters and rewrites.
                wire.publish(B_SEEDS, minutes=30)
                sid4 = wait_for("the story with the new reports", lambda: written_story(
                    engine, 4))
                assert sid4 == sid
                page.goto(base)
                expect(card.locator(".new-count")).to_have_text("2 new")
                shots.append(shoot(page, "acc-2-two-new"))
                card.locator("a.story-link").click()
                page.wait_for_url(f"{base}stories/{sid}")
                expect(page.locator(".new-since-note")).to_contain_text(
                    "New since your last visit")
                expect(page.locator(".new-since-note")).to_contain_text("2 new articles")
                expect(page.locator("li.new-source")).to_have_count(2)
                new_titles = page.locator("li.new-source").all_inner_texts()
                assert all(any(t in text for _, t in B_SEEDS) for text in new_titles)
                shots.append(shoot(page, "acc-3-new-since-last-visit"))

                # Mute an outlet: its citations go.
                sources = page.locator(".sources li")
                assert any("Loopback Daily" in t for t in sources.all_inner_texts())
                page.goto(f"{base}account")
                page.select_option("#mute-kind", "outlet")
                page.fill("#mute-value", "Loopback Daily")
                page.click(".mute-form button[type=submit]")
                expect(page.locator(".mute-value")).to_have_text(["loopback daily"])
                page.goto(f"{base}stories/{sid}")
                expect(page.locator(".muted-note")).to_be_visible()
                assert not any("Loopback Daily" in t
                               for t in page.locator(".sources li").all_inner_texts())
                assert page.locator(".sources li").count() == 3
                shots.append(shoot(page, "acc-4-muted-outlet"))

                # File the wire feed in a folder, then pick the category.
                page.goto(f"{base}feeds")
                page.fill(f"#folders-{wire_id}", "World")
                page.click(f"#feed-{wire_id} .feed-folders-form button")
                page.goto(base)
                page.locator(".category-bar a", has_text="World").click()
                page.wait_for_url(f"{base}c/World")
                expect(page.locator("h1")).to_have_text("World")
                expect(page.locator(f'a.story-link[href="/stories/{sid}"]')).to_have_count(1)
                shots.append(shoot(page, "acc-5-category"))

                page.click(".signout-form button")
                expect(page.locator("a.account-link")).to_have_text("Sign in")
                assert not problems, problems
            finally:
                browser.close()
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=60)
        engine.dispose()
    assert "Traceback" not in out, out[-3000:]
    assert all(s.exists() for s in shots)
