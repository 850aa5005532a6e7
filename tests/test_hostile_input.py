"""Hostile and odd input, end to end: each case gets its one line (never a traceback),
one bad item never stops the rest, and the stored counts say exactly what got in.

Reusable: a new nasty feed goes in tests/data/hostile/ and a case below; the JSONL and
folder cases build their files in the test's own temporary folder.
"""

from __future__ import annotations

import json
import os
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from storyline.settings import load_settings
from storyline.storage import articles as article_store
from storyline.storage import open_database
from storyline.text import jsonio
from tests.feedgen import Item, rss

HOSTILE = Path(__file__).parent / "data" / "hostile"
BIG = "99999999999999999999999"  # past SQLite's 64-bit integers
BODY = ("The regional council approved the new flood defence plan for the river valley on "
        "Monday after three weeks of debate among members and residents of the lower town.")


def _articles(engine: Engine) -> list[dict]:  # type: ignore[type-arg]
    with engine.connect() as conn:
        return article_store.list_articles(conn, include_flagged=True)


def _lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


# --- JSONL ---------------------------------------------------------------------------


def test_bad_jsonl_lines_are_one_line_each_and_the_rest_imports(  # type: ignore[no-untyped-def]
        cli, engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonio, "MAX_JSON_LINE_CHARS", 300_000, raising=False)
    rows: list[str] = [
        json.dumps({"id": "far", "title": "Far future", "text": BODY,
                    "published": "9999-12-31T23:59:59Z"}),
        "[" * 200_000,
        json.dumps({"id": "obj", "title": "Object text", "text": {"html": "<p>x</p>"}}),
        json.dumps({"id": "nodate", "title": "Not a date", "text": "Ferry timetable changes "
                    "for the winter season were announced.", "published": "not a date"}),
        json.dumps({"id": "ok", "title": "Fine", "text": "The harbour reopened on Tuesday "
                    "after storm repairs.", "published": "2026-02-18T10:00:00Z"}),
        json.dumps({"id": "year1", "title": "Year one", "text": "Bridge inspection results "
                    "were published.", "published": "0001-01-01T00:00:00+01:00"}),
        json.dumps({"id": "long", "title": "Long", "text": "word " * 80_000}),
        json.dumps({"id": "num", "title": 7, "text": "A number as a title."}),
        json.dumps({"id": "after", "title": "After the bad lines", "text": "School budget "
                    "talks continue next week.", "published": "2026-02-17"}),
    ]
    f = tmp_path / "bad.jsonl"
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    res = cli("import", str(f))
    out = _lines(res.output)
    assert out == [
        f"{f}:1: warning: published: 9999-12-31T23:59:59Z is out of range (before 1900 or "
        "in the future); imported without a date",
        f"{f}:4: warning: published: not a date ('not a date'); imported without a date",
        f"{f}:6: warning: published: not a date ('0001-01-01T00:00:00+01:00'); imported "
        "without a date",
        f"error: {f}:2: nested more than 64 levels deep; skipped",
        f"error: {f}:3: text is an object, not text; skipped",
        f"error: {f}:7: line too long (400,043 characters; at most 300,000); skipped",
        f"error: {f}:8: title is a number, not text; skipped",
        "Imported 1 file: 5 new articles, 0 duplicates of earlier copies (0 near), 0 already "
        "stored, 0 skipped, 4 errors.",
    ]
    stored = {a["external_id"]: a for a in _articles(engine)}
    assert sorted(stored) == ["after", "far", "nodate", "ok", "year1"]
    assert [stored[k]["published"] for k in ("far", "nodate", "year1")] == [None] * 3
    assert stored["ok"]["published"].isoformat() == "2026-02-18T10:00:00+00:00"
    assert stored["after"]["text"] == "School budget talks continue next week."


def test_json_nesting_limits_are_exact() -> None:
    depth = jsonio.MAX_JSON_DEPTH
    ok = '{"a": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"
    deep = '{"a": ' + "[" * depth + "]" * depth + "}"
    brackets_in_strings = json.dumps({"title": "[" * 500, "text": '\\"{' * 300})
    got = list(jsonio.json_objects("\n".join([ok, deep, brackets_in_strings])))
    assert got[0][0] == 1 and isinstance(got[0][1], dict)
    assert got[1] == (2, f"nested more than {depth} levels deep; skipped")
    assert got[2] == (3, {"title": "[" * 500, "text": '\\"{' * 300})


# --- folders -------------------------------------------------------------------------


