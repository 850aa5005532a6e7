from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
from click.testing import CliRunner

from tests.helpers import REPO

# Options that still have no help text: give them help=..., then drop them from here.
OPTIONS_WITHOUT_HELP = {
    ("articles", "list", "--offset"),
    ("stories", "list", "--limit"), ("stories", "list", "--min-articles"),
    ("storylines", "list", "--limit"), ("storylines", "list", "--min-stories"),
}


def walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[
        tuple[tuple[str, ...], click.Command]]:
    """Every command of the click tree with its path, each group before its subcommands."""
    yield path, command
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            yield from walk(command.commands[name], (*path, name))


def storyline_help(*path: str) -> str:
    from storyline.cli import main

    res = CliRunner().invoke(main, [*path, "--help"], prog_name="storyline",
                             env={"STORYLINE_CONFIG": ""}, terminal_width=80)
    assert res.exit_code == 0, res.output
    return res.output


def flat(text: str) -> str:
    return "".join(text.split())  # help text as click wraps it, compared without the wrapping


def test_help_explains_every_command() -> None:
    from storyline.cli import main

    commands = list(walk(main))
    paths = {" ".join(path) for path, _ in commands}
    assert len(commands) >= 36
    assert {"", "articles list", "config docs", "eval summarize", "feeds add", "fetch",
            "stories summary", "worker", "write"} <= paths
    without_help = set()
    for path, command in commands:
        out = storyline_help(*path)
        assert out.startswith(f"Usage: {' '.join(('storyline', *path))} [OPTIONS]"), out
        description = inspect.cleandoc(command.help or "").split("\n\n")[0]
        assert len(description.split()) >= 2 and description.endswith("."), (path, description)
        assert flat(description) in flat(out)
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                assert sub.hidden or re.search(rf"^  {name}  +\S", out, re.M), (path, name)
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                assert param.opts[0] in out, (path, param.opts)
                if param.help:
                    assert flat(param.help) in flat(out), (path, param.opts)
                else:
                    without_help.add((*path, param.opts[0]))
    assert without_help == OPTIONS_WITHOUT_HELP
    assert "conditional GET" in storyline_help("fetch")
    assert "storyline feeds add https://example.org/rss.xml" in storyline_help()  # an example


def test_cli_reference_is_current() -> None:
    from tools.gen_cli_docs import cli_markdown

    doc = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert doc == cli_markdown(), "regenerate: .venv/bin/python tools/gen_cli_docs.py"
    for path in ((), ("articles",), ("stories", "summary"), ("eval", "cluster")):
        title = " ".join(("storyline", *path))
        assert f"\n## {title}\n\n```text\n{storyline_help(*path)}```\n" in doc, title


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
    from storyline.storage.db import head_revision

    assert f"Migrated database schema from empty to {head_revision()}" in first
    assert f"up to date (revision {head_revision()})" in cli("db", "migrate").output


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
