"""The settings registry: every option with its type, default, help, allowed values and
secret flag.

:class:`Settings` declares one typed field per option (so a misspelt setting is a type
error), and :data:`SETTINGS` lists the same options for documentation and
``storyline config show``. Values come from (lowest to highest precedence) the defaults
here, an optional TOML config file (``STORYLINE_CONFIG`` or
``<config dir>/storyline.toml``), and environment variables ``STORYLINE_<NAME>``; each is
checked against its type, choices and range when loaded, and a bad one is a
:class:`SettingsError` of one line. Nothing is read at import time: call
:func:`load_settings`.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

import platformdirs

APP_NAME = "storyline"

EmbedBackend = Literal["auto", "onnx", "torch"]
WriterKind = Literal["extractive", "llm"]
WorkerPool = Literal["prefork", "threads", "solo"]

_T = TypeVar("_T")
_DAY_S = 86400
_GIB = 1 << 30
_MAX_INTERVAL_S = 30 * _DAY_S  # a feed or worker interval above a month is a mistake
_MAX_WINDOW_DAYS = 3650
_BOOL_WORDS = {"1": True, "true": True, "yes": True, "on": True,
               "0": False, "false": False, "no": False, "off": False, "": False}
_KINDS = {str: "text", int: "a whole number", float: "a number", bool: "true or false"}


class SettingsError(ValueError):
    """A setting has an unknown name or a value of the wrong type or out of range."""


@dataclass(frozen=True, slots=True)
class Setting:
    """One option of the registry. A range is ``min`` (or ``above``, exclusive) to ``max``,
    both inclusive where given; ``choices`` lists the only values a text setting takes."""

    name: str
    type: type
    default: Any
    help: str
    secret: bool = False
    choices: tuple[str, ...] = ()
    min: int | float | None = None
    above: int | float | None = None
    max: int | float | None = None

    @property
    def env_var(self) -> str:
        return f"STORYLINE_{self.name.upper()}"

    def bounds(self) -> str:
        """The range in words: 'at least 1', 'between 1 and 65535', 'greater than 0 and at
        most 3600'; empty when there is none."""
        low = (f"at least {self.min}" if self.min is not None else
               f"greater than {self.above}" if self.above is not None else "")
        if self.max is None:
            return low
        if self.min is not None:
            return f"between {self.min} and {self.max}"
        return f"{low} and at most {self.max}" if low else f"at most {self.max}"

    def allowed(self) -> str:
        """The allowed values in short, for the docs: 'auto, onnx, torch', '1–65535',
        '> 0, ≤ 3600'; empty for any text."""
        if self.choices:
            return ", ".join(self.choices)
        if self.type is bool:
            return "true, false"
        if self.min is not None and self.max is not None:
            return f"{self.min}–{self.max}"
        parts = [f"≥ {self.min}" if self.min is not None else "",
                 f"> {self.above}" if self.above is not None else "",
                 f"≤ {self.max}" if self.max is not None else ""]
        return ", ".join(p for p in parts if p)

    def parse(self, raw: Any, where: str) -> Any:
        """`raw` (text from the environment, or a TOML value) as this setting's type, checked
        against its choices and range; `where` names the source in the one-line error."""
        value = self._coerce(raw)
        if value is None and not self.choices:
            kind = _KINDS[self.type]
            bounds = self.bounds()
            raise SettingsError(f"{where}: {self.name} must be {kind}"
                                + (f", {bounds}" if bounds else ""))
        if self.choices and value not in self.choices:
            raise SettingsError(f"{where}: {self.name} must be one of {', '.join(self.choices)}")
        if self.type in (int, float) and not self._in_range(value):
            raise SettingsError(f"{where}: {self.name} must be {self.bounds()}")
        return value

    def _coerce(self, raw: Any) -> Any:
        """The value as this setting's type, or None when it is not one."""
        if self.type is bool:
            if isinstance(raw, bool):
                return raw
            if isinstance(raw, str):
                return _BOOL_WORDS.get(raw.strip().lower())
            return None
        if self.type is str:
            return raw if isinstance(raw, str) else None
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            return None
        if self.type is int and isinstance(raw, float):
            return None  # 2.5 processes: say so rather than round
        try:
            return self.type(raw)
        except ValueError:
            return None

    def _in_range(self, value: float) -> bool:
        # written so that NaN is out of every range
        if self.min is not None and not value >= self.min:
            return False
        if self.above is not None and not value > self.above:
            return False
        if self.max is not None and not value <= self.max:
            return False
        return not math.isnan(value)


