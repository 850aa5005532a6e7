from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Literal, get_args, get_origin, get_type_hints

import pytest

from storyline.fetch.http import FetchConfig
from storyline.settings import (
    SETTINGS,
    Settings,
    SettingsError,
    load_settings,
    settings_markdown,
)

REPO = Path(__file__).resolve().parents[1]
NO_FILE = {"STORYLINE_CONFIG": ""}


def test_defaults_env_and_file_precedence(tmp_path: Path) -> None:
    cfg = tmp_path / "s.toml"
    cfg.write_text('[storyline]\nfetch_concurrency = 4\nrespect_robots = false\n')
    s = load_settings(env={"STORYLINE_CONFIG": str(cfg), "STORYLINE_FETCH_CONCURRENCY": "7"})
    assert s.fetch_concurrency == 7  # env beats file
    assert s.origins["fetch_concurrency"] == "env STORYLINE_FETCH_CONCURRENCY"
    assert s.respect_robots is False
    assert s.origins["respect_robots"] == f"file {cfg}"
    assert s.fetch_per_host == 2 and s.origins["fetch_per_host"] == "default"
    assert s.config_file == cfg


def test_settings_are_typed_attributes(tmp_path: Path) -> None:
    s = load_settings(env={**NO_FILE, "STORYLINE_FETCH_TIMEOUT": "5",
                           "STORYLINE_WEB_PORT": " 8080 ", "STORYLINE_EMBED_BACKEND": "onnx"})
    assert s.fetch_timeout == 5.0 and type(s.fetch_timeout) is float
    assert s.web_port == 8080 and type(s.web_port) is int
    assert s.embed_backend == "onnx"
    with pytest.raises(AttributeError):
        s.fetch_concurrnecy  # type: ignore[attr-defined]  # noqa: B018
    # One annotated field per registry entry, of the registry's type; an enumeration is a
    # Literal of exactly its choices.
    hints = get_type_hints(Settings)
    assert [s.name for s in SETTINGS] == [n for n in hints if n not in ("origins", "config_file")]
    for setting in SETTINGS:
        hint = hints[setting.name]
        if setting.choices:
            assert get_origin(hint) is Literal and get_args(hint) == setting.choices
        else:
            assert hint is setting.type, setting.name
        assert type(setting.default) is setting.type, setting.name
        assert setting.parse(setting.default, "default") == setting.default, setting.name
        if setting.type in (int, float):  # every number has a range
            assert setting.max is not None and (setting.min, setting.above) != (None, None)


def test_a_misspelt_setting_is_a_type_error(tmp_path: Path) -> None:
    code = tmp_path / "uses_settings.py"
    code.write_text(
        "from storyline.settings import load_settings\n\n"
        "def concurrency() -> int:\n"
        "    s = load_settings()\n"
        "    reveal_type(s.embed_backend)\n"
        "    return s.fetch_concurrnecy\n")
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"), str(code)],
        capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 1, out.stdout + out.stderr
    assert ('error: "Settings" has no attribute "fetch_concurrnecy"; maybe '
            '"fetch_concurrency"?') in out.stdout
    assert ("Revealed type is \"Literal['auto'] | Literal['onnx'] | Literal['torch']\""
            in out.stdout)
    assert "Found 1 error in 1 file" in out.stdout


ENV_ERRORS = [
    ("EMBED_BACKEND", "bogus", "embed_backend must be one of auto, onnx, torch"),
    ("WRITER", "poet", "writer must be one of extractive, llm"),
    ("FETCH_CONCURRENCY", "-5", "fetch_concurrency must be between 1 and 1024"),
    ("FETCH_CONCURRENCY", "0", "fetch_concurrency must be between 1 and 1024"),
    ("FETCH_CONCURRENCY", "2.5", "fetch_concurrency must be a whole number, between 1 and 1024"),
    ("FETCH_PER_HOST", "0", "fetch_per_host must be between 1 and 64"),
    ("FETCH_TIMEOUT", "0", "fetch_timeout must be greater than 0 and at most 3600"),
    ("FETCH_TIMEOUT", "nan", "fetch_timeout must be greater than 0 and at most 3600"),
    ("FETCH_TIMEOUT", "inf", "fetch_timeout must be greater than 0 and at most 3600"),
    ("FETCH_TIMEOUT", "soon",
     "fetch_timeout must be a number, greater than 0 and at most 3600"),
    ("FETCH_MAX_REDIRECTS", "-1", "fetch_max_redirects must be between 0 and 20"),
    ("WEB_PORT", "0", "web_port must be between 1 and 65535"),
    ("WEB_PORT", "70000", "web_port must be between 1 and 65535"),
    ("NEAR_DUPLICATE_THRESHOLD", "1.5", "near_duplicate_threshold must be between 0 and 1"),
    ("NEAR_DUPLICATE_WINDOW_DAYS", "0", "near_duplicate_window_days must be between 1 and 3650"),
    ("CLUSTER_WINDOW_DAYS", "-1", "cluster_window_days must be greater than 0 and at most 3650"),
    ("WORKER_INTERVAL", "0", "worker_interval must be between 1 and 2592000"),
    ("FEED_MIN_INTERVAL", "-1", "feed_min_interval must be between 0 and 2592000"),
    ("EXTRACT_WORKERS", "-2", "extract_workers must be between 0 and 256"),
    ("WEB_WORKERS", "65", "web_workers must be between 0 and 64"),
    ("FETCH_MAX_BYTES", "0", "fetch_max_bytes must be between 1 and 1073741824"),
    ("RESPECT_ROBOTS", "maybe", "respect_robots must be true or false"),
]


