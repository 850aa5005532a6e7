"""`storyline feeds …`: manage the sources that `storyline fetch` reads."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from storyline.accounts import subscriptions as user_subs
from storyline.accounts import users as accounts
from storyline.cli.common import (
    AppContext,
    UserError,
    echo_json_line,
    fmt_time,
    known_id,
    pass_app,
    stdout,
)
from storyline.ingest import subscriptions
from storyline.storage import sources as source_store
from storyline.storage.sources import Source


def _resolve(conn, ref: str) -> Source:  # type: ignore[no-untyped-def]
    if ref.isdigit():
        src = source_store.get(conn, int(ref)) if known_id(int(ref)) else None
    else:
        src = source_store.get_by_url(conn, ref)
    if src is None:
        raise UserError(f"no feed {ref!r} (see `storyline feeds list`)")
    return src


@click.group()
def feeds() -> None:
    """Add, list, import, export and remove feeds."""


@feeds.command("add")
@click.argument("urls", nargs=-1, required=True, metavar="URL...")
@pass_app
def feeds_add(app: AppContext, urls: tuple[str, ...]) -> None:
    """Subscribe to one or more feeds (RSS, Atom or JSON Feed URLs)."""
    try:
        added = subscriptions.subscribe(app.engine, list(urls),
                                        allow_private=app.settings.allow_private_feeds)
    except subscriptions.FeedURLError as exc:
        raise UserError(str(exc)) from None
    for src, created in added:
        verb = "Added" if created else "Already subscribed:"
        click.echo(f"{verb} feed {src.id}: {src.url}")
    click.echo("Run `storyline fetch` to read them.")


def _user_id(app: AppContext, name: str | None) -> int | None:
    if name is None:
        return None
    try:
        return accounts.get_user(app.engine, name).id
    except accounts.AccountError as exc:
        raise UserError(str(exc)) from None


USER_OPTION = click.option("--user", "user", metavar="NAME",
                           help="That user's own subscriptions and folders instead of the "
                                "site's (every user's) feeds.")


@feeds.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@USER_OPTION
@pass_app
def feeds_import(app: AppContext, file: Path, user: str | None) -> None:
    """Subscribe to every feed in an OPML file (folders included): every user, or with
    --user one user."""
    uid = _user_id(app, user)
    allow = app.settings.allow_private_feeds
    try:
        result = (subscriptions.import_opml(app.engine, file.read_bytes(), allow_private=allow)
                  if uid is None else
                  user_subs.import_opml(app.engine, uid, file.read_bytes(),
                                        allow_private=allow))
    except subscriptions.OPMLError as exc:
        raise UserError(f"{file}: {exc}") from None
    for line in result.skipped:
        click.echo(f"skipped: {line}", err=True)
    click.echo(f"Imported {result.line()} from {file}.")


@feeds.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
@USER_OPTION
@pass_app
def feeds_export(app: AppContext, output: Path | None, user: str | None) -> None:
    """Write all feeds as OPML 2.0 (with --user, that user's subscriptions, with their
    titles and folders)."""
    uid = _user_id(app, user)
    doc, count = (subscriptions.export_opml(app.engine) if uid is None
                  else user_subs.export_opml(app.engine, uid))
    if output:
        output.write_text(doc, encoding="utf-8")
        click.echo(f"Wrote {count} feeds to {output}.")
    else:
        click.echo(doc, nl=False)


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
@pass_app
def feeds_list(app: AppContext, as_json: bool) -> None:
    """Feeds with status, article count, last error and next check."""
    with app.engine.connect() as conn:
        rows = source_store.list_all(conn)
    if as_json:
        for s in rows:
            echo_json_line({
                "id": s.id, "url": s.url, "title": s.title, "site_name": s.site_name,
                "status": s.status, "articles": s.article_count, "error_count": s.error_count,
                "last_error": s.last_error, "last_checked": s.last_checked,
                "next_check": s.next_check,
            })
        return
    if not rows:
        click.echo("No feeds yet: `storyline feeds add URL` or `storyline feeds import FILE`.")
        return
    from rich.table import Table

    table = Table()
    for col in ("id", "status", "feed", "articles", "last checked", "next check", "last error"):
        table.add_column(col, overflow="fold")
    for s in rows:
        status = {"active": "[green]ok[/]", "error": "[yellow]error[/]",
                  "disabled": "[red]disabled[/]"}.get(s.status, s.status)
        name = f"{s.site_name or s.title or ''}\n{s.url}".strip()
        table.add_row(str(s.id), status, name, str(s.article_count), fmt_time(s.last_checked),
                      fmt_time(s.next_check), s.last_error or "")
    stdout.print(table)


@feeds.command("remove")
@click.argument("refs", nargs=-1, required=True, metavar="ID|URL...")
@pass_app
def feeds_remove(app: AppContext, refs: tuple[str, ...]) -> None:
    """Unsubscribe; the feed's articles stay in the database."""
    with app.engine.begin() as conn:
        targets = [_resolve(conn, ref) for ref in refs]
        for src in targets:
            source_store.remove(conn, src.id)
            click.echo(f"Removed feed {src.id}: {src.url}")


@feeds.command("enable")
@click.argument("refs", nargs=-1, required=True, metavar="ID|URL...")
@pass_app
def feeds_enable(app: AppContext, refs: tuple[str, ...]) -> None:
    """Re-enable disabled feeds and clear their error count."""
    now = datetime.now(UTC)
    with app.engine.begin() as conn:
        for ref in refs:
            src = _resolve(conn, ref)
            source_store.enable(conn, src.id, now)
            click.echo(f"Enabled feed {src.id}: {src.url}")


def register(main: click.Group) -> None:
    main.add_command(feeds)