def test_folder_links_and_binary_files_are_skipped_with_a_reason(  # type: ignore[no-untyped-def]
        cli, engine, tmp_path: Path) -> None:
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("Secret title\n\nroot:x:0:0:root:/root:/bin/bash and other private "
                      "lines that must never become an article.\n", encoding="utf-8")
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "ok.txt").write_text(f"Flood plan approved\n\n{BODY}\n", encoding="utf-8")
    (folder / "fake.txt").write_bytes(random.Random(7).randbytes(5000))
    (folder / "passwd.txt").symlink_to(secret)
    (folder / "loop").symlink_to(folder)  # a folder link back to itself
    os.mkfifo(folder / "sub" / "pipe.txt")
    res = cli("import", str(folder))
    assert _lines(res.output) == [
        f"{folder / 'loop'}: skipped: a symbolic link to a folder (not followed without "
        "--follow-links)",
        f"{folder / 'passwd.txt'}: skipped: a symbolic link to {secret} (not followed "
        "without --follow-links)",
        f"{folder / 'sub' / 'pipe.txt'}: skipped: not a regular file",
        f"{folder / 'fake.txt'}: skipped: binary file, not text",
        "Imported 2 files: 1 new article, 0 duplicates of earlier copies (0 near), 0 "
        "already stored, 4 skipped, 0 errors.",
    ]
    assert [a["title"] for a in _articles(engine)] == ["Flood plan approved"]

    # --follow-links follows the file link (once; the folder loop is not walked twice),
    # still only to regular files.
    res = cli("import", "--follow-links", str(folder))
    assert _lines(res.output) == [
        f"{folder / 'sub' / 'pipe.txt'}: skipped: not a regular file",
        f"{folder / 'fake.txt'}: skipped: binary file, not text",
        "Imported 3 files: 1 new article, 0 duplicates of earlier copies (0 near), 1 "
        "already stored, 2 skipped, 0 errors.",
    ]
    assert [a["title"] for a in _articles(engine)] == ["Flood plan approved", "Secret title"]


