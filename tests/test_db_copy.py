"""`storyline db copy SOURCE`: the embedded database moves whole into an empty one (on the
PostgreSQL run the target is a real PostgreSQL database), or is refused in one line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select, text

from storyline.storage import open_database
from storyline.storage.copy import SKIPPED
from storyline.storage.db import make_engine, migrate
from storyline.storage.schema import articles, metadata, stories
from tests.helpers import Cli, import_talk_rounds, lines

NOW = datetime(2026, 2, 19, 12, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


def _source(tmp_path: Path, models) -> tuple[Cli, str]:  # type: ignore[no-untyped-def]
    """An embedded database with stories, pages, a duplicate, a user, read state, a mute."""
    url = f"sqlite:///{tmp_path / 'source' / 'storyline.db'}"
    (tmp_path / "source").mkdir()
    src = Cli(url, tmp_path / "source", models)
    import_talk_rounds(src, tmp_path / "source")
    copy = tmp_path / "source" / "copy.txt"
    copy.write_text("Ukraine and Russia end first day of Abu Dhabi talks without breakthrough"
                    "\n\n" + (tmp_path / "source" / "abu0.txt").read_text().split("\n\n", 1)[1],
                    encoding="utf-8")
    src("import", str(copy), "--outlet", "Syndicated", "--url", "https://copy.example/abu")
    src("cluster")
    src("write")
    src("users", "add", "alice", "--password-stdin", input=PASSWORD + "\n")
    from storyline.storage import mutes, readstate

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            uid = conn.execute(text("SELECT id FROM users WHERE name = 'alice'")).scalar_one()
            story = conn.execute(select(func.min(stories.c.id))).scalar_one()
            readstate.mark_stories_read(conn, uid, [story], NOW)
            mutes.add(conn, uid, "outlet", "Wire 1", NOW)
    finally:
        engine.dispose()
    return src, url


def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in metadata.sorted_tables if t.name not in SKIPPED}
    finally:
        engine.dispose()


def test_copy_moves_everything_and_the_target_keeps_working(
        cli, db_url, tmp_path, models) -> None:  # type: ignore[no-untyped-def]
    src, source_url = _source(tmp_path, models)
    before = _counts(source_url)
    assert before["articles"] == 7 and before["stories"] >= 2 and before["users"] == 1
    assert before["story_summaries"] >= 2 and before["article_reads"] >= 1
    source_file = source_url.removeprefix("sqlite:///")

    out = cli("db", "copy", source_file).output
    assert out.startswith(f"Copied {sum(before.values())} rows of "), out
    assert "articles 7" in out and "users 1" in out, out
    assert _counts(db_url) == before

    # Row for row the same: ids, the duplicate's link to its original, stories, pages.
    def snapshot(url: str) -> tuple[list[tuple], list[tuple]]:  # type: ignore[type-arg]
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                arts = conn.execute(select(articles.c.id, articles.c.url, articles.c.duplicate_of,
                                           articles.c.content_hash).order_by(articles.c.id)).all()
                sts = conn.execute(select(stories.c.id, stories.c.title, stories.c.article_count,
                                          stories.c.merged_into).order_by(stories.c.id)).all()
                return [tuple(r) for r in arts], [tuple(r) for r in sts]
        finally:
            engine.dispose()

    src_arts, src_stories = snapshot(source_url)
    dst_arts, dst_stories = snapshot(db_url)
    assert dst_arts == src_arts and dst_stories == src_stories
    assert any(dup is not None for _, _, dup, _ in dst_arts), "the syndicated copy's link"
    assert lines(cli("stories", "list", "--json").output) == \
        lines(src("stories", "list", "--json").output)
    first = src_stories[0][0]
    assert cli("stories", "show", str(first)).output == src("stories", "show", str(first)).output

    # Search indexes are filled by the target itself (FTS5 triggers / tsvector columns).
    hits = cli("search", "Witkoff", "--json").output
    assert "Witkoff" in hits and '"story_id"' in hits, hits
    # The user signs in with the same password; new rows get ids after the copied ones.
    from storyline.accounts.users import authenticate

    engine = open_database(cli.app.settings, db_url)
    try:
        assert authenticate(engine, "alice", PASSWORD) is not None
        assert authenticate(engine, "alice", "wrong password") is None
    finally:
        engine.dispose()
    extra = tmp_path / "extra.txt"
    extra.write_text("Geneva talks resume on Thursday\n\nDelegations from Kyiv and Moscow "
                     "returned to Geneva on Thursday for a further day of talks, mediators "
                     "said, after a tense first session.\n", encoding="utf-8")
    cli("import", str(extra), "--outlet", "Late Wire", "--url", "https://late.example/a")
    after = snapshot(db_url)[0]
    assert len(after) == 8 and after[-1][0] > src_arts[-1][0]


def test_copy_refuses_what_it_cannot_do_in_one_line(
        cli, db_url, tmp_path, models) -> None:  # type: ignore[no-untyped-def]
    src, source_url = _source(tmp_path, models)
    source_file = source_url.removeprefix("sqlite:///")
    cli("db", "copy", source_file)
    counts = _counts(db_url)

    again = cli("db", "copy", source_file, ok=False)
    assert again.exit_code == 1
    assert "already holds data" in again.output and "articles 7" in again.output, again.output
    assert "Traceback" not in again.output and len(again.output.strip().splitlines()) == 1
    assert _counts(db_url) == counts  # nothing written

    missing = cli("db", "copy", str(tmp_path / "nope.db"), ok=False)
    assert missing.exit_code == 1 and "no database at" in missing.output, missing.output
    assert not (tmp_path / "nope.db").exists()

    same = src("db", "copy", source_file, ok=False)
    assert same.exit_code == 1 and "same database" in same.output, same.output


def test_copy_needs_the_source_at_this_version(
        cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    old = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{old}")
    try:
        migrate(engine, "0007_accounts")
    finally:
        engine.dispose()
    result = cli("db", "copy", str(old), ok=False)
    assert result.exit_code == 1
    assert "revision 0007_accounts" in result.output and "db migrate" in result.output, \
        result.output
    assert cli("db", "status").output.startswith("schema: ")
