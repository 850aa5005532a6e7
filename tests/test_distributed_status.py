"""The distributed pipeline's status and settings, on both databases: ``/api/status``
needs the admin token, ``storyline status`` reads the pending work, the broker URL's
password never shows, and the distributed worker refuses SQLite in one line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from storyline.settings import load_settings
from storyline.storage import work
from storyline.web import create_app
from tests.livefeed import add_feed


def test_api_status_needs_the_admin_token_and_counts_pending_work(
        engine: Engine, tmp_path: Path) -> None:
    settings = load_settings(env={"STORYLINE_DATA_DIR": str(tmp_path / "data"),
                                  "STORYLINE_CONFIG": "", "STORYLINE_ADMIN_TOKEN": "tok"})
    add_feed(engine, "http://127.0.0.1:9/a.rss")
    add_feed(engine, "http://127.0.0.1:9/b.rss")
    with engine.begin() as conn:
        ids = work.add_entries(conn, 1, "Outlet", [("id-1", {"url": "http://x/1"}),
                                                   ("id-2", {"url": "http://x/2"})],
                               datetime.now(UTC))
        again = work.add_entries(conn, 1, "Outlet", [("id-1", {"url": "http://x/1"})],
                                 datetime.now(UTC))
    assert len(ids) == 2 and again == ids[:1], "an entry already waiting is kept once"
    with TestClient(create_app(settings, engine)) as client:
        assert client.get("/api/status").status_code == 401
        assert client.get("/api/status", headers={"Authorization": "Bearer no"}
                          ).status_code == 403
        res = client.get("/api/status", headers={"Authorization": "Bearer tok"})
    assert res.status_code == 200
    body = res.json()
    assert body["queues"]["poll"]["pending"] == 2  # two new feeds are due
    assert body["queues"]["extract"]["pending"] == 2
    assert body["queues"]["extract"]["broker"] is None  # no broker configured
    assert body["clusterer"] == {"shard": "default", "epoch": 0, "owner": None,
                                 "checkpoint": 0, "ready": 0, "lag": 0}
    assert body["broker"] == {"url": None, "reachable": False}


def test_status_command_and_masked_broker_url(cli) -> None:  # type: ignore[no-untyped-def]
    env = {"STORYLINE_BROKER_URL": "redis://:hunter2@127.0.0.1:1/0"}
    shown = cli("config", "show", "--json", env=env).output
    assert "hunter2" not in shown
    assert json.loads(shown)["settings"]["broker_url"] == "redis://:****@127.0.0.1:1/0"
    out = cli("status", env=env).output
    assert "hunter2" not in out
    assert "broker: redis://:****@127.0.0.1:1/0 (unreachable)" in out
    assert "clusterer: epoch 0 (never held), checkpoint 0 of 0 ready, lag 0" in out
    lines = {line.split()[0]: line.split() for line in out.splitlines()[2:8]}
    assert set(lines) == {"poll", "extract", "embed", "cluster", "storylines", "write"}
    assert all(parts[2] == "-" for parts in lines.values())


def test_distributed_worker_refuses_sqlite_in_one_line(cli, backend: str) -> None:  # type: ignore[no-untyped-def]
    env = {"STORYLINE_BROKER_URL": "redis://127.0.0.1:1/0"}
    if backend == "sqlite":
        res = cli("worker", "--queues", "embed", ok=False, env=env)
        assert res.exit_code == 1 and res.output.count("\n") == 1
        assert "the distributed workers need PostgreSQL" in res.output
    else:
        res = cli("worker", "--queues", "embed,bogus", ok=False, env=env)
        assert res.exit_code == 1
        assert "Error: unknown queue bogus: the queues are poll, extract" in res.output
    res = cli("worker", "--queues", "embed", ok=False, env={"STORYLINE_BROKER_URL": ""})
    assert res.exit_code == 1 and ("need PostgreSQL" in res.output
                                   or "need a Redis broker" in res.output)