def test_text_files_in_utf16_are_not_binary(cli, engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "utf16.txt"
    f.write_bytes(f"Flood plan approved\n\n{BODY}\n".encode("utf-16"))
    assert "1 new article" in cli("import", str(f)).output
    assert _articles(engine)[0]["text"] == BODY


# --- ids out of range ----------------------------------------------------------------


@pytest.mark.parametrize(("args", "message"), [
    (("articles", "show", BIG), f"Error: no article with id {BIG}"),
    (("articles", "delete", BIG), f"Error: no article with id {BIG}"),
    (("stories", "show", BIG), f"Error: no story with id {BIG}"),
    (("stories", "summary", BIG), f"Error: no summary for story {BIG} (run `storyline write`)"),
    (("storylines", "show", BIG), f"Error: no storyline with id {BIG}"),
    (("feeds", "remove", BIG), f"Error: no feed '{BIG}' (see `storyline feeds list`)"),
    (("feeds", "enable", BIG), f"Error: no feed '{BIG}' (see `storyline feeds list`)"),
    (("fetch", "--feed", BIG), f"Error: no such feed: {BIG} (see `storyline feeds list`)"),
])
def test_ids_out_of_range_are_no_such_item(cli, args: tuple[str, ...], message: str) -> None:  # type: ignore[no-untyped-def]
    res = cli(*args, ok=False)
    assert res.exit_code == 1
    assert _lines(res.output) == [message]


def test_article_list_of_an_id_out_of_range_is_empty(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("articles", "list", "--source", BIG, "--json").output == ""


def test_web_ids_out_of_range_are_404(engine: Engine, settings) -> None:  # type: ignore[no-untyped-def]
    from storyline.web import create_app

    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:
        for path in (f"/stories/{BIG}", f"/api/stories/{BIG}", f"/storylines/{BIG}",
                     f"/storylines/{BIG}.atom", f"/api/storylines/{BIG}", "/stories/-1",
                     "/stories/0"):
            assert client.get(path).status_code == 404, path
        assert client.delete(f"/api/feeds/{BIG}").status_code in {401, 403, 404}


# --- feeds ---------------------------------------------------------------------------


def _serve_feeds(http_server, cli) -> None:  # type: ignore[no-untyped-def]
    base = http_server.url("/")
    for name, kind in (("rss_odd.xml", "application/rss+xml"),
                       ("jsonfeed_odd.json", "application/feed+json")):
        body = (HOSTILE / name).read_text(encoding="utf-8").replace("http://127.0.0.1/", base)
        http_server.add(f"/{name}", body, headers={"Content-Type": kind})
        cli("feeds", "add", http_server.url(f"/{name}"))


def test_odd_feeds_keep_every_entry_with_text(cli, engine, http_server) -> None:  # type: ignore[no-untyped-def]
    _serve_feeds(http_server, cli)
    headline = "Council approves the river valley flood defence plan after debate"
    page = (f"<html><head><title>{headline}</title></head><body><article><h1>{headline}"
            f"</h1><p>{headline}</p></article></body></html>")
    http_server.add("/headline", page, headers={"Content-Type": "text/html"})
    http_server.add("/gone", "server trouble", status=500)
    http_server.add("/links.xml", rss([
        Item(link=http_server.url("/headline"), title=headline, guid="headline"),
        Item(link=http_server.url("/gone"), title="Page that fails", guid="gone"),
        Item(link=None, title="Title only, no link and no text", guid="bare"),
    ]), headers={"Content-Type": "application/rss+xml"})
    cli("feeds", "add", http_server.url("/links.xml"))
    res = cli("fetch", "--all")
    out = res.output
    assert "Traceback" not in out
    assert ("warning: recovered from malformed XML: undefined entity, line 14; entry payload: "
            "date 1800-01-01T00:00:00+00:00 is before 1900; ignored") in out
    assert ("warning: item 0: not an object; skipped; item far: date 9999-12-31T23:59:59+00:00"
            " is in the future; ignored") in out
    assert ("warning: 1 entry not stored, tried again next run: the page failed (HTTP 500 "
            "Internal Server Error) and the feed has no text") in out
    assert "Fetched 3/3 feeds (0 unchanged): 8 new articles" in out

    stored = {a["guid"]: a for a in _articles(engine)}
    assert sorted(stored) == sorted(["no-title", "entities", "payload", "same", "42", "far",
                                     "headline", "bare"])
    # The item without a title whose content is one line: kept, its text is that line.
    assert stored["no-title"]["title"] == "Harbour reopens after storm repairs."
    assert stored["no-title"]["text"] == "Harbour reopens after storm repairs."
    assert stored["same"]["text"] == "Bridge closed for inspection"  # title == content
    assert stored["headline"]["text"] == headline  # the page's one paragraph
    assert stored["headline"]["extraction_method"] == "headline-only"
    assert stored["bare"]["text"] == "Title only, no link and no text"
    # Entities and CDATA decoded; absurd dates dropped, not stored.
    assert stored["entities"]["title"] == "Café owners protest — parking fees"
    assert stored["entities"]["text"].startswith("Owners of the café on Main Street")
    assert stored["42"]["title"].startswith("Numbers as ids and a list as a title")
    assert all(a["published"] is None or a["published"].year < 9999
               and a["published"].year >= 1900 for a in stored.values())
    # Payloads: no markup survives into stored text.
    payload = stored["payload"]
    assert payload["title"] == "Storm warning issued"
    assert payload["text"] == ("Forecasters issued a storm warning for the coast.\n"
                               "More on the storm warning for residents of the coast.")
    for a in stored.values():
        for bad in ("<script", "alert(", "onerror", "javascript:", "<img"):
            assert bad not in a["title"] + a["text"], (a["guid"], bad)

    # The failed page is tried again next run (nothing stored for it yet).
    again = cli("fetch", "--all").output
    assert "1 entry not stored, tried again next run: the page failed" in again


def test_feed_dates_past_the_ends_of_datetime() -> None:
    from storyline.parse import parse_feed

    doc = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": "a", "content_text": "Ferry timetable.", "date_published": "9999-12-31T23:00:00-05:00"},
        {"id": "b", "content_text": "Harbour works.", "date_published": "0001-01-01T00:00:00+01:00"},
    ]})
    feed = parse_feed(doc.encode(), url="http://127.0.0.1/f.json",
                      content_type="application/feed+json")
    assert [(e.guid, e.published) for e in feed.entries] == [("a", None), ("b", None)]


# --- dates and near-duplicate windows ------------------------------------------------


def test_sane_datetime_bounds() -> None:
    from storyline.text.dates import sane_datetime

    now = datetime(2026, 2, 18, 12, tzinfo=UTC)
    assert sane_datetime(datetime(1900, 1, 1), now) == datetime(1900, 1, 1, tzinfo=UTC)
    assert sane_datetime(datetime(1899, 12, 31, 23, 59), now) is None
    assert sane_datetime(now + timedelta(days=2), now) == now + timedelta(days=2)
    assert sane_datetime(now + timedelta(days=2, seconds=1), now) is None
    assert sane_datetime(datetime(9999, 12, 31, 23, tzinfo=UTC), now) is None
    assert sane_datetime(datetime.fromisoformat("9999-12-31T23:00:00-05:00"), now) is None


