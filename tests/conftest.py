"""Test fixtures: a temporary database per test (SQLite file, or PostgreSQL with
``--backend postgresql``), settings, the CLI, and the loopback HTTP server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from storyline.settings import Settings, load_settings

pytest_plugins = ["tests.fixtures_http"]

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
EVAL = SHARED / "data" / "eval"
BENCH = SHARED / "data" / "extraction-benchmark"

# Fixtures that make a test a database test (the PostgreSQL run runs only these).
DB_FIXTURES = {"db_url", "engine", "cli"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--backend", choices=["sqlite", "postgresql"], default="sqlite",
                     help="Database for the database tests (postgresql starts a private "
                          "throwaway server).")


def pytest_configure(config: pytest.Config) -> None:
    if not (SEEDS.is_dir() and EVAL.is_dir() and BENCH.is_dir()):
        pytest.exit(f"test data not found: the tests read {SHARED} (seeds, data/eval, "
                    "data/extraction-benchmark), which must sit beside the checkout", 2)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--backend") != "postgresql":
        return
    keep, drop = [], []
    for item in items:
        (keep if DB_FIXTURES & set(getattr(item, "fixturenames", ()))
         else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--backend"))


@pytest.fixture(scope="session")
def pg_server(backend: str) -> Iterator[object]:
    if backend != "postgresql":
        yield None
        return
    from tests.pg import PostgresServer

    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def db_url(backend: str, pg_server: object, tmp_path: Path) -> str:
    if backend == "postgresql":
        return pg_server.new_database()  # type: ignore[attr-defined]
    return f"sqlite:///{tmp_path / 'storyline.db'}"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(env={
        "STORYLINE_DATA_DIR": str(tmp_path / "data"),
        "STORYLINE_ALLOW_PRIVATE_FEEDS": "true",
        "STORYLINE_FETCH_TIMEOUT": "5",
        "STORYLINE_CONFIG": "",
    })


@pytest.fixture
def engine(db_url: str, settings: Settings):  # type: ignore[no-untyped-def]
    from storyline.storage import open_database

    eng = open_database(settings, db_url)
    yield eng
    eng.dispose()


class Cli:
    """Runs the real `storyline` CLI in-process against the test database."""

    def __init__(self, db_url: str, tmp_path: Path) -> None:
        self.db_url = db_url
        self.env = {
            "STORYLINE_DATA_DIR": str(tmp_path / "data"),
            "STORYLINE_ALLOW_PRIVATE_FEEDS": "true",
            "STORYLINE_FETCH_TIMEOUT": "5",
            "STORYLINE_CONFIG": "",
            "STORYLINE_DATABASE_URL": "",
            "STORYLINE_CLUSTER_AFTER_FETCH": "false",
        }

    def __call__(self, *args: str, ok: bool = True, env: dict[str, str] | None = None) -> Result:
        from storyline.cli import main

        runner = CliRunner()
        result = runner.invoke(main, ["--db", self.db_url, *args],
                               env={**self.env, **(env or {})}, catch_exceptions=True)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        if ok:
            assert result.exit_code == 0, f"exit {result.exit_code}: {result.output}"
        return result


@pytest.fixture
def cli(db_url: str, tmp_path: Path) -> Cli:
    return Cli(db_url, tmp_path)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