def _option(default: _T, help: str, *, secret: bool = False, choices: tuple[str, ...] = (),
            min: float | None = None, above: float | None = None,
            max: float | None = None) -> _T:
    """A field of :class:`Settings` that is also an entry of the registry."""
    spec = {"help": help, "secret": secret, "choices": choices, "min": min, "above": above,
            "max": max}
    return field(default=default, repr=not secret, metadata={"setting": spec})


@dataclass(frozen=True, slots=True)
class Settings:
    """The settings in force: one typed attribute per option, where each came from in
    ``origins`` ("default", "file PATH", "env STORYLINE_NAME" or "override"), and the config
    file read (None when there was none)."""

    database_url: str = _option("", "SQLAlchemy URL or SQLite file path; empty means "
                                "storyline.db in the user data directory.")
    data_dir: str = _option("", "Directory for the default database and caches; empty means "
                            "the platform's user data directory.")
    user_agent: str = _option(
        "Storyline/0.1 (self-hosted news reader; +https://storyline.invalid/bot)",
        "User-Agent sent with every request.")
    fetch_concurrency: int = _option(16, "Maximum requests in flight across all hosts.",
                                     min=1, max=1024)
    fetch_per_host: int = _option(2, "Maximum requests in flight to one host.", min=1, max=64)
    fetch_timeout: float = _option(20.0, "Seconds before a request is abandoned.",
                                   above=0, max=3600)
    fetch_max_bytes: int = _option(10 * 1024 * 1024, "Largest response body accepted, in bytes.",
                                   min=1, max=_GIB)
    fetch_max_redirects: int = _option(5, "Redirects followed before giving up.", min=0, max=20)
    respect_robots: bool = _option(True, "Honour robots.txt when fetching article pages.")
    fetch_pages: bool = _option(True, "Fetch each new article's page for its full text "
                                "(otherwise use the feed's own content).")
    extract_workers: int = _option(0, "Processes extracting article text in a big fetch run; "
                                   "0 means one per CPU core.", min=0, max=256)
    feed_min_interval: int = _option(300, "Shortest time between two checks of one feed, "
                                     "seconds.", min=0, max=_MAX_INTERVAL_S)
    feed_default_interval: int = _option(1800, "Time between checks when the feed says "
                                         "nothing, seconds.", min=0, max=_MAX_INTERVAL_S)
    feed_max_interval: int = _option(86400, "Longest time between two checks of one feed, "
                                     "seconds (also the backoff cap); at least "
                                     "feed_min_interval.", min=1, max=_MAX_INTERVAL_S)
    feed_disable_after: int = _option(20, "Consecutive errors after which a feed is disabled.",
                                      min=1, max=1_000_000)
    allow_private_feeds: bool = _option(False, "Allow feed URLs that resolve to private or "
                                        "loopback addresses.")
    near_duplicate_threshold: float = _option(
        0.6, "Estimated Jaccard similarity of word shingles above which an article is a "
        "near-duplicate of an earlier one.", min=0, max=1)
    near_duplicate_window_days: int = _option(
        14, "Only articles published this many days apart can be near-duplicates.",
        min=1, max=_MAX_WINDOW_DAYS)
    cluster_after_fetch: bool = _option(
        True, "`storyline fetch` and `storyline import` finish the pending work after "
        "storing: they cluster every article in no story and rewrite every stale story "
        "(as `storyline cluster` and `storyline write` would), whatever an earlier run left.")
    cluster_window_days: float = _option(
        7.0, "A story takes new articles until this many days after its latest one.",
        above=0, max=_MAX_WINDOW_DAYS)
    storyline_window_days: float = _option(
        90.0, "A story can continue a storyline whose latest story is at most this many days "
        "older.", above=0, max=_MAX_WINDOW_DAYS)
    embed_backend: EmbedBackend = _option(
        "auto", "Sentence encoder backend: auto, onnx (int8, faster) or torch.",
        choices=get_args(EmbedBackend))
    writer: WriterKind = _option(
        "extractive", "Story writer: extractive (no model) or llm (an OpenAI-compatible chat "
        "endpoint; verified, falls back to extractive).", choices=get_args(WriterKind))
    llm_base_url: str = _option("", "Base URL of the OpenAI-compatible endpoint, e.g. "
                                "http://127.0.0.1:11434/v1 for Ollama.")
    llm_model: str = _option("", "Model name sent to the LLM endpoint.")
    web_host: str = _option("127.0.0.1", "Address `storyline serve` listens on.")
    web_port: int = _option(8000, "Port `storyline serve` listens on.", min=1, max=65535)
    web_workers: int = _option(
        0, "Web server processes of `storyline serve` (each with its own page cache; the "
        "background worker runs once, in the parent): 0 means one per CPU core, at most 2.",
        min=0, max=64)
    public_url: str = _option("", "The reader's public address, e.g. https://news.example.org "
                              "(links in Atom feeds); empty: the address a request names if "
                              "it is loopback or web_host, else relative links.")
    worker_interval: int = _option(300, "Seconds between two cycles of the background worker "
                                   "(fetch due feeds, cluster, write).",
                                   min=1, max=_MAX_INTERVAL_S)
    max_request_bytes: int = _option(2 * 1024 * 1024, "Largest request body the web reader "
                                     "accepts (OPML uploads, forms), in bytes.",
                                     min=1, max=_GIB)
    admin_token: str = _option("", "Token required for write actions in the web reader.",
                               secret=True)
    llm_api_key: str = _option("", "API key for the OpenAI-compatible LLM endpoint.",
                               secret=True)
    # accounts, sign-in and reading apps (issue 16)
    anonymous_reading: bool = _option(
        True, "Let visitors who are not signed in read the stories (pages, JSON, Atom); "
        "false: every page but the sign-in page needs an account (or the admin token).")
    session_days: int = _option(30, "Days a web sign-in lasts.", min=1, max=3650)
    signin_attempts: int = _option(
        10, "Failed sign-ins allowed per client address and per account in "
        "signin_window seconds (web and Google Reader ClientLogin); more are refused (429).",
        min=1, max=10_000)
    signin_window: int = _option(900, "The window of signin_attempts, in seconds.",
                                 min=1, max=_DAY_S)

    # --- the distributed pipeline (issue 15: Celery workers, Redis broker, PostgreSQL) ---
    broker_url: str = _option(
        "", "Redis URL of the Celery broker of the distributed workers, e.g. "
        "redis://:password@redis.internal:6379/0 (its password is masked in "
        "`config show`); empty: the in-process worker only.")
    worker_queues: str = _option(
        "poll,extract,embed,cluster,write,storylines",
        "Queues a distributed `storyline worker` takes when --queues is not given "
        "(comma-separated: poll, extract, embed, cluster, write, storylines).")
    worker_concurrency: int = _option(1, "Tasks a distributed worker runs at once "
                                      "(processes of its pool).", min=1, max=256)
    worker_pool: WorkerPool = _option("prefork", "Celery pool of a distributed worker: prefork "
                               "(processes), threads, or solo (one task at a time in the "
                               "worker process).", choices=("prefork", "threads", "solo"))
    sweep_interval: int = _option(30, "Seconds between two sweeps of the beat: due feeds "
                                  "polled, pending work no message covers sent again.",
                                  min=1, max=_DAY_S)
    sweep_requeue_after: int = _option(
        300, "Seconds after which the sweep sends again a message for work still pending "
        "(at once when the stage's queue is empty).", min=1, max=_DAY_S)
    embed_batch: int = _option(64, "Articles one embed task encodes together.",
                               min=1, max=4096)
    cluster_max_wait: int = _option(
        60, "Seconds the clusterer waits for the earlier stages to drain before it "
        "clusters what is ready (one pass in publication order, as in-process).",
        min=0, max=_DAY_S)

    origins: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    config_file: Path | None = None

    def replace(self, **changes: Any) -> Settings:
        """A copy with some settings changed (checked like loaded ones)."""
        values = _values(self)
        origins = dict(self.origins)
        for key, value in changes.items():
            if key not in _BY_NAME:
                raise SettingsError(f"unknown setting {key!r}")
            values[key] = _BY_NAME[key].parse(value, f"override {key}={value!r}")
            origins[key] = "override"
        return _build(values, origins, self.config_file)

    @property
    def data_path(self) -> Path:
        if self.data_dir:
            return Path(self.data_dir).expanduser()
        return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))

    def redacted(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for s in SETTINGS:
            value = getattr(self, s.name)
            out[s.name] = ("********" if value else "") if s.secret else value
            if s.name.endswith("_url") and isinstance(value, str):
                out[s.name] = mask_url_password(value)
        return out


def mask_url_password(url: str) -> str:
    """``url`` with the password of its user part masked: redis://:****@host:6379/0."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    netloc, slash, path = rest.partition("/")
    user, at, host = netloc.rpartition("@")
    if not at or ":" not in user:
        return url
    name = user.split(":", 1)[0]
    return f"{scheme}://{name}:****@{host}{slash}{path}"


SETTINGS: tuple[Setting, ...] = tuple(
    Setting(f.name, type(f.default), f.default, **f.metadata["setting"])
    for f in dataclasses.fields(Settings) if "setting" in f.metadata
)

_BY_NAME = {s.name: s for s in SETTINGS}


def _values(settings: Settings) -> dict[str, Any]:
    return {s.name: getattr(settings, s.name) for s in SETTINGS}


def _build(values: dict[str, Any], origins: dict[str, str], path: Path | None) -> Settings:
    """Settings from checked values, after the checks that involve two settings."""
    low, high = values["feed_min_interval"], values["feed_max_interval"]
    if low > high:
        raise SettingsError(
            f"feed_min_interval={low} ({origins['feed_min_interval']}) is above "
            f"feed_max_interval={high} ({origins['feed_max_interval']}): the shortest "
            "interval between checks must not exceed the longest")
    return Settings(**values, origins=origins, config_file=path)


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
            values[key] = _BY_NAME[key].parse(raw, f"{key} = {raw!r} in {path}")
            origins[key] = f"file {path}"
    elif explicit:
        raise SettingsError(f"config file not found: {path}")
    else:
        path = None

    for s in SETTINGS:
        if s.env_var in env:
            raw = env[s.env_var]
            values[s.name] = s.parse(raw, f"{s.env_var}={raw!r}")
            origins[s.name] = f"env {s.env_var}"
    return _build(values, origins, path)


def settings_markdown() -> str:
    """The settings reference, generated from the registry (docs/settings.md)."""
    lines = [
        "# Settings",
        "",
        "Every setting can be given as an environment variable `STORYLINE_<NAME>` or in a",
        "TOML config file (`STORYLINE_CONFIG`, or `storyline.toml` in the user config",
        "directory; keys at top level or under `[storyline]`). Environment beats file.",
        "Values are checked when loaded: one outside its allowed values stops every command",
        "with one line naming the setting and where it came from.",
        "`storyline config show` prints the values in force, secrets redacted.",
        "",
        "| setting | type | default | allowed | secret | description |",
        "|---|---|---|---|---|---|",
    ]
    for s in SETTINGS:
        default = repr(s.default) if s.default != "" else "(empty)"
        lines.append(f"| `{s.name}` (`{s.env_var}`) | {s.type.__name__} | `{default}` | "
                     f"{s.allowed()} | {'yes' if s.secret else ''} | {s.help} |")
    return "\n".join(lines) + "\n"
