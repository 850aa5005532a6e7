"""Copy a whole Storyline database into an empty one (SQLite → PostgreSQL, or back).

The move from the embedded default to PostgreSQL keeps everything a user has: feeds,
articles, vectors, stories, storylines, pages, accounts, read state and mutes. Both
databases must be at this version's schema (``storyline db migrate``); the target must be
empty of data. The source is read in one snapshot and the target written in one
transaction, so a failed copy leaves the target as empty as it was and can simply be run
again. Two things are not copied: worker heartbeats and the sweep's message marks, which
describe the source's workers and broker, not its data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, Connection, Engine, Table, bindparam, func, select, text

from storyline.storage.db import DatabaseError, current_revision, ensure_schema, head_revision
from storyline.storage.schema import metadata

__all__ = ["CopyResult", "copy_database"]

BATCH = 500
# Operational state of the source's workers and broker: meaningless on another database.
SKIPPED = frozenset({"worker_heartbeats", "work_marks"})


@dataclass
class CopyResult:
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows copied

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _tables() -> list[Table]:
    return [t for t in metadata.sorted_tables if t.name not in SKIPPED]


def _self_references(table: Table) -> list[Column[Any]]:
    """Columns that point at their own table (filled in after every row exists)."""
    return [c for c in table.columns
            if any(fk.column.table is table for fk in c.foreign_keys)]


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only connection that sees one consistent state of the whole database."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            # pysqlite starts transactions only before writes; a read transaction in WAL
            # mode is a snapshot from its first read on.
            conn.exec_driver_sql("BEGIN")
            try:
                yield conn
            finally:
                conn.rollback()
    else:
        snapshot = engine.connect().execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with snapshot as conn, conn.begin():
            yield conn


def _check_source(source: Engine) -> None:
    head = head_revision()
    have = current_revision(source)
    if have is None:
        raise DatabaseError("the source is not a Storyline database (no schema version)")
    if have != head:
        raise DatabaseError(
            f"the source's schema is at revision {have}, this version needs {head}: run "
            "`storyline --db SOURCE db migrate` on it first")


def _existing_rows(conn: Connection) -> dict[str, int]:
    counts = {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
              for t in _tables()}
    return {name: n for name, n in counts.items() if n}


def _reset_sequences(conn: Connection) -> None:
    """PostgreSQL: serial counters continue after the copied ids, so new rows do not
    collide with them (SQLite's INTEGER PRIMARY KEY needs nothing)."""
    if conn.dialect.name != "postgresql":
        return
    for table in _tables():
        col = table.autoincrement_column
        if col is None:
            continue
        seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                           {"t": table.name, "c": col.name}).scalar_one()
        if seq is None:
            continue
        top = conn.execute(select(func.max(col))).scalar_one()
        conn.execute(text("SELECT setval(:s, :v, :called)"),
                     {"s": seq, "v": top or 1, "called": top is not None})


def copy_database(source: Engine, target: Engine, *,
                  on_rows: Callable[[str, int], None] | None = None) -> CopyResult:
    """Copy every table of ``source`` into the empty ``target``; returns rows per table.
    ``on_rows(table, n)`` is called after each batch (for a progress bar)."""
    if source.url == target.url:
        raise DatabaseError("the source and the target are the same database")
    _check_source(source)
    ensure_schema(target)  # creates a brand-new target, refuses an old or foreign one
    result = CopyResult()
    with _snapshot(source) as src, target.begin() as dst:
        present = _existing_rows(dst)
        if present:
            listed = ", ".join(f"{name} {n}" for name, n in sorted(present.items())[:4])
            raise DatabaseError(
                f"the target database already holds data ({listed}); copy needs an empty "
                "one: create a new database and run `storyline db migrate` on it")
        for table in _tables():
            later = _self_references(table)
            pk = list(table.primary_key.columns)
            links: list[dict[str, Any]] = []
            copied = 0
            rows = src.execution_options(yield_per=BATCH).execute(
                select(table).order_by(*pk))
            for part in rows.partitions():
                batch = [dict(r._mapping) for r in part]
                if later:
                    for row in batch:
                        refs = {f"v_{c.name}": row[c.name] for c in later}
                        if any(v is not None for v in refs.values()):
                            links.append({**{f"pk_{c.name}": row[c.name] for c in pk}, **refs})
                            row.update(dict.fromkeys(c.name for c in later))
                dst.execute(table.insert(), batch)
                copied += len(batch)
                if on_rows is not None:
                    on_rows(table.name, len(batch))
            for i in range(0, len(links), BATCH):
                _fill_links(dst, table, pk, later, links[i:i + BATCH])
            result.rows[table.name] = copied
        _reset_sequences(dst)
    return result


def _fill_links(conn: Connection, table: Table, pk: list[Column[Any]],
                refs: list[Column[Any]], rows: list[dict[str, Any]]) -> None:
    where = [c == bindparam(f"pk_{c.name}") for c in pk]
    by_name: dict[str, Any] = {c.name: bindparam(f"v_{c.name}") for c in refs}
    conn.execute(table.update().where(*where).values(by_name), rows)


def count_rows(engine: Engine) -> int:
    """Rows a copy of ``engine`` would move (the progress bar's total)."""
    _check_source(engine)
    with _snapshot(engine) as conn:
        return sum(conn.execute(select(func.count()).select_from(t)).scalar_one()
                   for t in _tables())
