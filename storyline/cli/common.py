"""Shared CLI plumbing: lazily built settings, engine and pipeline; output helpers.

Every command reaches the stages through ``app.pipeline`` (``storyline.pipeline``), built
once per invocation from the settings. A caller can hand the CLI models that are already
loaded: ``main(args, obj=AppContext(models=models))``, or in tests
``CliRunner().invoke(main, args, obj=AppContext(models=models))`` (click passes ``obj``
to the root context; ``main`` fills in ``--db``/``--config`` and keeps the rest). The
same ``AppContext`` can then be inspected (``app.pipeline.encoder.backend``).
"""

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

from storyline.pipeline import Models, Pipeline
from storyline.settings import Settings, load_settings
from storyline.storage.db import open_database
from storyline.text.jsonio import json_default


class UserError(Exception):
    """A mistake the user can fix; printed as one line."""


@dataclass
class AppContext:
    db_override: str | None = None
    config_file: str | None = None
    models: Models | None = field(default=None, repr=False)  # shared, already loaded
    _settings: Settings | None = field(default=None, repr=False)
    _engine: Engine | None = field(default=None, repr=False)
    _pipeline: Pipeline | None = field(default=None, repr=False)

    @classmethod
    def for_run(cls, injected: object, *, db_override: str | None,
                config_file: str | None) -> AppContext:
        """The context of one invocation: an injected ``AppContext`` (``main(obj=...)``)
        takes the command line's --db/--config; anything else is replaced."""
        if not isinstance(injected, AppContext):
            return cls(db_override=db_override, config_file=config_file)
        if db_override is not None:
            injected.db_override = db_override
        if config_file is not None:
            injected.config_file = config_file
        return injected

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

    @property
    def pipeline(self) -> Pipeline:
        """The run's stages over its database, with its models (injected or built)."""
        if self._pipeline is None:
            if self.models is None:
                self.models = Models()
            self._pipeline = Pipeline(self.settings, self.engine, models=self.models)
        return self._pipeline


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


#: The largest id anything here is given (the web routes' bound too): a bigger number,
#: which SQLite could not even bind past 2**63 - 1, names nothing.
MAX_ID = 2**62


def known_id(value: int) -> bool:
    """Whether ``value`` can be an id at all (1 … MAX_ID): look up only those."""
    return 1 <= value <= MAX_ID


def fmt_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"
