"""`storyline db …` and `storyline config …`."""

from __future__ import annotations

import click

from storyline.cli.common import AppContext, dumps, pass_app
from storyline.settings import SETTINGS, settings_markdown
from storyline.storage.db import (
    current_revision,
    head_revision,
    make_engine,
    migrate,
    resolve_url,
    sqlite_path,
)


@click.group()
def db() -> None:
    """Where the database is and how to upgrade it."""


@db.command("path")
@pass_app
def db_path(app: AppContext) -> None:
    """Print the database location (a file path for SQLite, else the redacted URL)."""
    url = resolve_url(app.settings, app.db_override)
    path = sqlite_path(url)
    if path is not None:
        click.echo(str(path))
    else:
        from sqlalchemy.engine import make_url

        click.echo(make_url(url).render_as_string(hide_password=True))


@db.command("migrate")
@pass_app
def db_migrate(app: AppContext) -> None:
    """Create the database or upgrade its schema to this version (explicit, idempotent)."""
    engine = make_engine(resolve_url(app.settings, app.db_override))
    try:
        before, after = migrate(engine)
    finally:
        engine.dispose()
    if before == after:
        click.echo(f"Database schema is up to date (revision {after}).")
    else:
        click.echo(f"Migrated database schema from {before or 'empty'} to {after}.")


@db.command("status")
@pass_app
def db_status(app: AppContext) -> None:
    """Show the schema revision of the database and the one this version needs."""
    engine = make_engine(resolve_url(app.settings, app.db_override))
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    state = "up to date" if current == head else "needs `storyline db migrate`"
    click.echo(f"schema: {current or 'none'}; this version: {head} ({state})")


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
    main.add_command(db)
    main.add_command(config)
