"""`storyline cluster` and `storyline write`: the story stages, over the run's pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from storyline.cli.common import AppContext, UserError, pass_app, progress_bar
from storyline.text.wording import plural

if TYPE_CHECKING:
    from storyline.cluster.service import ClusterReport


def run_cluster(app: AppContext) -> str:
    """Cluster pending articles with a progress bar; returns the summary line."""
    from storyline.cluster.model import ModelError

    with progress_bar("Clustering", None) as bar:
        task = bar.tasks[0].id

        def on_progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            report = app.pipeline.cluster(on_progress)
        except ModelError as exc:
            raise UserError(str(exc)) from None
    return cluster_line(report)


def cluster_line(report: ClusterReport) -> str:
    return (f"Clustered {plural(report.articles, 'article')}: "
            f"{plural(report.new_stories, 'new story', 'new stories')}, "
            f"{report.joined} joined existing stories, {report.duplicates_joined} duplicates "
            f"joined their original's story, {report.merged} stories merged, "
            f"{report.split} articles split off ({report.vectors_computed} articles "
            f"embedded).")


@click.command("cluster")
@pass_app
def cluster_cmd(app: AppContext) -> None:
    """Assign every article not yet in a story to a story (idempotent).

    Articles are taken in publication order; each joins the most similar recent story
    when the learned pair model says it reports the same event (dense similarity,
    TF-IDF, named entities, numbers, time), or starts a new one. Near-duplicates join
    their original's story. Storylines and sub-stories of changed stories are refreshed.
    """
    click.echo(run_cluster(app))


def run_write(app: AppContext, everything: bool = False,
              story_ids: list[int] | None = None) -> str:
    """Write the stale stories (or every one, or ``story_ids``) with a progress bar;
    returns the summary line."""
    pipeline = app.pipeline
    pipeline.writer  # noqa: B018 - a misconfigured writer fails before the progress bar
    with progress_bar("Writing", None) as bar:
        task = bar.tasks[0].id

        def on_progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = pipeline.write(everything=everything, story_ids=story_ids,
                                progress=on_progress)
    return (f"Wrote {plural(report.written, 'story', 'stories')}: "
            f"{report.supported}/{report.sentences} summary "
            f"sentences supported by their cited sources "
            f"({100 * report.support_rate:.1f}%); unsupported ones were dropped.")


@click.command("write")
@click.option("--all", "everything", is_flag=True,
              help="Rewrite every story, not only those whose articles changed.")
@pass_app
def write_cmd(app: AppContext, everything: bool) -> None:
    """Write the summary of every story whose articles changed (idempotent).

    The extractive writer picks central source sentences, groups them into titled
    sections, cites every source that supports each sentence and verifies each one
    (numbers, names and dates must appear in the cited sources); it also builds the
    dated timeline, including earlier stories of the storyline.
    """
    click.echo(run_write(app, everything))


def finish_pending(app: AppContext) -> None:
    """After `fetch` or `import`: cluster the articles in no story and rewrite the stale
    stories, whatever run left them (one line per stage that had work)."""
    pipeline = app.pipeline
    pipeline.writer  # noqa: B018 - a misconfigured writer is an error before any work
    if pipeline.cluster_pending():
        click.echo(run_cluster(app))
    todo = pipeline.stale_stories()
    if todo:
        click.echo(run_write(app, story_ids=todo))


def register(main: click.Group) -> None:
    main.add_command(cluster_cmd)
    main.add_command(write_cmd)
