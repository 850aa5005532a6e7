"""`storyline config …`: the settings in effect and their reference."""

from __future__ import annotations

import click

from storyline.cli.common import AppContext, dumps, pass_app
from storyline.settings import SETTINGS, settings_markdown


@click.group()
def config() -> None:
    """Inspect settings."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of a table.")
@pass_app
def config_show(app: AppContext, as_json: bool) -> None:
    """Print every setting with its value and where it came from (secrets redacted).

    Settings are read from STORYLINE_<NAME> environment variables and an optional TOML
    config file (keys as below, optionally under a [storyline] table).
    """
    settings = app.settings
    values = settings.redacted()
    if as_json:
        click.echo(dumps({"config_file": str(settings.config_file or ""), "settings": values}))
        return
    click.echo(f"# config file: {settings.config_file or 'none'}")
    width = max(len(s.name) for s in SETTINGS)
    for s in SETTINGS:
        click.echo(f"{s.name:<{width}} = {values[s.name]!r:<30}  # {settings.origins[s.name]}")


@config.command("docs")
def config_docs() -> None:
    """Print the settings reference (Markdown), generated from the registry."""
    click.echo(settings_markdown(), nl=False)


def register(main: click.Group) -> None:
    main.add_command(config)
