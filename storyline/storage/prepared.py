"""Statements for the queries a web request runs every time (a signed-in reader's
session, a story page's state and first visit): SQLAlchemy Core statements compiled once
per dialect and run on the connection's DBAPI cursor, with the columns' own bind and
result conversions applied, but none of SQLAlchemy's per-execution work (measured on
SQLite: that work cost several times the query itself). Both drivers keep the statement
prepared: sqlite3 caches it per connection by its text, psycopg prepares it on the server
after a few executions.

Only statements whose parameters are plain values (no ``IN`` lists) qualify. The caller
owns the connection and its transaction, as everywhere in the storage layer: a
``Prepared`` runs inside whatever transaction the SQLAlchemy ``Connection`` has."""

from __future__ import annotations

import threading
import weakref
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

_Processor = Callable[[Any], Any] | None


@dataclass(slots=True, frozen=True)
class _Plan:
    sql: str
    positional: tuple[str, ...] | None  # parameter names in order (qmark/numeric), else None
    defaults: Mapping[str, Any]  # values the statement carries itself (literals)
    binds: Mapping[str, Callable[[Any], Any]]  # name -> conversion to the driver's value
    results: tuple[_Processor, ...]  # per column: conversion of the driver's value
    row: Any  # a namedtuple of the selected columns' names


class Prepared:
    """One statement, compiled on first use for each dialect it runs on."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._plans: dict[str, _Plan] = {}
        self._lock = threading.Lock()

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            with self._lock:
                plan = self._plans.get(dialect.name) or self._compile(dialect)
                self._plans[dialect.name] = plan
        return plan

    def _compile(self, dialect: Dialect) -> _Plan:
        compiled = cast(SQLCompiler, self.statement.compile(dialect=dialect))
        sql = compiled.string
        inline = set()
        for bind in compiled.literal_execute_params:  # e.g. aggregate_strings' separator
            name = compiled.bind_names[bind]
            literal = bind.type.literal_processor(dialect)
            value = literal(bind.value) if literal else repr(bind.value)
            sql = sql.replace(f"__[POSTCOMPILE_{name}]", value)
            inline.add(name)
        if "POSTCOMPILE" in sql:
            raise ValueError("a prepared statement cannot take IN lists: "
                             f"{self.statement}")
        binds = {}
        defaults = {}
        for key, bind in compiled.binds.items():
            if key in inline:
                continue
            proc = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if proc is not None:
                binds[key] = proc
            if not bind.required:
                defaults[key] = bind.value
        positional = None
        if compiled.positiontup is not None:
            positional = tuple(k for k in compiled.positiontup if k not in inline)
        results: tuple[_Processor, ...] = ()
        names: list[str] = []
        selected = getattr(self.statement, "selected_columns", None)
        if selected is not None:
            results = tuple(col.type.dialect_impl(dialect).result_processor(dialect, None)
                            for col in selected)
            names = [str(col.key) for col in selected]
        return _Plan(sql, positional, defaults, binds, results,
                     namedtuple("Row", names, rename=True))  # type: ignore[misc]

    def _args(self, plan: _Plan, params: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        values = {**plan.defaults, **params} if plan.defaults else dict(params)
        for key, proc in plan.binds.items():
            if key in values:
                values[key] = proc(values[key])
        if plan.positional is not None:
            return [values[k] for k in plan.positional]
        return values

    def _cursor(self, conn: Connection, params: Mapping[str, Any]) -> tuple[Any, _Plan]:
        plan = self._plan(conn.dialect)
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        cursor = dbapi.cursor()
        try:
            cursor.execute(plan.sql, self._args(plan, params))
        except BaseException:
            cursor.close()
            raise
        return cursor, plan

    def _convert(self, plan: _Plan, row: Sequence[Any]) -> Any:
        return plan.row._make(proc(v) if proc is not None else v
                              for proc, v in zip(plan.results, row, strict=True))

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Any | None:
        """The first row (a named tuple, columns converted as SQLAlchemy would), or
        None."""
        cursor, plan = self._cursor(conn, params)
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        return None if row is None else self._convert(plan, row)

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[Any]:
        cursor, plan = self._cursor(conn, params)
        try:
            rows = cursor.fetchall()
        finally:
            cursor.close()
        return [self._convert(plan, r) for r in rows]

    def run(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Run a write; returns how many rows it changed."""
        cursor, _ = self._cursor(conn, params)
        try:
            return int(cursor.rowcount or 0)
        finally:
            cursor.close()


# --- connections kept per thread --------------------------------------------------------

_HELD: dict[int, dict[int, Connection]] = {}  # id(engine) -> thread id -> connection
_HELD_LOCK = threading.Lock()
_LISTENING: weakref.WeakSet[Engine] = weakref.WeakSet()  # engines with the dispose hook


def held_connection(engine: Engine) -> Connection:
    """A connection of ``engine`` kept for the calling thread, for lookups too short to
    be worth a pool checkout (a session on the event loop). The storage layer owns it:
    every one of the engine's is closed when the engine is disposed. The caller must not
    leave a transaction open on it; after an error it calls ``drop_held``."""
    thread = threading.get_ident()
    conns = _HELD.get(id(engine))
    conn = conns.get(thread) if conns is not None else None
    if conn is not None and conn.engine is engine:
        return conn
    with _HELD_LOCK:
        conns = _HELD.get(id(engine))
        if conns is None:
            conns = _HELD[id(engine)] = {}
            if engine not in _LISTENING:
                event.listen(engine, "engine_disposed", _close_held)
                _LISTENING.add(engine)
        conn = conns[thread] = engine.connect()
    return conn


def drop_held(engine: Engine) -> None:
    """Forget (and close, invalidated) the calling thread's kept connection."""
    with _HELD_LOCK:
        conn = _HELD.get(id(engine), {}).pop(threading.get_ident(), None)
    if conn is not None:
        conn.invalidate()
        conn.close()


def _close_held(engine: Engine) -> None:
    with _HELD_LOCK:
        conns = _HELD.pop(id(engine), {})
    for conn in conns.values():
        conn.close()
