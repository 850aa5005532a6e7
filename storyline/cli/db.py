"""`storyline db …`: where the database is, how to upgrade it, how to move it."""

from __future__ import annotations

import click

from storyline.cli.common import AppContext, UserError, pass_app, progress_bar
from storyline.storage.db import (
    DatabaseError,
    current_revision,
    engine_for,
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


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    path = sqlite_path(url)
    return str(path) if path is not None else make_url(url).render_as_string(hide_password=True)


@db.command("copy")
@click.argument("source")
@pass_app
def db_copy(app: AppContext, source: str) -> None:
    """Copy everything from the database SOURCE into this one (``--db`` or the
    configured database), which must be empty: how the embedded default moves to
    PostgreSQL. SOURCE is a SQLite file path or a database URL, at this version's schema.

    Feeds, articles, vectors, stories, storylines, pages, accounts, read state and mutes
    all come over; ids stay the same, so links and API clients keep working. The source
    is read in one snapshot and only read; the target is written in one transaction (a
    failed copy leaves it empty). Stop the workers that write to SOURCE first.

    \b
    Example:
      storyline db migrate
      storyline db copy ~/.local/share/storyline/storyline.db
    """
    from storyline.storage.copy import copy_database, count_rows

    source_url = resolve_url(app.settings, source)
    source_path = sqlite_path(source_url)
    if source_path is not None and not source_path.is_file():
        raise UserError(f"no database at {source_path}")
    target = engine_for(app.settings, app.db_override)
    src = make_engine(source_url, create_folder=False)
    try:
        total = count_rows(src)
        with progress_bar("Copying", total) as bar:
            task = bar.tasks[0].id
            result = copy_database(src, target,
                                   on_rows=lambda _table, n: bar.advance(task, n))
    except DatabaseError:
        raise
    except Exception as exc:  # the driver's error, e.g. the source cannot be read
        raise DatabaseError(f"copy failed, the target is unchanged: "
                            f"{str(exc).splitlines()[0]}") from None
    finally:
        src.dispose()
        target.dispose()
    main = ("sources", "articles", "stories", "storylines", "story_summaries", "users")
    listed = ", ".join(f"{name} {result.rows.get(name, 0)}" for name in main)
    click.echo(f"Copied {result.total} rows of {len(result.rows)} tables from "
               f"{_redacted(source_url)} to {_redacted(str(target.url))} ({listed}).")


def register(main: click.Group) -> None:
    main.add_command(db)
