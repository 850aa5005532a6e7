"""`storyline fetch`: read the feeds, fetch each new article's page, store the articles,
then finish the pending work (cluster, write)."""

from __future__ import annotations

import click

from storyline.cli.cluster import finish_pending
from storyline.cli.common import AppContext, UserError, known_id, pass_app, progress_bar


@click.command("fetch")
@click.option("--feed", "feed_ids", type=int, multiple=True, metavar="ID",
              help="Only this feed (repeatable); fetched even if not due.")
@click.option("--all", "force", is_flag=True, help="Fetch every enabled feed, due or not.")
@click.option("--no-pages", is_flag=True,
              help="Use the feeds' own content instead of fetching each article page.")
@click.option("--cluster/--no-cluster", default=None,
              help="Cluster the new articles into stories and rewrite the stories that "
                   "changed afterwards (default: the cluster_after_fetch setting, on).")
@pass_app
def fetch_cmd(app: AppContext, feed_ids: tuple[int, ...], force: bool, no_pages: bool,
              cluster: bool | None) -> None:
    """Fetch due feeds, then each new article's page, and store the articles.

    Feeds are read concurrently with conditional GET; each feed is next checked when its
    TTL/Cache-Control says (with backoff after errors). Article pages are fetched
    politely (robots.txt, per-host limits) and their main text extracted; when a page
    fails, the feed's own content is kept instead. Errors are shown per feed and kept on
    the feed (`storyline feeds list`); the run goes on.
    """
    if feed_ids:
        from storyline.storage import sources as source_store

        with app.engine.connect() as conn:
            missing = [i for i in dict.fromkeys(feed_ids)
                       if not known_id(i) or source_store.get(conn, i) is None]
        if missing:
            raise UserError(f"no such feed: {', '.join(map(str, missing))} "
                            "(see `storyline feeds list`)")
    pipeline = app.pipeline
    with progress_bar("Fetching", None) as bar:
        task = bar.tasks[0].id
        totals = {"feed": 0, "entries": 0, "article": 0}

        def on_progress(kind: str, n: int) -> None:
            totals[kind] += n
            if kind == "entries":
                bar.update(task, total=(bar.tasks[0].total or 0) + n)
            elif kind == "article":
                bar.advance(task, n)

        report = pipeline.fetch(source_ids=feed_ids, force=force,
                                pages=False if no_pages else None, progress=on_progress)
    if not report.feeds:
        click.echo("No feeds due. (`storyline fetch --all` fetches every feed now; "
                   "`storyline feeds list` shows when each is next due.)")
    else:
        for f in report.feeds:
            if not f.ok:
                click.echo(f"feed {f.source_id} {f.url}: {f.error}", err=True)
            elif f.warnings:
                click.echo(f"feed {f.source_id} {f.url}: warning: "
                           f"{'; '.join(f.warnings[:3])}", err=True)
        ok = sum(f.ok for f in report.feeds)
        unchanged = sum(f.not_modified for f in report.feeds)
        page_errors = sum(f.page_errors for f in report.feeds)
        click.echo(
            f"Fetched {ok}/{len(report.feeds)} feeds ({unchanged} unchanged): "
            f"{report.new} new articles ({report.duplicates} duplicates of earlier copies), "
            f"{sum(f.existing for f in report.feeds)} already stored, "
            f"{page_errors} pages fell back to feed content or failed."
        )
    if cluster is None:
        cluster = app.settings.cluster_after_fetch
    if cluster:  # also when nothing was due: what an earlier run left is finished now
        finish_pending(app)


def register(main: click.Group) -> None:
    main.add_command(fetch_cmd)
