"""`storyline stories …` and `storyline storylines …`: browse what the pipeline built."""

from __future__ import annotations

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
from storyline.text.wording import plural


@click.group()
def stories() -> None:
    """Browse stories (groups of articles reporting the same event)."""


@stories.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON lines.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--min-articles", type=click.IntRange(min=1), default=1, show_default=True)
@pass_app
def stories_list(app: AppContext, as_json: bool, limit: int, min_articles: int) -> None:
    """Stories, most recently updated first, by their written headline (the lead
    article's title until `storyline write` has run)."""
    from storyline.storage.stories import list_stories

    with app.engine.connect() as conn:
        rows = list_stories(conn, limit=limit, min_articles=min_articles)
    if as_json:
        for r in rows:
            echo_json_line(r)
        return
    if not rows:
        click.echo("No stories yet: import or fetch articles, then `storyline cluster`.")
        return
    from rich.table import Table

    table = Table()
    for col in ("id", "articles", "outlets", "last update", "title"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(str(r["id"]), str(r["article_count"]), str(r["outlet_count"]),
                      fmt_time(r["last_time"]), r["headline"] or r["title"] or "")
    stdout.print(table)


@stories.command("show")
@click.argument("story_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@pass_app
def stories_show(app: AppContext, story_id: int, as_json: bool) -> None:
    """A story's articles, outlets, time span, storyline and sub-stories."""
    from storyline.storage.stories import get_story

    with app.engine.connect() as conn:
        story = get_story(conn, story_id) if known_id(story_id) else None
    if story is None:
        raise UserError(f"no story with id {story_id}")
    if story["status"] == "merged":
        raise UserError(f"story {story_id} was merged into story {story['merged_into']}")
    if as_json:
        echo_json_line(story)
        return
    click.echo(f"Story {story['id']}: {story['headline'] or story['title']}")
    click.echo(f"{plural(story['article_count'], 'article')} from "
               f"{plural(len(story['outlets']), 'outlet')}, "
               f"{fmt_time(story['first_time'])} – {fmt_time(story['last_time'])}")
    if story["storyline"]:
        line = story["storyline"]
        click.echo(f"Storyline {line['id']}: {line['title']} "
                   f"({plural(line['story_count'], 'story', 'stories')})")
    for sub in story["substories"]:
        click.echo(f"  Dive deeper: {sub['label']} ({plural(sub['article_count'], 'article')})")
    click.echo("")
    for a in story["articles"]:
        dup = f"  [copy of {a['duplicate_of']}]" if a["duplicate_of"] else ""
        click.echo(f"  {a['id']:>6}  {fmt_time(a['published'])}  {a['outlet'] or '-'}: "
                   f"{a['title']}{dup}")


@click.group()
def storylines() -> None:
    """Browse storylines (stories of one ongoing situation)."""


@storylines.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON lines.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--min-stories", type=click.IntRange(min=1), default=1, show_default=True)
@pass_app
def storylines_list(app: AppContext, as_json: bool, limit: int, min_stories: int) -> None:
    """Storylines, most recently updated first."""
    from storyline.storage.stories import list_storylines

    with app.engine.connect() as conn:
        rows = list_storylines(conn, limit=limit, min_stories=min_stories)
    if as_json:
        for r in rows:
            echo_json_line(r)
        return
    if not rows:
        click.echo("No storylines yet: they appear as `storyline cluster` builds stories.")
        return
    for r in rows:
        click.echo(f"{r['id']:>5}  {r['story_count']:>3} stories  {fmt_time(r['last_time'])}  "
                   f"{r['title'] or ''}")


@storylines.command("show")
@click.argument("storyline_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@pass_app
def storylines_show(app: AppContext, storyline_id: int, as_json: bool) -> None:
    """A storyline's stories in time order."""
    from storyline.storage.stories import get_storyline

    with app.engine.connect() as conn:
        line = get_storyline(conn, storyline_id) if known_id(storyline_id) else None
    if line is None:
        raise UserError(f"no storyline with id {storyline_id}")
    if as_json:
        echo_json_line(line)
        return
    click.echo(f"Storyline {line['id']}: {line['title']} "
                   f"({plural(line['story_count'], 'story', 'stories')})")
    for s in line["stories"]:
        click.echo(f"  {fmt_time(s['first_time'])}  story {s['id']} "
                   f"({plural(s['article_count'], 'article')}): {s['headline'] or s['title']}")


@stories.command("summary")
@click.argument("story_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="The summary as JSON.")
@click.option("--html", "as_html", is_flag=True,
              help="The summary as a standalone HTML page (as the web reader shows it).")
@pass_app
def stories_summary(app: AppContext, story_id: int, as_json: bool, as_html: bool) -> None:
    """Print a story's written summary (Markdown, JSON with --json, HTML with --html)."""
    from storyline.write.render import to_markdown
    from storyline.write.service import load_summary

    with app.engine.connect() as conn:
        summary = load_summary(conn, story_id) if known_id(story_id) else None
    if summary is None:
        raise UserError(f"no summary for story {story_id} (run `storyline write`)")
    if as_json and as_html:
        raise UserError("choose one of --json and --html")
    if as_json:
        echo_json_line(summary)
    elif as_html:
        from storyline.write.page import summary_html

        click.echo(summary_html(summary), nl=False)
    else:
        click.echo(to_markdown(summary), nl=False)


def register(main: click.Group) -> None:
    main.add_command(stories)
    main.add_command(storylines)