@pytest.mark.parametrize(("name", "raw", "message"), ENV_ERRORS)
def test_bad_environment_value_is_one_line_naming_it(name: str, raw: str, message: str) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(env={**NO_FILE, f"STORYLINE_{name}": raw})
    assert str(err.value) == f"STORYLINE_{name}={raw!r}: {message}"


def test_range_edges_are_allowed() -> None:
    s = load_settings(env={**NO_FILE, "STORYLINE_FETCH_CONCURRENCY": "1",
                           "STORYLINE_FETCH_PER_HOST": "64", "STORYLINE_WEB_PORT": "65535",
                           "STORYLINE_FETCH_TIMEOUT": "0.001",
                           "STORYLINE_NEAR_DUPLICATE_THRESHOLD": "0",
                           "STORYLINE_FEED_MIN_INTERVAL": "0", "STORYLINE_WEB_WORKERS": "0",
                           "STORYLINE_FETCH_MAX_REDIRECTS": "0"})
    assert (s.fetch_concurrency, s.fetch_per_host, s.web_port) == (1, 64, 65535)
    assert math.isclose(s.fetch_timeout, 0.001) and s.near_duplicate_threshold == 0.0
    assert (s.feed_min_interval, s.web_workers, s.fetch_max_redirects) == (0, 0, 0)


@pytest.mark.parametrize(("line", "message"), [
    ("fetch_concurrency = 0", "fetch_concurrency must be between 1 and 1024"),
    ('embed_backend = "bogus"', "embed_backend must be one of auto, onnx, torch"),
    ("embed_backend = 5", "embed_backend must be one of auto, onnx, torch"),
    ("fetch_per_host = 2.5", "fetch_per_host must be a whole number, between 1 and 64"),
    ("fetch_timeout = -3.0", "fetch_timeout must be greater than 0 and at most 3600"),
    ("fetch_timeout = nan", "fetch_timeout must be greater than 0 and at most 3600"),
    ('respect_robots = "maybe"', "respect_robots must be true or false"),
    ("web_port = true", "web_port must be a whole number, between 1 and 65535"),
    ("user_agent = 5", "user_agent must be text"),
])
def test_bad_config_file_value_is_one_line_naming_it(tmp_path: Path, line: str,
                                                     message: str) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(f"[storyline]\n{line}\n")
    with pytest.raises(SettingsError) as err:
        load_settings(env={}, config_file=cfg)
    key, raw = line.split(" = ")
    value = {"nan": "nan", "true": "True"}.get(raw, raw.replace('"', "'"))
    assert str(err.value) == f"{key} = {value} in {cfg}: {message}"


def test_other_config_mistakes_are_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("no_such_setting = 1\n")
    with pytest.raises(SettingsError) as err:
        load_settings(env={}, config_file=cfg)
    assert str(err.value) == f"{cfg}: unknown setting 'no_such_setting'"
    missing = tmp_path / "missing.toml"
    with pytest.raises(SettingsError) as err:
        load_settings(env={"STORYLINE_CONFIG": str(missing)})
    assert str(err.value) == f"config file not found: {missing}"
    cfg.write_text("feed_min_interval = 7200\n")
    with pytest.raises(SettingsError) as err:
        load_settings(env={"STORYLINE_FEED_MAX_INTERVAL": "3600"}, config_file=cfg)
    assert str(err.value) == (
        f"feed_min_interval=7200 (file {cfg}) is above feed_max_interval=3600 (env "
        "STORYLINE_FEED_MAX_INTERVAL): the shortest interval between checks must not exceed "
        "the longest")


