"""`storyline worker` (the pipeline on a schedule) and `storyline search`."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import click

from storyline.cli.common import AppContext, echo_json_line, fmt_time, pass_app


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """First Ctrl-C (or SIGTERM): finish the current stage and stop. Second: stop now."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        click.echo("Stopping after the current stage (Ctrl-C again to stop at once).",
                   err=True)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@click.command("worker")
@click.option("--once", is_flag=True,
              help="Run one cycle and exit (status 1 if a stage failed), e.g. from cron.")
@click.option("--interval", type=click.IntRange(min=1), metavar="SECONDS",
              help="Seconds between cycles (default: the worker_interval setting, 300).")
@pass_app
def worker_cmd(app: AppContext, once: bool, interval: int | None) -> None:
    """Keep the database current: fetch due feeds, extract, cluster, write.

    \b
    Each cycle fetches the feeds that are due (and each new article's page), clusters
    the new articles into stories and rewrites the summaries of the stories that
    changed, then prints one line: feeds checked, new articles, stories touched,
    summaries written, errors, duration. A failing feed or stage is one line on stderr
    and the next cycle runs. One cycle at a time per database: a second worker on the
    same database skips its cycles while another runs. `storyline serve` runs the same
    worker beside the web reader. Ctrl-C stops after the current stage.
    """
    from storyline.worker import Worker
    from storyline.write.service import make_writer

    settings = app.settings
    if interval is not None:
        settings = settings.replace(worker_interval=interval)
    make_writer(settings)  # a misconfigured writer is one line now, not one per cycle
    engine = app.engine
    worker = Worker(settings, engine, log=lambda line: click.echo(line, err=True),
                    on_cycle=lambda report: click.echo(report.line()))
    if once:
        report = worker.run_cycle()
        click.echo(report.line())
        sys.exit(0 if report.ok else 1)
    click.echo(f"Worker started on {engine.url.render_as_string()}: a cycle every "
               f"{settings.worker_interval} s. Ctrl-C stops.", err=True)
    stop = threading.Event()
    with _stop_on_signals(stop):
        worker.run_forever(stop)
    click.echo("Worker stopped.", err=True)


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
    main.add_command(worker_cmd)
    main.add_command(search_cmd)
