from __future__ import annotations

from pathlib import Path

import pytest

from storyline.settings import SETTINGS, SettingsError, load_settings, settings_markdown

REPO = Path(__file__).resolve().parents[1]


def test_defaults_env_and_file_precedence(tmp_path: Path) -> None:
    cfg = tmp_path / "s.toml"
    cfg.write_text('[storyline]\nfetch_concurrency = 4\nrespect_robots = false\n')
    s = load_settings(env={"STORYLINE_CONFIG": str(cfg), "STORYLINE_FETCH_CONCURRENCY": "7"})
    assert s.fetch_concurrency == 7  # env beats file
    assert s.origins["fetch_concurrency"] == "env STORYLINE_FETCH_CONCURRENCY"
    assert s.respect_robots is False
    assert s.origins["respect_robots"].startswith("file ")
    assert s.fetch_per_host == 2 and s.origins["fetch_per_host"] == "default"


def test_bad_values_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="fetch_timeout must be float"):
        load_settings(env={"STORYLINE_FETCH_TIMEOUT": "soon", "STORYLINE_CONFIG": ""})
    with pytest.raises(SettingsError, match="must be true or false"):
        load_settings(env={"STORYLINE_RESPECT_ROBOTS": "maybe", "STORYLINE_CONFIG": ""})
    cfg = tmp_path / "bad.toml"
    cfg.write_text("no_such_setting = 1\n")
    with pytest.raises(SettingsError, match="unknown setting 'no_such_setting'"):
        load_settings(env={}, config_file=cfg)
    with pytest.raises(SettingsError, match="config file not found"):
        load_settings(env={"STORYLINE_CONFIG": str(tmp_path / "missing.toml")})


def test_secrets_are_redacted() -> None:
    s = load_settings(env={"STORYLINE_ADMIN_TOKEN": "hunter2", "STORYLINE_CONFIG": ""})
    assert s.admin_token == "hunter2"
    assert s.redacted()["admin_token"] == "********"
    assert load_settings(env={"STORYLINE_CONFIG": ""}).redacted()["admin_token"] == ""


def test_every_setting_is_documented_and_docs_are_current() -> None:
    docs = (REPO / "docs" / "settings.md").read_text()
    assert docs == settings_markdown(), "regenerate: storyline config docs > docs/settings.md"
    for s in SETTINGS:
        assert s.help.strip().endswith("."), s.name
        assert f"`STORYLINE_{s.name.upper()}`" in docs
