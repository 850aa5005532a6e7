"""`storyline fetch` and `storyline import`: bring articles in."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

from storyline.cli.common import AppContext, UserError, pass_app, progress_bar
from storyline.text.dates import parse_datetime
from storyline.text.wording import plural

SAMPLE_FILE = "ecbplus-dev.jsonl.gz"


def sample_corpus_path() -> Path:
    """The bundled sample corpus (ECB+ topics 1-22, CC BY 3.0; see data/sample/NOTICE.md)."""
    return Path(str(resources.files("storyline") / "data" / "sample" / SAMPLE_FILE))


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
    from storyline.ingest.crawl import crawl

    settings = app.settings
    if no_pages:
        settings = settings.replace(fetch_pages=False)
    engine = app.engine
    with progress_bar("Fetching", None) as bar:
        task = bar.tasks[0].id
        totals = {"feed": 0, "entries": 0, "article": 0}

        def on_progress(kind: str, n: int) -> None:
            totals[kind] += n
            if kind == "entries":
                bar.update(task, total=(bar.tasks[0].total or 0) + n)
            elif kind == "article":
                bar.advance(task, n)

        report = crawl(engine, settings, source_ids=list(feed_ids) or None, force=force,
                       progress=on_progress)
    if not report.feeds:
        click.echo("No feeds due. (`storyline fetch --all` fetches every feed now; "
                   "`storyline feeds list` shows when each is next due.)")
        return
    for f in report.feeds:
        if not f.ok:
            click.echo(f"feed {f.source_id} {f.url}: {f.error}", err=True)
        elif f.warnings:
            click.echo(f"feed {f.source_id} {f.url}: warning: {'; '.join(f.warnings[:3])}",
                       err=True)
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
        cluster = settings.cluster_after_fetch
    if cluster and report.new:
        from storyline.cli.stories import run_cluster, run_write

        click.echo(run_cluster(app))
        click.echo(run_write(app))


@click.command("import")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), metavar="PATH...")
@click.option("--sample", is_flag=True,
              help="Import the bundled sample corpus (ECB+ news topics, CC BY 3.0).")
@click.option("--outlet", help="Outlet name for the imported plain-text or HTML files.")
@click.option("--url", help="Original URL of the (single) imported file.")
@click.option("--published", metavar="DATE",
              help="Publication date/time of the imported files, e.g. 2026-02-18T09:30Z.")
@pass_app
def import_cmd(app: AppContext, paths: tuple[Path, ...], sample: bool, outlet: str | None,
               url: str | None, published: str | None) -> None:
    """Import local articles: HTML pages, plain-text articles, JSONL, or folders of these.

    \b
    HTML pages are extracted like fetched ones. Plain text: the first non-empty line is
    the title; the outlet, date, agency and image credit are inferred from the text when
    it says them (a "SOURCE:AFP" line, the outlet's own name in its boilerplate, a
    dated caption) unless given with --outlet/--published; inferred fields are recorded.
    JSONL lines follow the evaluation schema: {"id", "title", "text", "published",
    "source", "url", "lang"}. Aggregator pages (story pages built from other articles)
    are skipped with a message: they are not articles and must never be cited as one.
    Re-importing is idempotent.
    """
    from storyline.ingest.files import ImportOptions, import_paths

    targets = list(paths)
    if sample:
        targets.append(sample_corpus_path())
    if not targets:
        raise UserError("nothing to import: give files or folders, or --sample")
    if url and (len(targets) > 1 or targets[0].is_dir()):
        raise UserError("--url describes one article: give exactly one file with it")
    when = None
    if published:
        when = parse_datetime(published)
        if when is None:
            raise UserError(f"--published: cannot understand the date {published!r}")
    settings = app.settings
    opts = ImportOptions(outlet=outlet, url=url, published=when,
                         near_threshold=settings.near_duplicate_threshold,
                         window_days=settings.near_duplicate_window_days)
    engine = app.engine
    with progress_bar("Importing", None) as bar:
        task = bar.tasks[0].id

        def on_progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = import_paths(engine, targets, opts, progress=on_progress)
    for note in report.notes:
        click.echo(note, err=True)
    for err in report.errors:
        click.echo(f"error: {err}", err=True)
    click.echo(
        f"Imported {plural(report.files, 'file')}: {plural(report.new, 'new article')}, "
        f"{report.duplicates + report.near_duplicates} duplicates of earlier copies "
        f"({report.near_duplicates} near), {report.existing} already stored, "
        f"{report.skipped} skipped, {len(report.errors)} errors."
    )
    if report.files == 0 and report.errors:
        raise SystemExit(1)


def register(main: click.Group) -> None:
    main.add_command(fetch_cmd)
    main.add_command(import_cmd)
