"""A real browser (headless Debian Chromium driven by Playwright) against a real
`storyline serve` process on a free loopback port, over the test database: open Top
Headlines, click into the seed story, follow a citation to its source entry, open the
storyline. Screenshots are kept under test-artifacts/browser/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from tests.webdata import seed_story_id, start_server, web_db

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "browser"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="Debian chromium is not installed at /usr/bin/chromium "
                                       "(apt-get install chromium; .ci/run installs it)")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    url = web_db(tmp_path_factory)
    engine = create_engine(url)
    seed = seed_story_id(engine)
    engine.dispose()
    proc, base = start_server(url, tmp_path_factory.mktemp("serve"))
    try:
        yield base, seed
    finally:
        proc.terminate()  # SIGTERM: a clean shutdown
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, out
        assert "Stopped." in out and "Traceback" not in out


def shoot(page: object, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    assert path.stat().st_size > 5000, f"{path} looks empty"
    return path


def test_read_a_story_in_a_browser(server: tuple[str, int]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, seed = server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 800})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text)
                    if m.type == "error" and "Content Security Policy" in m.text else None)
            page.on("pageerror", lambda exc: problems.append(str(exc)))

            # Top Headlines; the keyboard reaches the skip link first.
            page.goto(base)
            expect(page).to_have_title("Top Headlines · Storyline")
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.className") == "skip-link"
            top_shot = shoot(page, "1-top-headlines")

            # Into the seed story (the first headline).
            first = page.locator(".headline-card a.story-link").first
            assert first.get_attribute("href") == f"/stories/{seed}"
            headline = first.inner_text()
            first.click()
            page.wait_for_url(f"{base}stories/{seed}")
            expect(page.locator("#story-headline")).to_have_text(headline)
            expect(page).to_have_title(f"{headline} · Storyline")
            story_shot = shoot(page, "2-story")

            # A citation lands on its source entry: hash set, entry on screen, highlighted.
            cite = page.locator(".summary-section a.cite").nth(1)
            target = cite.get_attribute("href")
            assert target and re.fullmatch(r"#source-\d+", target)
            cite.click()
            page.wait_for_function(f"location.hash === '{target}'")
            entry = page.locator(target)
            expect(entry).to_be_visible()
            expect(entry).to_be_in_viewport()
            assert page.evaluate("document.activeElement.id") == target[1:]
            background = entry.evaluate("el => getComputedStyle(el).backgroundColor")
            assert background not in ("rgba(0, 0, 0, 0)", "transparent")  # :target mark
            source_shot = shoot(page, "3-source-entry")

            # Its storyline, with both rounds of talks in time order.
            page.locator("a.storyline-link").click()
            page.wait_for_url(re.compile(r".*/storylines/\d+$"))
            links = page.locator(".storyline-stories a.story-link")
            expect(links).to_have_count(2)
            assert links.nth(1).get_attribute("href") == f"/stories/{seed}"
            line_shot = shoot(page, "4-storyline")

            # Readable on a phone: no sideways scrolling.
            phone = browser.new_page(viewport={"width": 375, "height": 740},
                                     device_scale_factor=2, is_mobile=True)
            phone.goto(f"{base}stories/{seed}")
            assert phone.evaluate(
                "document.documentElement.scrollWidth <= window.innerWidth + 1")
            phone_shot = shoot(phone, "5-story-phone")

            # Dark mode.
            dark = browser.new_page(color_scheme="dark")
            dark.goto(base)
            assert dark.evaluate("getComputedStyle(document.body).backgroundColor") == \
                "rgb(18, 19, 20)"
            dark_shot = shoot(dark, "6-top-dark")
            assert not problems, problems
        finally:
            browser.close()
    for shot in (top_shot, story_shot, source_shot, line_shot, phone_shot, dark_shot):
        assert shot.exists() and shot.stat().st_size > 5000
