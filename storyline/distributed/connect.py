"""Waiting for PostgreSQL and Redis: one clear line when either does not answer, and
retries with exponential backoff instead of dying."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy.engine import make_url

from storyline.settings import Settings, mask_url_password
from storyline.storage.db import engine_for, ping, resolve_url

__all__ = ["broker_error", "database_error", "wait_for_services"]

BACKOFF_MAX_S = 60.0


def _first_line(exc: BaseException) -> str:
    for line in str(exc).strip().splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__


def database_error(settings: Settings) -> str | None:
    """None when the database answers, else one line saying which and why."""
    url = resolve_url(settings)
    try:
        engine = engine_for(settings)
    except Exception as exc:
        return f"cannot use the database {mask_url_password(url)}: {_first_line(exc)}"
    try:
        ping(engine)
        return None
    except Exception as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        cause = _first_line(getattr(exc, "orig", None) or exc)
        return f"PostgreSQL does not answer at {shown}: {cause}"
    finally:
        engine.dispose()


def broker_error(settings: Settings) -> str | None:
    """None when the broker answers, else one line saying which and why."""
    from kombu import Connection

    try:
        with Connection(settings.broker_url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=0, timeout=3)
        return None
    except Exception as exc:
        return f"Redis does not answer at {mask_url_password(settings.broker_url)}: " \
               f"{_first_line(exc)}"


def wait_for_services(settings: Settings, log: Callable[[str], None], *,
                      stop: threading.Event | None = None, database: bool = True,
                      broker: bool = True) -> bool:
    """Return once the database and the broker answer (True), retrying with backoff
    (1, 2, 4 … 60 s) and logging one line per failed try; False if ``stop`` was set."""
    delay = 1.0
    stop = stop or threading.Event()
    while not stop.is_set():
        problem = (database_error(settings) if database else None) or \
                  (broker_error(settings) if broker else None)
        if problem is None:
            return True
        log(f"{problem}; retrying in {delay:.0f} s")
        if stop.wait(delay):
            break
        delay = min(BACKOFF_MAX_S, delay * 2)
    return False
