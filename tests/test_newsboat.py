"""A real Google Reader API client: Debian's newsboat (its ``feedhq`` backend) against
`storyline serve` on loopback, non-interactively (``newsboat -x reload print-unread``)
with its own config and cache in a temporary folder: it lists the subscriptions and the
Stories stream, its unread count is Storyline's, and reading in Storyline changes what
it reports."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from storyline.accounts import users as accounts
from storyline.storage.streams import STORY_BASE
from tests.readerdata import build
from tests.webdata import start_server

NEWSBOAT = shutil.which("newsboat")
CLIENT = httpx.Client(timeout=60)  # a shared machine can be slow
PASSWORD = "newsboat reads it"

pytestmark = pytest.mark.skipif(NEWSBOAT is None, reason="newsboat is not installed "
                                "(apt-get install newsboat; .ci/run installs it)")


def newsboat_unread(folder: Path) -> int:
    result = subprocess.run(
        [str(NEWSBOAT), "-C", str(folder / "config"), "-u", str(folder / "urls"),
         "-c", str(folder / "cache.db"), "-x", "reload", "print-unread"],
        capture_output=True, text=True, timeout=120, cwd=folder,
        env={"HOME": str(folder), "PATH": "/usr/bin:/bin", "NO_PROXY": "127.0.0.1"})
    assert result.returncode == 0, result.stderr + result.stdout
    found = re.search(r"(\d+) unread articles", result.stdout)
    assert found, result.stdout + result.stderr
    return int(found.group(1))


def storyline_unread(base: str, auth: dict[str, str]) -> int:
    counts = CLIENT.get(f"{base}greader/reader/api/0/unread-count", headers=auth).json()
    return next(c["count"] for c in counts["unreadcounts"]
                if c["id"].endswith("/state/com.google/reading-list"))


def test_newsboat_reads_the_google_reader_api(db_url: str, engine: Engine,
                                              tmp_path: Path) -> None:
    data = build(engine)
    accounts.add_user(engine, "reader", PASSWORD)
    proc, base = start_server(db_url, tmp_path / "serve")
    try:
        folder = tmp_path / "newsboat"
        folder.mkdir()
        port = re.search(r":(\d+)/", base).group(1)  # type: ignore[union-attr]
        (folder / "config").write_text(
            'urls-source "feedhq"\n'
            f'feedhq-url "http://127.0.0.1:{port}/greader"\n'
            'feedhq-login "reader"\n'
            f'feedhq-password "{PASSWORD}"\n')
        (folder / "urls").write_text("")
        login = CLIENT.post(f"{base}greader/accounts/ClientLogin",
                           data={"Email": "reader", "Passwd": PASSWORD})
        auth = {"Authorization": "GoogleLogin auth="
                + re.search(r"Auth=(\S+)", login.text).group(1)}  # type: ignore[union-attr]

        expected = storyline_unread(base, auth)
        assert expected == 8  # five articles (a copy collapsed) and three stories
        assert newsboat_unread(folder) == expected
        with sqlite3.connect(folder / "cache.db") as db:
            titles = {r[0] for r in db.execute("SELECT title FROM rss_feed")}
            items = {r[0] for r in db.execute("SELECT title FROM rss_item")}
        assert {"Wire", "Daily", "Courier", "Stories"} <= titles
        assert "Geneva peace talks open (3 articles)" in items  # a story item
        assert "Talks open in Geneva" in items  # an article item

        # Reading the talks story in Storyline: it and its articles are read.
        r = CLIENT.post(f"{base}greader/reader/api/0/edit-tag", headers=auth, data={
            "i": str(STORY_BASE + data.stories["talks"]),
            "a": "user/-/state/com.google/read"})
        assert r.status_code == 200
        assert storyline_unread(base, auth) == 5
        assert newsboat_unread(folder) == 5
        # And an article: the storm story keeps one unread article.
        CLIENT.post(f"{base}greader/reader/api/0/edit-tag", headers=auth, data={
            "i": str(data.articles["storm-wire"]), "a": "user/-/state/com.google/read"})
        assert storyline_unread(base, auth) == 4
        assert newsboat_unread(folder) == 4
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert "Traceback" not in out, out
    assert "$argon2" not in out  # the password hash never reaches the server's log
