"""`storyline search`: full-text search over stories and articles."""

from __future__ import annotations

from typing import Any

import click

from storyline.cli.common import AppContext, echo_json_line, fmt_time, pass_app


def _hit_dict(kind: str, hit: Any) -> dict[str, Any]:
    row = dict(hit.__dict__)
    row["id"] = row.pop("story_id" if kind == "story" else "article_id")
    if kind == "article":
        row["story_id"] = hit.story_id
    row.pop("marks", None)
    return {"kind": kind, **row}


@click.command("search")
@click.argument("words", nargs=-1, required=True, metavar="QUERY...")
@click.option("--limit", type=click.IntRange(1, 200), default=10, show_default=True,
              help="Most stories and most articles shown.")
@click.option("--json", "as_json", is_flag=True,
              help="JSON lines: stories first, then articles, each with kind and id.")
@pass_app
def search_cmd(app: AppContext, words: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Full-text search over stories (headline, summary) and articles (title, text, outlet).

    \b
    All words are required; "a phrase" in quotes; word* for a prefix; -word to exclude
    (after --, e.g. `storyline search -- talks -geneva`); `or` between alternatives.
    Words are matched by stem (talks finds talk). Only live stories are shown.
    """
    from storyline.storage.search import search

    query = " ".join(words)
    with app.engine.connect() as conn:
        results = search(conn, query, limit=limit)
    if as_json:
        for story in results.stories:
            echo_json_line(_hit_dict("story", story))
        for article in results.articles:
            echo_json_line(_hit_dict("article", article))
        return
    if not results.stories and not results.articles:
        click.echo(f"No matches for {query!r}.")
        return
    if results.stories:
        click.echo(f"Stories ({len(results.stories)}):")
        for s in results.stories:
            click.echo(f"  [{s.story_id}] {s.headline} ({s.article_count} articles, "
                       f"updated {fmt_time(s.last_time)})")
            if s.snippet:
                click.echo(f"      {s.snippet}")
    if results.articles:
        click.echo(f"Articles ({len(results.articles)}):")
        for a in results.articles:
            where = ", ".join(x for x in (a.outlet, fmt_time(a.published)) if x)
            in_story = f", story {a.story_id}" if a.story_id is not None else ""
            click.echo(f"  [{a.article_id}] {a.title} ({where}{in_story})")
            if a.snippet:
                click.echo(f"      {a.snippet}")


def register(main: click.Group) -> None:
    main.add_command(search_cmd)
