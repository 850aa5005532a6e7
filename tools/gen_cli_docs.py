"""Write docs/cli.md, the command-line reference, from the commands' own ``--help``.

Run: .venv/bin/python tools/gen_cli_docs.py [--check]

Walks the click tree of ``storyline.cli.main``: one section per command and subcommand
(hidden ones left out), each the exact ``--help`` text at 80 columns. ``--check`` exits 1
when docs/cli.md is not current; tests/test_cli.py checks the same.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "cli.md"
WIDTH = 80  # fixed, so the reference does not depend on the terminal it was made in


def command_contexts(command: click.Command, ctx: click.Context) -> Iterator[click.Context]:
    """The context of ``command`` and of every visible command under it, depth first,
    subcommands in the order ``--help`` lists them."""
    yield ctx
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from command_contexts(sub, _context(sub, name, ctx))


def _context(command: click.Command, name: str, parent: click.Context | None) -> click.Context:
    settings = {**command.context_settings, "terminal_width": WIDTH}
    return click.Context(command, info_name=name, parent=parent, **settings)


def cli_markdown() -> str:
    """The CLI reference (docs/cli.md): every command's ``--help`` as Markdown."""
    from storyline.cli import main as storyline

    root = _context(storyline, "storyline", None)
    contexts = list(command_contexts(storyline, root))
    lines = [
        "# Command line",
        "",
        "Every `storyline` command with its `--help`. Generated from the commands by",
        "`tools/gen_cli_docs.py`; `tests/test_cli.py` checks that it is current.",
        "",
    ]
    lines += [f"- [`{c.command_path}`](#{c.command_path.replace(' ', '-')})"
              for c in contexts[1:]]
    for ctx in contexts:
        lines += ["", f"## {ctx.command_path}", "", "```text", ctx.get_help(), "```"]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = cli_markdown()
    if argv[1:] == ["--check"]:
        if DOC.read_text(encoding="utf-8") != text:
            print(f"{DOC} is not current: run tools/gen_cli_docs.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
