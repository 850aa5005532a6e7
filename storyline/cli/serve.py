"""`storyline serve`: the web reader (and, unless --no-worker, the background worker)."""

from __future__ import annotations

import os
import signal
import socket
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import click

from storyline.cli.common import AppContext, UserError, pass_app


class _Terminate(Exception):
    """SIGTERM, turned into a clean shutdown."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminate


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or a one-line error (port in use, bad address)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def default_workers() -> int:
    """One server process per usable CPU core, at most 2 (measured on 2 cores: the second
    process adds about half again as many requests per second)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(2, cores))


def store_pages(engine: Any, stop: threading.Event) -> None:
    from storyline.write.page import render_missing

    try:
        done = render_missing(engine, pause=0.05, stop=stop.is_set)
    except Exception as exc:  # the pages still render on request
        click.echo(f"Storing rendered story pages failed: {exc}", err=True)
        return
    if done:
        click.echo(f"Stored the rendered pages of {done} stories.", err=True)


@click.command("serve")
@click.option("--host", metavar="ADDRESS", help="Address to listen on (default: the "
              "web_host setting, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port to listen on (default: "
              "the web_port setting, 8000; 0 picks a free one).")
@click.option("--no-worker", is_flag=True,
              help="Only serve; do not run the background worker (fetch → cluster → write).")
@click.option("--workers", type=click.IntRange(1, 64),
              help="Web server processes, each with its own page cache (default: the "
                   "web_workers setting; 0 there means one per CPU core, at most 2).")
@pass_app
def serve_cmd(app: AppContext, host: str | None, port: int | None, no_worker: bool,
              workers: int | None) -> None:
    """Serve the web reader, its JSON API (/api/docs) and Atom feeds.

    Unless --no-worker, a background worker fetches due feeds, extracts, clusters and
    writes stories every worker_interval seconds, so the pages stay current. Write
    actions (adding or removing feeds) need the admin_token setting. Ctrl-C stops both.
    """
    import uvicorn

    from storyline.storage.db import resolve_url
    from storyline.web import create_app
    from storyline.web.app import tune_gc

    settings = app.settings
    if workers is None:
        workers = settings.web_workers if settings.web_workers > 0 else default_workers()
    engine = app.engine  # refuses an old schema with a message naming `storyline db migrate`
    sock = bind_socket(host or settings.web_host, settings.web_port if port is None else port)

    stop = threading.Event()
    worker_thread: threading.Thread | None = None
    pages_thread: threading.Thread | None = None
    if not no_worker:
        from storyline.worker import Worker

        # logs one line per cycle to stderr
        worker = Worker(settings, engine, pipeline=app.pipeline)
        worker_thread = threading.Thread(target=worker.run_forever, args=(stop,),
                                         name="storyline-worker", daemon=True)
        # Story pages stored by another version, or before they were stored at all, are
        # rendered again in the background (the pages are served meanwhile, rendered on
        # request); only where the worker runs, the one process that writes.
        pages_thread = threading.Thread(target=store_pages, args=(engine, stop),
                                        name="storyline-pages", daemon=True)

    options: dict[str, Any] = dict(log_level="warning", access_log=False, lifespan="off",
                                   server_header=False, timeout_graceful_shutdown=5)
    if workers > 1:
        # Server processes build their own app from the environment: same database and
        # config file as this command.
        os.environ["STORYLINE_DATABASE_URL"] = resolve_url(settings, app.db_override)
        if app.config_file:
            os.environ["STORYLINE_CONFIG"] = str(Path(app.config_file).resolve())
        config = uvicorn.Config("storyline.web.app:app_from_env", factory=True,
                                workers=workers, **options)
    else:
        web = create_app(settings, engine)
        config = uvicorn.Config(web, **options)
        tune_gc()
    click.echo(f"Storyline is serving at {url_of(sock)}"
               + (f" with {workers} server processes" if workers > 1 else "")
               + ("" if no_worker else
                  f" (worker every {settings.worker_interval} s)")
               + "; press Ctrl-C to stop.")
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        if worker_thread is not None:
            worker_thread.start()
        if pages_thread is not None:
            pages_thread.start()
        if workers > 1:
            from uvicorn.supervisors import Multiprocess

            Multiprocess(config, sockets=[sock]).run()  # handles SIGINT/SIGTERM itself
        else:
            uvicorn.Server(config).run(sockets=[sock])
    except (KeyboardInterrupt, _Terminate):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop.set()
        sock.close()
        if worker_thread is not None and worker_thread.is_alive():
            worker_thread.join(timeout=0.5)
            if worker_thread.is_alive():
                click.echo("Waiting for the worker to finish its current stage…", err=True)
                worker_thread.join(timeout=30)
        if pages_thread is not None and pages_thread.is_alive():
            pages_thread.join(timeout=10)
        if workers == 1:
            web.state.reader.visits.close()
            web.state.reader.cache.close()
        engine.dispose()
    click.echo("Stopped.")


def register(main: click.Group) -> None:
    main.add_command(serve_cmd)
