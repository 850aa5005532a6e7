"""Shared CLI plumbing: lazily built settings and engine, output helpers."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy import Engine

from storyline.settings import Settings, load_settings
from storyline.storage.db import open_database
from storyline.text.jsonio import json_default


class UserError(Exception):
    """A mistake the user can fix; printed as one line."""


@dataclass
class AppContext:
    db_override: str | None = None
    config_file: str | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(config_file=self.config_file)
        return self._settings

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = open_database(self.settings, self.db_override)
        return self._engine


pass_app = click.make_pass_decorator(AppContext)

stderr = Console(stderr=True, highlight=False)
stdout = Console(highlight=False, soft_wrap=True)


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=json_default)


def echo_json_line(obj: Any) -> None:
    sys.stdout.write(dumps(obj) + "\n")


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Progress]:
    """A rich progress bar on stderr (quiet when stderr is not a terminal)."""
    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=stderr, transient=False,
        disable=not stderr.is_terminal,
    )
    with progress:
        progress.add_task(description, total=total)
        yield progress


def fmt_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"
