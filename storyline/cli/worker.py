"""`storyline worker`: the pipeline on a schedule."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import click

from storyline.cli.common import AppContext, pass_app


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

    settings = app.settings
    if interval is not None:
        settings = settings.replace(worker_interval=interval)
    pipeline = app.pipeline
    pipeline.writer  # noqa: B018 - a misconfigured writer is one line now, not one per cycle
    engine = app.engine
    worker = Worker(settings, engine, log=lambda line: click.echo(line, err=True),
                    on_cycle=lambda report: click.echo(report.line()), pipeline=pipeline)
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


def register(main: click.Group) -> None:
    main.add_command(worker_cmd)
