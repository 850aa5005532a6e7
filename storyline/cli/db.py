"""`storyline db …`: where the database is and how to upgrade it."""

from __future__ import annotations

import click

from storyline.cli.common import AppContext, pass_app
from storyline.storage.db import (
    current_revision,
    engine_for,
    head_revision,
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
    engine = engine_for(app.settings, app.db_override)
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
    engine = engine_for(app.settings, app.db_override)
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    state = "up to date" if current == head else "needs `storyline db migrate`"
    click.echo(f"schema: {current or 'none'}; this version: {head} ({state})")


def register(main: click.Group) -> None:
    main.add_command(db)