def test_band_candidates_at_the_ends_of_datetime(engine: Engine) -> None:
    from storyline.ingest import dedup
    from storyline.ingest.store import ingest
    from storyline.models import ArticleIn

    text = " ".join([BODY] * 3)
    with engine.begin() as conn:
        first = ingest(conn, ArticleIn(title="Flood plan", text=text,
                                       published=datetime(2026, 2, 18, tzinfo=UTC)))
        sig = dedup.signature(text + " An added closing line.")
        assert sig is not None
        for when in (datetime.max.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC)):
            found = article_store.band_candidates(conn, dedup.band_buckets(sig), when,
                                                  timedelta(days=14))
            assert found == []  # 2026 is outside either window; no OverflowError
        near = article_store.band_candidates(conn, dedup.band_buckets(sig),
                                             datetime(2026, 2, 20, tzinfo=UTC),
                                             timedelta(days=14))
    assert [i for i, _ in near] == [first.article_id]


# --- URLs, Atom links, database paths ------------------------------------------------


@pytest.mark.parametrize(("url", "what"), [
    ("http://224.0.0.1/", "224.0.0.1 is a multicast address (224.0.0.1)"),
    ("http://[ff02::1]/feed", "ff02::1 is a multicast address (ff02::1)"),
    ("http://255.255.255.255/", "255.255.255.255 is a broadcast address (255.255.255.255)"),
    ("http://0.0.0.0/", "0.0.0.0 is an unspecified address (0.0.0.0)"),
    ("http://240.0.0.1/", "240.0.0.1 is a reserved address (240.0.0.1)"),
    ("http://169.254.169.254/", "169.254.169.254 is a private or loopback address "
                                "(169.254.169.254)"),
    ("http://100.64.0.1/", "100.64.0.1 is an address that is not globally routable "
                           "(100.64.0.1)"),
])
def test_feeds_add_refuses_every_non_public_address(cli, url: str, what: str) -> None:  # type: ignore[no-untyped-def]
    res = cli("feeds", "add", url, ok=False, env={"STORYLINE_ALLOW_PRIVATE_FEEDS": "false"})
    assert res.exit_code == 1
    assert _lines(res.output) == [
        f"Error: {url}: {what}; set STORYLINE_ALLOW_PRIVATE_FEEDS=true to allow it"]


def test_atom_links_never_copy_a_foreign_host(engine: Engine, tmp_path: Path) -> None:
    from storyline.web import create_app

    def top_atom(host: str, **env: str) -> str:
        settings = load_settings(env={"STORYLINE_DATA_DIR": str(tmp_path), "STORYLINE_CONFIG":
                                      "", **env})
        with TestClient(create_app(settings, engine)) as client:
            return client.get("/feeds/top.atom", headers={"Host": host}).text

    foreign = top_atom("evil.example")
    assert "evil.example" not in foreign
    assert 'href="/feeds/top.atom"' in foreign
    assert "<id>tag:storyline.invalid,2026:/feeds/top.atom</id>" in foreign
    assert 'href="http://127.0.0.1:8000/feeds/top.atom"' in top_atom("127.0.0.1:8000")
    assert 'href="http://localhost/"' in top_atom("localhost")
    assert 'href="http://news.lan:8000/"' in top_atom("news.lan:8000",
                                                      STORYLINE_WEB_HOST="news.lan")
    public = top_atom("evil.example", STORYLINE_PUBLIC_URL="https://news.example.org/")
    assert "<id>https://news.example.org/feeds/top.atom</id>" in public
    assert "evil.example" not in public


def test_explicit_database_in_a_missing_folder_is_one_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "no" / "such" / "dir"
    for args in (("articles", "list"), ("db", "migrate"), ("db", "status")):
        res = cli("--db", f"sqlite:///{missing / 'x.db'}", *args, ok=False)
        assert res.exit_code == 1
        assert _lines(res.output) == [
            f"Error: cannot open database {missing / 'x.db'}: the folder {missing} does not "
            "exist"]
    assert not (tmp_path / "no").exists()
    # The default location (the data directory) is still created on first use.
    settings = load_settings(env={"STORYLINE_DATA_DIR": str(tmp_path / "fresh" / "data"),
                                  "STORYLINE_CONFIG": ""})
    open_database(settings).dispose()
    assert (tmp_path / "fresh" / "data" / "storyline.db").is_file()
