"""`storyline articles …`."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from storyline.cli.common import (
    AppContext,
    UserError,
    echo_json_line,
    fmt_time,
    known_id,
    pass_app,
    stdout,
)
from storyline.storage import articles as article_store


@click.group()
def articles() -> None:
    """List, show and delete stored articles."""


@articles.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON lines with every field.")
@click.option("--limit", type=click.IntRange(min=1), help="Show at most N articles.")
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--source", "source_id", type=int, help="Only articles of this feed id.")
@click.option("--newest", is_flag=True, help="Newest first.")
@pass_app
def articles_list(app: AppContext, as_json: bool, limit: int | None, offset: int,
                  source_id: int | None, newest: bool) -> None:
    """List articles (id, published, outlet, title; duplicates point at their original)."""
    with app.engine.connect() as conn:
        rows = [] if source_id is not None and not known_id(source_id) else (
            article_store.list_articles(conn, limit=limit, offset=offset,
                                        source_id=source_id, newest_first=newest))
    if as_json:
        for row in rows:
            echo_json_line(row)
        return
    if not rows:
        click.echo("No articles yet. Add feeds (`storyline feeds add URL`) and run "
                   "`storyline fetch`, or `storyline import PATH`.")
        return
    from rich.table import Table

    table = Table()
    for col in ("id", "published", "outlet", "title", "dup of"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(str(r["id"]), fmt_time(r["published"]), r["outlet"] or "-", r["title"],
                      str(r["duplicate_of"] or ""))
    stdout.print(table)


@articles.command("show")
@click.argument("article_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="One JSON object with every field.")
@pass_app
def articles_show(app: AppContext, article_id: int, as_json: bool) -> None:
    """Show one article with its full text."""
    with app.engine.connect() as conn:
        row = article_store.get(conn, article_id) if known_id(article_id) else None
    if row is None:
        raise UserError(f"no article with id {article_id}")
    if as_json:
        echo_json_line(row)
        return
    click.echo(row["title"])
    meta = [row["outlet"] or "unknown outlet", fmt_time(row["published"])]
    if row["byline"]:
        meta.append(row["byline"])
    click.echo(" · ".join(meta))
    if row["url"]:
        click.echo(row["url"])
    if row["duplicate_of"]:
        click.echo(f"{row['duplicate_kind']} duplicate of article {row['duplicate_of']}")
    if row["inferred_fields"]:
        click.echo("inferred from the text: " + ", ".join(row["inferred_fields"]))
    click.echo(f"extracted by: {row['extraction_method']}")
    click.echo("")
    click.echo(row["text"])


@articles.command("delete")
@click.argument("article_id", type=int)
@pass_app
def articles_delete(app: AppContext, article_id: int) -> None:
    """Delete an article; a tombstone keeps later fetches from bringing it back."""
    with app.engine.begin() as conn:
        if not (known_id(article_id)
                and article_store.delete_article(conn, article_id, datetime.now(UTC))):
            raise UserError(f"no article with id {article_id}")
    click.echo(f"Deleted article {article_id}.")


def register(main: click.Group) -> None:
    main.add_command(articles)
