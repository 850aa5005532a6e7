"""`storyline worker`: the pipeline on a schedule."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import click

from storyline.cli.common import AppContext, UserError, pass_app


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


QUEUE_NAMES = ("poll", "extract", "embed", "cluster", "storylines", "write")


@click.command("worker")
@click.option("--once", is_flag=True,
              help="Run one cycle and exit (status 1 if a stage failed), e.g. from cron.")
@click.option("--interval", type=click.IntRange(min=1), metavar="SECONDS",
              help="Seconds between cycles (default: the worker_interval setting, 300).")
@click.option("--queues", metavar="LIST",
              help="Distributed worker: the stage queues to take, comma-separated "
                   f"({', '.join(QUEUE_NAMES)}; default: the worker_queues setting).")
@click.option("--concurrency", type=click.IntRange(1, 256), metavar="N",
              help="Distributed worker: tasks at once (default: worker_concurrency, 1).")
@click.option("--pool", type=click.Choice(["prefork", "threads", "solo"]),
              help="Distributed worker: Celery pool (default: the worker_pool setting).")
@click.option("--beat", is_flag=True,
              help="Run the beat: the periodic sweep that polls due feeds and re-sends "
                   "pending work no message covers (with --queues: beside that worker).")
@click.option("--name", metavar="NAME", help="Distributed worker: its name in "
              "`storyline status` (default: storyline-QUEUES@HOST).")
@click.option("--in-process", "in_process", is_flag=True,
              help="The in-process worker even when a broker is configured.")
@pass_app
def worker_cmd(app: AppContext, once: bool, interval: int | None, queues: str | None,
               concurrency: int | None, pool: str | None, beat: bool, name: str | None,
               in_process: bool) -> None:
    """Keep the database current: fetch due feeds, extract, cluster, write.

    \b
    In-process (the default; SQLite, or no broker configured): each cycle fetches
    the feeds that are due (and each new article's page), clusters the new articles
    into stories and rewrites the summaries of the stories that changed, then prints
    one line: feeds checked, new articles, stories touched, summaries written,
    errors, duration. A failing feed or stage is one line on stderr and the next
    cycle runs. One cycle at a time per database: a second worker on the same
    database skips its cycles while another runs. `storyline serve` runs the same
    worker beside the web reader. Ctrl-C stops after the current stage.

    \b
    Distributed (PostgreSQL and a Redis broker, `broker_url`; with --queues or
    --beat, or whenever a broker is configured): a Celery worker taking the stage
    queues it is told, e.g. `storyline worker --queues embed --concurrency 2` on a
    GPU machine and `storyline worker --queues poll,extract` on small ones, and one
    `storyline worker --beat`. See docs/deploy.md.
    """
    settings = app.settings
    engine = app.engine
    distributed = bool(queues or beat or concurrency or pool or name) or (
        bool(settings.broker_url) and engine.dialect.name == "postgresql" and not in_process)
    if distributed and not in_process:
        if once or interval:
            raise UserError("--once and --interval are options of the in-process worker")
        _distributed(app, queues, concurrency, pool, beat, name)
        return
    from storyline.worker import Worker

    if interval is not None:
        settings = settings.replace(worker_interval=interval)
    pipeline = app.pipeline
    pipeline.writer  # noqa: B018 - a misconfigured writer is one line now, not one per cycle
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


def _distributed(app: AppContext, queues: str | None, concurrency: int | None,
                 pool: str | None, beat: bool, name: str | None) -> None:
    from storyline.distributed.service import DistributedWorker

    settings = app.settings
    engine = app.engine
    if engine.dialect.name != "postgresql":
        raise UserError("the distributed workers need PostgreSQL as their database "
                        f"(this is {engine.dialect.name}); `storyline worker --in-process` "
                        "runs the pipeline in this process")
    if not settings.broker_url:
        raise UserError("the distributed workers need a Redis broker: set "
                        "STORYLINE_BROKER_URL (e.g. redis://127.0.0.1:6379/0)")
    wanted: list[str] = []
    if queues or not beat:
        raw = queues if queues is not None else settings.worker_queues
        wanted = [q.strip() for q in raw.split(",") if q.strip()]
        unknown = [q for q in wanted if q not in QUEUE_NAMES]
        if unknown or not wanted:
            raise UserError(f"unknown queue {', '.join(unknown) or repr(raw)}: the queues "
                            f"are {', '.join(QUEUE_NAMES)}")
    settings = settings.replace(database_url=engine.url.render_as_string(hide_password=False))
    worker = DistributedWorker(settings, queues=wanted,
                               concurrency=concurrency or settings.worker_concurrency,
                               pool=pool or settings.worker_pool, beat=beat, name=name,
                               log=lambda line: click.echo(line, err=True))
    engine.dispose()  # the worker's processes open their own connections
    sys.exit(worker.run())


def register(main: click.Group) -> None:
    main.add_command(worker_cmd)
