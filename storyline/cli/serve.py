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


@click.command("serve")
@click.option("--host", metavar="ADDRESS", help="Address to listen on (default: the "
              "web_host setting, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port to listen on (default: "
              "the web_port setting, 8000; 0 picks a free one).")
@click.option("--no-worker", is_flag=True,
              help="Only serve; do not run the background worker (fetch → cluster → write).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Web server processes, each with its own page cache: on a machine with "
                   "spare cores, 2 or more serve more requests per second.")
@pass_app
def serve_cmd(app: AppContext, host: str | None, port: int | None, no_worker: bool,
              workers: int) -> None:
    """Serve the web reader, its JSON API (/api/docs) and Atom feeds.

    Unless --no-worker, a background worker fetches due feeds, extracts, clusters and
    writes stories every worker_interval seconds, so the pages stay current. Write
    actions (adding or removing feeds) need the admin_token setting. Ctrl-C stops both.
    """
    import uvicorn

    from storyline.storage.db import resolve_url
    from storyline.web import create_app

    settings = app.settings
    engine = app.engine  # refuses an old schema with a message naming `storyline db migrate`
    sock = bind_socket(host or settings.web_host, settings.web_port if port is None else port)

    stop = threading.Event()
    worker_thread: threading.Thread | None = None
    if not no_worker:
        from storyline.worker import Worker

        worker = Worker(settings, engine)  # logs one line per cycle to stderr
        worker_thread = threading.Thread(target=worker.run_forever, args=(stop,),
                                         name="storyline-worker", daemon=True)

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
    click.echo(f"Storyline is serving at {url_of(sock)}"
               + (f" with {workers} server processes" if workers > 1 else "")
               + ("" if no_worker else
                  f" (worker every {settings.worker_interval} s)")
               + "; press Ctrl-C to stop.")
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        if worker_thread is not None:
            worker_thread.start()
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
        if workers == 1:
            web.state.reader.cache.close()
        engine.dispose()
    click.echo("Stopped.")


def register(main: click.Group) -> None:
    main.add_command(serve_cmd)
