"""The layering rules that import-linter cannot see: only ``storyline.storage`` executes SQL
or builds SQL statements, and the package root stays small.

import-linter (``make lint``, contracts in pyproject.toml) checks the import graph: stages
import only earlier layers, ``write`` never imports ``web``, nothing outside storage imports
the schema. This test reads every module's syntax tree for the rest.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "storyline"
# sqlalchemy names that build statements; Connection/Engine as types are fine anywhere.
STATEMENT_BUILDERS = {
    "select", "insert", "update", "delete", "text", "func", "and_", "or_", "not_", "case",
    "literal", "literal_column", "bindparam", "union", "union_all", "exists", "tuple_",
    "column", "table", "desc", "asc", "distinct", "null", "true", "false", "cast",
}
ROOT_MODULES_MAX = 5  # models, settings, pipeline, worker, rank (besides __init__/__main__)


def _modules_outside_storage() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py")
                  if "storage" not in p.relative_to(PACKAGE).parts)


def _sql_uses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    where = path.relative_to(PACKAGE.parent)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in {"execute", "exec_driver_sql", "executemany"}:
            found.append(f"{where}:{node.lineno}: .{node.func.attr}(")
        elif isinstance(node, ast.ImportFrom) and node.module \
                and node.module.split(".")[0] == "sqlalchemy":
            builders = sorted({a.name for a in node.names} & STATEMENT_BUILDERS)
            if builders:
                found.append(f"{where}:{node.lineno}: from {node.module} import "
                             f"{', '.join(builders)}")
    return found


def test_rule_catches_sql() -> None:
    """The checker itself: a module that builds and runs a statement is caught."""
    probe = PACKAGE.parent / "tests" / "_layers_probe.py"
    probe.write_text("from sqlalchemy import select, Connection\n"
                     "def f(conn: Connection):\n    return conn.execute(select(1))\n")
    try:
        assert _sql_uses(probe) == ["tests/_layers_probe.py:1: from sqlalchemy import select",
                                    "tests/_layers_probe.py:3: .execute("]
    finally:
        probe.unlink()


def test_only_storage_executes_sql() -> None:
    offenders = [use for path in _modules_outside_storage() for use in _sql_uses(path)]
    assert offenders == [], "SQL outside storyline/storage:\n" + "\n".join(offenders)


def test_package_root_is_small() -> None:
    root = sorted(p.name for p in PACKAGE.glob("*.py")
                  if p.name not in {"__init__.py", "__main__.py"})
    assert len(root) <= ROOT_MODULES_MAX, root
    assert set(root) <= {"models.py", "settings.py", "pipeline.py", "worker.py", "rank.py"}
