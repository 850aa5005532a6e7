"""The settings registry: every option with its type, default, help and secret flag.

Values come from (lowest to highest precedence) the defaults here, an optional TOML
config file (``STORYLINE_CONFIG`` or ``<config dir>/storyline.toml``), and environment
variables ``STORYLINE_<NAME>``. Nothing is read at import time: call :func:`load_settings`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "storyline"


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    type: type
    default: Any
    help: str
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting("database_url", str, "", "SQLAlchemy URL or SQLite file path; empty means "
            "storyline.db in the user data directory."),
    Setting("data_dir", str, "", "Directory for the default database and caches; empty means "
            "the platform's user data directory."),
    Setting("user_agent", str,
            "Storyline/0.1 (self-hosted news reader; +https://storyline.invalid/bot)",
            "User-Agent sent with every request."),
    Setting("fetch_concurrency", int, 16, "Maximum requests in flight across all hosts."),
    Setting("fetch_per_host", int, 2, "Maximum requests in flight to one host."),
    Setting("fetch_timeout", float, 20.0, "Seconds before a request is abandoned."),
    Setting("fetch_max_bytes", int, 10 * 1024 * 1024, "Largest response body accepted, in bytes."),
    Setting("fetch_max_redirects", int, 5, "Redirects followed before giving up."),
    Setting("respect_robots", bool, True, "Honour robots.txt when fetching article pages."),
    Setting("fetch_pages", bool, True, "Fetch each new article's page for its full text "
            "(otherwise use the feed's own content)."),
    Setting("extract_workers", int, 0, "Processes extracting article text in a big fetch run; "
            "0 means one per CPU core."),
    Setting("feed_min_interval", int, 300, "Shortest time between two checks of one feed, seconds."),
    Setting("feed_default_interval", int, 1800, "Time between checks when the feed says nothing, "
            "seconds."),
    Setting("feed_max_interval", int, 86400, "Longest time between two checks of one feed, "
            "seconds (also the backoff cap)."),
    Setting("feed_disable_after", int, 20, "Consecutive errors after which a feed is disabled."),
    Setting("allow_private_feeds", bool, False, "Allow feed URLs that resolve to private or "
            "loopback addresses."),
    Setting("near_duplicate_threshold", float, 0.6, "Estimated Jaccard similarity of word "
            "shingles above which an article is a near-duplicate of an earlier one."),
    Setting("near_duplicate_window_days", int, 14, "Only articles published this many days "
            "apart can be near-duplicates."),
    Setting("cluster_after_fetch", bool, True, "`storyline fetch` clusters what it fetched "
            "and rewrites the stories that changed (as `storyline cluster` and "
            "`storyline write` would)."),
    Setting("cluster_window_days", float, 7.0, "A story takes new articles until this many "
            "days after its latest one."),
    Setting("storyline_window_days", float, 90.0, "A story can continue a storyline whose "
            "latest story is at most this many days older."),
    Setting("embed_backend", str, "auto", "Sentence encoder backend: auto, onnx (int8, "
            "faster) or torch."),
    Setting("writer", str, "extractive", "Story writer: extractive (no model) or llm (an "
            "OpenAI-compatible chat endpoint; verified, falls back to extractive)."),
    Setting("llm_base_url", str, "", "Base URL of the OpenAI-compatible endpoint, e.g. "
            "http://127.0.0.1:11434/v1 for Ollama."),
    Setting("llm_model", str, "", "Model name sent to the LLM endpoint."),
    Setting("web_host", str, "127.0.0.1", "Address `storyline serve` listens on."),
    Setting("web_port", int, 8000, "Port `storyline serve` listens on."),
    Setting("web_workers", int, 0, "Web server processes of `storyline serve` (each with "
            "its own page cache; the background worker runs once, in the parent): 0 means "
            "one per CPU core, at most 2."),
    Setting("worker_interval", int, 300, "Seconds between two cycles of the background worker "
            "(fetch due feeds, cluster, write)."),
    Setting("max_request_bytes", int, 2 * 1024 * 1024, "Largest request body the web reader "
            "accepts (OPML uploads, forms), in bytes."),
    Setting("admin_token", str, "", "Token required for write actions in the web reader.",
            secret=True),
    Setting("llm_api_key", str, "", "API key for the OpenAI-compatible LLM endpoint.",
            secret=True),
)

_BY_NAME = {s.name: s for s in SETTINGS}


class SettingsError(ValueError):
    """A setting has a value of the wrong type or an unknown name."""


def _coerce(setting: Setting, raw: Any, origin: str) -> Any:
    if setting.type is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off", ""}:
            return False
        raise SettingsError(f"{origin}: {setting.name} must be true or false, got {raw!r}")
    try:
        return setting.type(raw)
    except (TypeError, ValueError):
        raise SettingsError(
            f"{origin}: {setting.name} must be {setting.type.__name__}, got {raw!r}"
        ) from None


@dataclass(frozen=True)
class Settings:
    values: Mapping[str, Any]
    origins: Mapping[str, str]
    config_file: Path | None

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def replace(self, **changes: Any) -> Settings:
        values = dict(self.values)
        origins = dict(self.origins)
        for key, value in changes.items():
            if key not in _BY_NAME:
                raise SettingsError(f"unknown setting {key!r}")
            values[key] = _coerce(_BY_NAME[key], value, "override")
            origins[key] = "override"
        return Settings(values, origins, self.config_file)

    @property
    def data_path(self) -> Path:
        if self.values["data_dir"]:
            return Path(self.values["data_dir"]).expanduser()
        return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))

    def redacted(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for s in SETTINGS:
            value = self.values[s.name]
            out[s.name] = ("********" if value else "") if s.secret else value
        return out


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "storyline.toml"


def load_settings(
    env: Mapping[str, str] | None = None, config_file: str | Path | None = None
) -> Settings:
    """Read defaults, then the config file, then ``STORYLINE_*`` environment variables."""
    env = os.environ if env is None else env
    values = {s.name: s.default for s in SETTINGS}
    origins = {s.name: "default" for s in SETTINGS}

    path: Path | None
    if config_file is not None:
        path = Path(config_file)
    elif env.get("STORYLINE_CONFIG"):
        path = Path(env["STORYLINE_CONFIG"])
    else:
        path = default_config_path()
    explicit = config_file is not None or bool(env.get("STORYLINE_CONFIG"))
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"cannot read config file {path}: {exc}") from None
        section = data.get("storyline", data)
        for key, raw in section.items():
            if key not in _BY_NAME:
                raise SettingsError(f"{path}: unknown setting {key!r}")
            values[key] = _coerce(_BY_NAME[key], raw, str(path))
            origins[key] = f"file {path}"
    elif explicit:
        raise SettingsError(f"config file not found: {path}")
    else:
        path = None

    for s in SETTINGS:
        key = f"STORYLINE_{s.name.upper()}"
        if key in env:
            values[s.name] = _coerce(s, env[key], key)
            origins[s.name] = f"env {key}"
    return Settings(values, origins, path)


def settings_markdown() -> str:
    """The settings reference, generated from the registry (docs/settings.md)."""
    lines = [
        "# Settings",
        "",
        "Every setting can be given as an environment variable `STORYLINE_<NAME>` or in a",
        "TOML config file (`STORYLINE_CONFIG`, or `storyline.toml` in the user config",
        "directory; keys at top level or under `[storyline]`). Environment beats file.",
        "`storyline config show` prints the values in force, secrets redacted.",
        "",
        "| setting | type | default | secret | description |",
        "|---|---|---|---|---|",
    ]
    for s in SETTINGS:
        default = repr(s.default) if s.default != "" else "(empty)"
        lines.append(f"| `{s.name}` (`STORYLINE_{s.name.upper()}`) | {s.type.__name__} | "
                     f"`{default}` | {'yes' if s.secret else ''} | {s.help} |")
    return "\n".join(lines) + "\n"
