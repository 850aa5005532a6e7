"""`storyline import`: local articles (HTML, plain text, JSONL), then the pending work."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

from storyline.cli.cluster import finish_pending
from storyline.cli.common import AppContext, UserError, pass_app, progress_bar
from storyline.text.dates import parse_datetime
from storyline.text.wording import plural

SAMPLE_FILE = "ecbplus-dev.jsonl.gz"


def sample_corpus_path() -> Path:
    """The bundled sample corpus (ECB+ topics 1-22, CC BY 3.0; see data/sample/NOTICE.md)."""
    return Path(str(resources.files("storyline") / "data" / "sample" / SAMPLE_FILE))


@click.command("import")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), metavar="PATH...")
@click.option("--sample", is_flag=True,
              help="Import the bundled sample corpus (ECB+ news topics, CC BY 3.0).")
@click.option("--outlet", help="Outlet name for the imported plain-text or HTML files.")
@click.option("--url", help="Original URL of the (single) imported file.")
@click.option("--published", metavar="DATE",
              help="Publication date/time of the imported files, e.g. 2026-02-18T09:30Z.")
@click.option("--cluster/--no-cluster", default=None,
              help="Cluster the articles in no story and rewrite the stories that changed "
                   "afterwards (default: the cluster_after_fetch setting, on).")
@click.option("--follow-links", is_flag=True,
              help="Follow symbolic links inside the folders given (still only to regular "
                   "files); by default each link is skipped with a message.")
@pass_app
def import_cmd(app: AppContext, paths: tuple[Path, ...], sample: bool, outlet: str | None,
               url: str | None, published: str | None, cluster: bool | None,
               follow_links: bool) -> None:
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
    pipeline = app.pipeline
    with progress_bar("Importing", None) as bar:
        task = bar.tasks[0].id

        def on_progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = pipeline.import_paths(targets, outlet=outlet, url=url, published=when,
                                       progress=on_progress, follow_links=follow_links)
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
    if cluster is None:
        cluster = app.settings.cluster_after_fetch
    if cluster:
        finish_pending(app)


def register(main: click.Group) -> None:
    main.add_command(import_cmd)
