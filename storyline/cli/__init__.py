"""The ``storyline`` command line: noun–verb commands over the pipeline stages."""

from __future__ import annotations

import sys
from typing import Any

import click

from storyline import __version__
from storyline.cli.common import AppContext, UserError
from storyline.nlp.offline import stay_offline
from storyline.pipeline import ShardBusy
from storyline.settings import SettingsError
from storyline.storage.db import DatabaseError


class StorylineGroup(click.Group):
    """Turns expected failures into one clear line and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (UserError, DatabaseError, SettingsError, ShardBusy) as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)


@click.group(cls=StorylineGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_url", metavar="URL|PATH", envvar="STORYLINE_DATABASE_URL",
              help="Database: a SQLite file path or a SQLAlchemy URL such as "
                   "postgresql+psycopg://user@host/db (default: storyline.db in the user "
                   "data directory; env STORYLINE_DATABASE_URL).")
@click.option("--config", "config_file", metavar="FILE", type=click.Path(dir_okay=False),
              help="TOML config file (default: STORYLINE_CONFIG or the user config directory).")
@click.version_option(__version__, prog_name="storyline")
@click.pass_context
def main(ctx: click.Context, db_url: str | None, config_file: str | None) -> None:
    """Storyline: a self-hosted news story engine.

    Reads many outlets' feeds, pulls each article's full text, and keeps it in a local
    database for the story engine. Typical use:

    \b
      storyline feeds add https://example.org/rss.xml
      storyline fetch
      storyline articles list
    """
    stay_offline()  # before any library that would phone home is imported
    ctx.obj = AppContext.for_run(ctx.obj, db_override=db_url, config_file=config_file)


def _register() -> None:
    from storyline.cli import (
        articles,
        cluster,
        config,
        db,
        evaluate,
        feeds,
        fetch,
        imports,
        search,
        serve,
        status,
        stories,
        users,
        worker,
    )

    for module in (articles, cluster, config, db, evaluate, feeds, fetch, imports, search,
                   serve, status, stories, users, worker):
        module.register(main)


_register()