def test_replace_checks_like_loading() -> None:
    s = load_settings(env=NO_FILE)
    quick = s.replace(worker_interval="2", fetch_pages=False)
    assert quick.worker_interval == 2 and quick.fetch_pages is False
    assert quick.origins["worker_interval"] == "override"
    assert s.worker_interval == 300 and s.origins["worker_interval"] == "default"
    with pytest.raises(SettingsError) as err:
        s.replace(fetch_concurrency=0)
    assert str(err.value) == ("override fetch_concurrency=0: fetch_concurrency must be "
                              "between 1 and 1024")
    with pytest.raises(SettingsError) as err:
        s.replace(writer="poet")
    assert str(err.value) == "override writer='poet': writer must be one of extractive, llm"
    with pytest.raises(SettingsError) as err:
        s.replace(fetch_concurrnecy=4)
    assert str(err.value) == "unknown setting 'fetch_concurrnecy'"


def test_secrets_are_redacted() -> None:
    s = load_settings(env={**NO_FILE, "STORYLINE_ADMIN_TOKEN": "hunter2"})
    assert s.admin_token == "hunter2"
    assert s.redacted()["admin_token"] == "********"
    assert "hunter2" not in repr(s) and "hunter2" not in repr(s.replace(web_port=9000))
    assert load_settings(env=NO_FILE).redacted()["admin_token"] == ""


def test_every_setting_is_documented_and_docs_are_current() -> None:
    docs = (REPO / "docs" / "settings.md").read_text()
    assert docs == settings_markdown(), "regenerate: storyline config docs > docs/settings.md"
    for s in SETTINGS:
        assert s.help.strip().endswith("."), s.name
        assert f"`STORYLINE_{s.name.upper()}`" in docs
    assert "| `'auto'` | auto, onnx, torch |  |" in docs
    assert "| `8000` | 1–65535 |  |" in docs
    assert "| `20.0` | > 0, ≤ 3600 |  |" in docs


@pytest.mark.parametrize("config", [
    {"max_concurrency": 0}, {"per_host_concurrency": 0}, {"max_concurrency": -5},
    {"timeout_s": 0.0}, {"timeout_s": math.nan}, {"connect_timeout_s": -1.0},
    {"max_body_bytes": 0}, {"max_redirects": -1},
])
def test_fetch_config_refuses_values_that_would_hang_or_crash(config: dict[str, float]) -> None:
    (name, value), = config.items()
    with pytest.raises(ValueError) as err:
        FetchConfig(**config)  # type: ignore[arg-type]
    least = "greater than 0" if name.endswith("timeout_s") else \
        f"at least {0 if name == 'max_redirects' else 1}"
    assert str(err.value) == f"FetchConfig.{name} must be {least}, got {value!r}"


CLI_BAD = [("STORYLINE_EMBED_BACKEND", "bogus",
            "embed_backend must be one of auto, onnx, torch"),
           ("STORYLINE_FETCH_CONCURRENCY", "-5", "fetch_concurrency must be between 1 and 1024"),
           ("STORYLINE_FETCH_CONCURRENCY", "0", "fetch_concurrency must be between 1 and 1024"),
           ("STORYLINE_FETCH_PER_HOST", "0", "fetch_per_host must be between 1 and 64")]


@pytest.mark.parametrize(("command", "bad"), [
    *[("write", b) for b in CLI_BAD],
    ("fetch", CLI_BAD[2]), ("config show", CLI_BAD[1]), ("serve", CLI_BAD[0]),
    ("worker", CLI_BAD[3]), ("stories list", CLI_BAD[1]),
])
def test_a_bad_setting_stops_the_cli_with_one_line(tmp_path: Path, command: str,
                                                   bad: tuple[str, str, str]) -> None:
    key, raw, message = bad
    cfg = tmp_path / "storyline.toml"
    cfg.write_text("")
    env = {**os.environ, "STORYLINE_CONFIG": str(cfg), "STORYLINE_DATA_DIR": str(tmp_path),
           "HF_HUB_OFFLINE": "1", key: raw}
    start = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "storyline", "--db", str(tmp_path / "s.db"),
                          *command.split()], capture_output=True, text=True, cwd=REPO,
                         env=env, timeout=60)
    assert time.monotonic() - start < 30
    assert (out.returncode, out.stdout) == (1, "")
    assert out.stderr == f"Error: {key}={raw!r}: {message}\n"
