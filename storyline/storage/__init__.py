"""Storage layer: one module per entity, explicit query functions, caller-owned
transactions. SQLite and PostgreSQL share the same code."""

from storyline.storage.db import (
    DatabaseError,
    current_revision,
    ensure_schema,
    head_revision,
    make_engine,
    migrate,
    open_database,
    resolve_url,
)

__all__ = [
    "DatabaseError",
    "current_revision",
    "ensure_schema",
    "head_revision",
    "make_engine",
    "migrate",
    "open_database",
    "resolve_url",
]
