"""Engines, connections and migrations. SQLite (default, WAL) and PostgreSQL share code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from storyline.settings import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class DatabaseError(RuntimeError):
    """A database problem worth one clear line to the user."""


def resolve_url(settings: Settings, override: str | None = None) -> str:
    """The SQLAlchemy URL to use: ``--db`` beats the setting beats the default file."""
    raw = override or settings.database_url
    if not raw:
        return f"sqlite:///{settings.data_path / 'storyline.db'}"
    if "://" not in raw:
        return f"sqlite:///{Path(raw).expanduser().resolve()}"
    if raw.startswith("postgresql://") or raw.startswith("postgres://"):
        raw = "postgresql+psycopg://" + raw.split("://", 1)[1]
    return raw


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str, *, create_folder: bool = True) -> Engine:
    """An engine for ``url``. A SQLite file's folder is created when ``create_folder``
    (the default data directory); else a missing folder is a DatabaseError (a path the
    user gave with a typo must not grow a new tree and an empty database)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(f"not a database URL: {url!r}") from None
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path is not None and not path.parent.is_dir():
            if not create_folder:
                raise DatabaseError(f"cannot open database {path}: the folder "
                                    f"{path.parent} does not exist")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(f"cannot create the folder {path.parent}: "
                                    f"{exc.strerror or exc}") from None
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True)
    except Exception as exc:  # missing driver, bad URL parts
        raise DatabaseError(f"cannot use database {parsed.render_as_string()}: {exc}") from None


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Upgrade to ``revision``; returns (before, after)."""
    before = current_revision(engine)
    cfg = _alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return before, current_revision(engine) or ""


def ensure_schema(engine: Engine, *, auto_create: bool = True) -> None:
    """Create a brand-new database; refuse an old schema with a message naming the fix."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    if current is None:
        has_tables = bool(inspect(engine).get_table_names())
        if auto_create and not has_tables:
            migrate(engine)
            return
        raise DatabaseError(
            "this database was not created by Storyline (no schema version); "
            "point --db at an empty or Storyline database"
        )
    raise DatabaseError(
        f"database schema is at revision {current}, this version needs {head}: "
        "run `storyline db migrate`"
    )


def engine_for(settings: Settings, override: str | None = None) -> Engine:
    """An engine for the configured database (schema not checked); only the default
    location's folder is created."""
    return make_engine(resolve_url(settings, override),
                       create_folder=not (override or settings.database_url))


def open_database(settings: Settings, override: str | None = None) -> Engine:
    """Engine for the configured database, schema checked (new files are initialised)."""
    url = resolve_url(settings, override)
    engine = engine_for(settings, override)
    try:
        ensure_schema(engine)
    except DatabaseError:
        engine.dispose()
        raise
    except Exception as exc:
        engine.dispose()
        raise DatabaseError(f"cannot open database {make_url(url).render_as_string()}: "
                            f"{str(exc).splitlines()[0]}") from None
    return engine


def ping(engine: Engine) -> None:
    """Raise the driver's error when the database does not answer a trivial query."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
