"""What the tests (and bench/, tools/) share: where the test data lives, and the articles
and import steps several test files use.

The annotated corpora and seed articles are not the project's to redistribute, so they
live outside the checkout, in ``../shared`` (or wherever ``STORYLINE_SHARED_DIR`` points).
Tests that read them carry ``@pytest.mark.needs_shared`` (or call ``require_shared()``
from a helper that builds data from them); without the folder they are skipped and the
run ends with one line saying so. ``STORYLINE_REQUIRE_SHARED=1`` (set by CI) makes a
missing folder an error instead. The product itself never reads this folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from storyline.pipeline import Models

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("STORYLINE_SHARED_DIR") or REPO.parent / "shared")
SEEDS = SHARED / "seeds"
EVAL = SHARED / "data" / "eval"
BENCH = SHARED / "data" / "extraction-benchmark"

MISSING_SHARED = f"test data not found: {SHARED}"  # the reason of every such skip


def shared_present() -> bool:
    """Whether ../shared holds what the tests read: seeds, data/eval and the benchmark."""
    return SEEDS.is_dir() and EVAL.is_dir() and BENCH.is_dir()


def require_shared() -> None:
    """Skip the calling test when ../shared is absent (for fixtures and helpers that
    build data from it; a test that reads it directly carries the marker instead)."""
    if not shared_present():
        import pytest

        pytest.skip(MISSING_SHARED)


def lines(out: str) -> list[dict[str, Any]]:
    """The objects of a JSON-lines output (``storyline ... --json``)."""
    return [json.loads(x) for x in out.splitlines()]


# The four Geneva-round seed articles (002 is an aggregator page, not an article).
SEED_FILES = ["000_62d237a55083a967.txt", "001_19651799f73e0808.txt",
              "003_6fb147435889008f.txt", "004_c568a9170720648a.txt"]

# Two synthetic reports on the earlier Abu Dhabi round of the same talks.
ABU_DHABI = [
    ("Ukraine and Russia end first day of Abu Dhabi talks without breakthrough",
     "Ukrainian and Russian delegations ended a first day of US-brokered talks in Abu Dhabi "
     "on Wednesday without a breakthrough, officials said. US envoy Steve Witkoff and Jared "
     "Kushner mediated the trilateral meeting, while Rustem Umerov led Ukraine's team.\n"
     "The talks focused on territory in the eastern Donbas region and on security "
     "guarantees for Kyiv, the main obstacles to ending the war that began with Russia's "
     "full-scale invasion in February 2022.\n"
     "Ukrainian President Volodymyr Zelensky said Kyiv wanted a dignified peace but would "
     "not give up land it controls. The Kremlin said its demands on the Donbas stand."),
    ("Abu Dhabi round of Russia-Ukraine peace talks closes, second round planned",
     "A round of peace negotiations between Russia and Ukraine in Abu Dhabi closed on "
     "Thursday, with both sides agreeing to meet again, the United States said. Steve "
     "Witkoff described the discussions with Kushner, Umerov and the Russian delegation as "
     "constructive.\n"
     "Disputes over the Donbas and Western security guarantees for Ukraine remain "
     "unresolved, according to officials from Kyiv, as Russian drone strikes on Ukrainian "
     "energy infrastructure continued during the talks.\n"
     "Volodymyr Zelensky said Ukraine was ready for further rounds of negotiations."),
]


def import_talk_rounds(cli: Any, tmp_path: Path) -> None:
    """Two articles on the Abu Dhabi round (4-5 Feb 2026) and the four Geneva seeds."""
    require_shared()
    for i, (title, body) in enumerate(ABU_DHABI):
        f = tmp_path / f"abu{i}.txt"
        f.write_text(f"{title}\n\n{body}\n", encoding="utf-8")
        cli("import", str(f), "--outlet", f"Wire {i}", "--published", f"2026-02-0{4 + i}T10:00Z")
    for name in SEED_FILES:
        cli("import", str(SEEDS / name), "--published", "2026-02-18T08:00:00Z")


class Cli:
    """Runs the real `storyline` CLI in-process against the test database, handing it the
    session's models through ``main(obj=AppContext(models=...))`` so ONNX and spaCy load
    once per test process, not once per command. ``app`` is the last run's context."""

    def __init__(self, db_url: str, tmp_path: Path, models: Models,
                 env: dict[str, str] | None = None) -> None:
        self.db_url = db_url
        self.models = models
        self.app: Any = None
        self.env = {
            "STORYLINE_DATA_DIR": str(tmp_path / "data"),
            "STORYLINE_ALLOW_PRIVATE_FEEDS": "true",
            "STORYLINE_FETCH_TIMEOUT": "5",
            "STORYLINE_CONFIG": "",
            "STORYLINE_DATABASE_URL": "",
            "STORYLINE_CLUSTER_AFTER_FETCH": "false",
            **(env or {}),
        }

    def __call__(self, *args: str, ok: bool = True, env: dict[str, str] | None = None,
                 models: Models | None = None, input: str | None = None) -> Result:
        from storyline.cli import main
        from storyline.cli.common import AppContext

        self.app = AppContext(models=models or self.models)
        result = CliRunner().invoke(main, ["--db", self.db_url, *args], obj=self.app,
                                    env={**self.env, **(env or {})}, catch_exceptions=True,
                                    input=input)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        if ok:
            assert result.exit_code == 0, f"exit {result.exit_code}: {result.output}"
        return result
