from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_help_explains_every_command(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("--help").output
    for cmd in ("articles", "config", "db", "feeds", "fetch", "import"):
        assert cmd in out
    assert "Storyline: a self-hosted news story engine" in out
    assert "conditional GET" in cli("fetch", "--help").output


def test_config_show_redacts_secrets(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("config", "show", env={"STORYLINE_ADMIN_TOKEN": "s3cret-token"})
    assert "s3cret-token" not in res.output
    assert "admin_token" in res.output and "********" in res.output
    data = json.loads(cli("config", "show", "--json",
                          env={"STORYLINE_LLM_API_KEY": "sk-abc"}).output)
    assert data["settings"]["llm_api_key"] == "********"
    assert data["settings"]["fetch_per_host"] == 2


def test_db_path_and_migrate(cli, tmp_path: Path, backend: str) -> None:  # type: ignore[no-untyped-def]
    if backend == "sqlite":
        assert cli("db", "path").output.strip() == cli.db_url.removeprefix("sqlite:///")
    first = cli("db", "migrate").output
    assert "Migrated database schema from empty to 0005_story_pages" in first
    assert "up to date (revision 0005_story_pages)" in cli("db", "migrate").output


def test_default_database_lives_in_data_dir(tmp_path: Path) -> None:
    env = {"STORYLINE_DATA_DIR": str(tmp_path / "d"), "PATH": "/usr/bin:/bin",
           "STORYLINE_CONFIG": ""}
    exe = Path(sys.executable).parent / "storyline"
    out = subprocess.run([str(exe), "db", "path"], env=env, capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == str(tmp_path / "d" / "storyline.db")
    # A user mistake is one line on stderr and a non-zero exit, not a traceback.
    bad = subprocess.run([str(exe), "articles", "show", "99"], env=env, capture_output=True,
                         text=True)
    assert bad.returncode == 1
    assert bad.stderr.strip() == "Error: no article with id 99"
    assert "Traceback" not in bad.stderr


def test_feeds_add_list_export_import_remove(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert "Added feed 1: http://127.0.0.1:9/a.xml" in cli("feeds", "add",
                                                             "http://127.0.0.1:9/a.xml").output
    assert "Already subscribed: feed 1" in cli("feeds", "add", "http://127.0.0.1:9/a.xml").output
    bad = cli("feeds", "add", "ftp://x.example/feed", ok=False)
    assert bad.exit_code == 1 and "not an http(s) URL" in bad.output
    private = cli("feeds", "add", "http://127.0.0.1:9/b.xml", ok=False,
                  env={"STORYLINE_ALLOW_PRIVATE_FEEDS": "false"})
    assert private.exit_code == 1 and "private or loopback" in private.output

    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head/><body>'
        '<outline text="World"><outline text="A" xmlUrl="http://127.0.0.1:9/a.xml"/>'
        '<outline text="Bee &amp; Co" title="Bee &amp; Co" xmlUrl="http://127.0.0.1:9/b.xml" '
        'htmlUrl="http://127.0.0.1:9/"/></outline>'
        '<outline text="no url"/></body></opml>'
    )
    res = cli("feeds", "import", str(opml))
    assert "Imported 1 new feeds" in res.output and "1 already there" in res.output
    rows = [json.loads(line) for line in cli("feeds", "list", "--json").output.splitlines()]
    assert [r["url"] for r in rows] == ["http://127.0.0.1:9/a.xml", "http://127.0.0.1:9/b.xml"]
    assert rows[1]["title"] == "Bee & Co" and rows[1]["status"] == "active"

    exported = cli("feeds", "export").output
    assert 'xmlUrl="http://127.0.0.1:9/b.xml"' in exported and "Bee &amp; Co" in exported
    round_trip = tmp_path / "out.opml"
    cli("feeds", "export", "-o", str(round_trip))
    assert "0 new feeds" in cli("feeds", "import", str(round_trip)).output

    assert "Removed feed 1" in cli("feeds", "remove", "1").output
    missing = cli("feeds", "remove", "42", ok=False)
    assert missing.exit_code == 1 and "no feed '42'" in missing.output
    assert len(cli("feeds", "list", "--json").output.splitlines()) == 1

    broken = tmp_path / "broken.opml"
    broken.write_text("<opml><body><outline")
    res = cli("feeds", "import", str(broken), ok=False)
    assert res.exit_code == 1 and "malformed XML" in res.output


def test_readme_opens_with_the_two_commands() -> None:
    readme = (REPO / "README.md").read_text()
    head = readme[:1500]
    assert "make demo" in head and "make test" in head
