"""Test fixtures: a temporary database per test (SQLite file, or PostgreSQL with
``--backend postgresql``), settings, the CLI, and the loopback HTTP server; and the hooks
that skip the tests needing ``../shared`` when it is absent (see ``tests/helpers.py``)."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from storyline.pipeline import Models
from storyline.settings import Settings, load_settings
from tests.helpers import MISSING_SHARED, SHARED, Cli, require_shared, shared_present

pytest_plugins = ["tests.fixtures_http", "tests.redis_server"]


def _one_core_per_worker() -> None:
    """Under pytest-xdist, each worker keeps to one core: the encoder (and spaCy, torch,
    ONNX Runtime, and the subprocesses a test starts) then run one thread per worker
    instead of one per core in every worker, which oversubscribed the machine."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or not hasattr(os, "sched_setaffinity"):
        return
    cores = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cores[int(worker[2:]) % len(cores)]})


_one_core_per_worker()

# Fixtures that make a test a database test (the PostgreSQL run runs only these).
DB_FIXTURES = {"db_url", "engine", "cli"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--backend", choices=["sqlite", "postgresql"], default="sqlite",
                     help="Database for the database tests (postgresql starts a private "
                          "throwaway server).")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "needs_shared(gate=None): reads ../shared (skipped without it); gate "
                   "names the quality gate the test is")
    if os.environ.get("STORYLINE_REQUIRE_SHARED") == "1" and not shared_present():
        pytest.exit(f"{MISSING_SHARED} (seeds, data/eval, data/extraction-benchmark), and "
                    "STORYLINE_REQUIRE_SHARED=1 says the run needs it", 2)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked ``needs_shared`` is skipped without ../shared; a quality gate's name
    is kept on its report for the summary line."""
    mark = item.get_closest_marker("needs_shared")
    if mark is not None:
        if mark.kwargs.get("gate"):
            item.user_properties.append(("quality_gate", mark.kwargs["gate"]))
        require_shared()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[
        None, pytest.TestReport, pytest.TestReport]:
    """Every skip for want of ../shared points at require_shared(), so the `-ra` summary
    folds them into one line instead of one per test."""
    report = yield
    if (report.skipped and isinstance(report.longrepr, tuple)
            and MISSING_SHARED in str(report.longrepr[2])):
        code = require_shared.__code__
        report.longrepr = (code.co_filename, code.co_firstlineno, report.longrepr[2])
    return report


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The long tests (marked slow) start first, so the short ones fill in beside them
    # instead of one worker finishing a long test alone at the end of the run.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
    if config.getoption("--backend") != "postgresql":
        return
    keep, drop = [], []
    for item in items:
        (keep if DB_FIXTURES & set(getattr(item, "fixturenames", ()))
         else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line when tests were skipped for want of ../shared: how many, which quality
    gates did not run, and why."""
    skipped = [r for r in terminalreporter.stats.get("skipped", [])
               if isinstance(r.longrepr, tuple) and MISSING_SHARED in str(r.longrepr[2])]
    if not skipped:
        return
    gates = sorted({str(v) for r in skipped for k, v in r.user_properties
                    if k == "quality_gate"})
    terminalreporter.write_line(
        f"storyline: {len(skipped)} tests skipped: their test data, {SHARED}, is missing "
        f"(put it beside the checkout or set STORYLINE_SHARED_DIR); quality gates not run: "
        f"{', '.join(gates) or 'none'}", yellow=True, bold=True)


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


@pytest.fixture(scope="session")
def models() -> Models:
    """One set of models per test process: the encoder and taggers load once."""
    return Models()


@pytest.fixture
def cli(db_url: str, tmp_path: Path, models: Models) -> Cli:
    return Cli(db_url, tmp_path, models)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
