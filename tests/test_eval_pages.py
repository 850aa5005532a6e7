"""`storyline eval pages`: the page-quality counts, on hand-made pages whose every count is
known, and on pages the real CLI wrote, where they must equal the reference scorer's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from storyline.evaluate.pages import (
    METRIC_BACKEND,
    PagesReport,
    content_words,
    score_page,
    score_pages,
)
from storyline.pipeline import Models
from tests.helpers import REPO, SHARED, import_talk_rounds

HEADLINE = "Geneva talks on Ukraine end with no breakthrough, Witkoff claims progress"
SAME_MEETING = [  # one repeated pair (cosine ~0.98, 10 of 10 content words shared)
    "US envoy Steve Witkoff met Russian negotiator Vladimir Medinsky in Geneva on Tuesday.",
    "On Tuesday in Geneva, Russian negotiator Vladimir Medinsky met the US envoy Steve Witkoff.",
]
LAND = "Ukraine refuses to give up land in the eastern Donbas region that its army still holds."
BYLINE = "Reuters staff writer Anna Smith contributed reporting on the Geneva talks."  # furniture
DRONES = "Russian drones and missiles struck Ukrainian energy infrastructure overnight."
RECIPE = "Add two cups of flour and a pinch of salt, then bake the bread for forty minutes."


def _sentence(text: str, *citations: int) -> dict[str, Any]:
    return {"text": text, "citations": list(citations)}


def _page() -> dict[str, Any]:
    return {
        "story_id": 7,
        "headline": HEADLINE,
        "sources": [{"index": 1, "outlet": "Reuters"}, {"index": 2, "outlet": "AP"},
                    {"index": 3, "outlet": "AP"}, {"index": 4, "outlet": None}],
        "sections": [
            {"title": "Geneva talks",  # two words: a short title
             "sentences": [_sentence(SAME_MEETING[0], 1, 2, 3), _sentence(SAME_MEETING[1], 2)]},
            {"title": "Ukraine will not give up land",
             "sentences": [_sentence(LAND, 1, 4), _sentence(BYLINE, 1)]},
            {"title": "Strikes continue during the talks",
             "sentences": [_sentence(DRONES, 2, 3), _sentence(RECIPE, 3)]},  # recipe: off-story
        ],
        "timeline": [
            {"date": "2022-02-24", "text": "Russia launched its full-scale invasion of Ukraine."},
            {"date": "2022-02-25", "text": "Russia began its full-scale invasion of Ukraine."},
            {"date": "2026-02-17", "text": "Delegations met in Geneva for a second day of talks."},
            {"date": "2026-02-18", "text": "Subscribe to our newsletter for daily updates."},
        ],
    }


@pytest.fixture(scope="module")
def encoder():  # type: ignore[no-untyped-def]
    return Models().encoder(METRIC_BACKEND)


def test_each_count_on_a_hand_made_page(encoder) -> None:  # type: ignore[no-untyped-def]
    score = score_page(_page(), encoder)
    assert score is not None and score.story_id == 7
    assert score.sentences == 6
    assert score.repeated_pairs == 1 and score.repeated == [tuple(SAME_MEETING)]
    assert score.furniture == 1 and score.furniture_text == [BYLINE]
    assert score.off_story == 1 and score.off_story_text == [RECIPE]
    assert (score.titles, score.short_titles, score.short_title_text) == (3, 1, ["Geneva talks"])
    assert (score.timeline, score.timeline_dupes, score.timeline_furniture) == (4, 1, 1)
    # Distinct outlets per sentence: Reuters+AP, AP, Reuters + the unnamed source 4 (an
    # outlet of its own), Reuters, AP (sources 2 and 3 are both AP), AP.
    assert score.outlets_cited == 2 + 1 + 2 + 1 + 1 + 1
    assert score.outlets_per_sentence == pytest.approx(8 / 6)
    assert score.badness == 1 + 2 * 1 + 1


def test_shared_content_words_alone_make_a_repeat(encoder) -> None:  # type: ignore[no-untyped-def]
    """60 % of the shorter sentence's content words shared is a repeat even when the
    meanings differ; 50 % is not."""
    three_of_five = ["Geneva Medinsky Umerov sang loudly.",
                     "Geneva Medinsky Umerov, the court ruled, owe unpaid taxes."]
    four_of_eight = ["Witkoff, Kushner and Umerov attended; the stadium roof leaked badly.",
                     "Witkoff, Kushner and Umerov attended; tax rates for farmers increased."]
    assert content_words(three_of_five[0]) == {"geneva", "medinsky", "umerov", "sang", "loudly"}
    for texts, repeats in ((three_of_five, 1), (four_of_eight, 0)):
        vecs = encoder.encode(texts)
        assert float(vecs[0] @ vecs[1]) < 0.8  # not the cosine rule
        page = {"headline": "Talks", "sections": [
            {"title": "Who was there", "sentences": [_sentence(t, 1) for t in texts]}]}
        score = score_page(page, encoder)
        assert score is not None and score.repeated_pairs == repeats


def test_pages_without_sentences_are_not_scored(encoder) -> None:  # type: ignore[no-untyped-def]
    empty = {"headline": "Nothing", "sections": [{"title": "x", "sentences": []}],
             "timeline": [{"text": "Subscribe now"}]}
    report = score_pages([(1, empty), (2, _page())], encoder)
    assert [p.story_id for p in report.pages] == [2]
    totals = report.totals()
    assert totals["pages"] == 1 and totals["timeline_furniture"] == 1
    assert PagesReport([]).totals()["repeats_per_page"] == 0.0


# -- pages the CLI wrote, against the reference scorer ----------------------------------

REFERENCE = SHARED / "tools" / "page_quality.py"
# The reference's total names -> ours.
REFERENCE_NAMES = {
    "pages": "pages", "sents": "sentences", "red": "repeated_pairs",
    "red_pages": "pages_with_repeats", "boiler": "furniture", "off": "off_story",
    "titles": "titles", "weak": "short_titles", "tl": "timeline", "tl_dup": "timeline_dupes",
    "tl_boiler": "timeline_furniture", "repeats_per_page": "repeats_per_page",
    "short_title_share": "short_title_share",
}


def _reference_totals(db_url: str, tmp_path: Path, min_articles: int) -> dict[str, Any]:
    """Run the reference scorer as its docstring says, with this venv's python; it calls
    the CLI through ``--storyline`` (default ``.venv/bin/storyline`` relative to the
    working directory), given here as the script beside the running interpreter."""
    storyline_exe = Path(sys.executable).parent / "storyline"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "STORYLINE_DATA_DIR": str(tmp_path / "data"),
           "STORYLINE_CONFIG": ""}
    out = subprocess.run(
        [sys.executable, str(REFERENCE), "--db", db_url, "--min-articles", str(min_articles),
         "--json", "--storyline", str(storyline_exe)],
        cwd=REPO, env=env, capture_output=True, text=True, check=True, timeout=600).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.needs_shared
def test_cli_pages_match_the_reference(cli, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import_talk_rounds(cli, tmp_path)  # Abu Dhabi (2 articles) and Geneva (4 seeds)
    cli("cluster")
    cli("write")
    result = json.loads(cli("eval", "pages", "--json").output)
    pages, totals = result["pages"], result["totals"]
    assert totals["pages"] == len(pages) == 2

    written = {p["story_id"]: json.loads(cli("stories", "summary", str(p["story_id"]),
                                             "--json").output) for p in pages}
    for p in pages:
        doc = written[p["story_id"]]
        sections = doc["sections"]
        assert p["sentences"] == sum(len(s["sentences"]) for s in sections) > 0
        assert p["titles"] == len(sections)
        assert p["short_titles"] == sum(len(s["title"].split()) <= 2 for s in sections)
        assert p["timeline"] == len(doc["timeline"])
        assert p["furniture"] == p["timeline_furniture"] == 0  # the writer drops bylines
        assert p["off_story"] == 0  # every sentence is about the talks
        cited = [len(x["citations"]) for s in sections for x in s["sentences"]]
        # Seed sources have no outlet name: each is an outlet of its own.
        assert p["outlets_per_sentence"] == round(sum(cited) / len(cited), 4) >= 1.0
    geneva = next(p for p in pages if p["sentences"] >= 6)
    assert geneva["timeline"] >= 3  # invasion, first day, second day (+ Abu Dhabi round)
    badness = [p["repeated_pairs"] + 2 * p["furniture"] + p["off_story"] for p in pages]
    assert badness == sorted(badness, reverse=True)  # worst first

    reference = _reference_totals(db_url, tmp_path, min_articles=1)
    assert {ours: totals[ours] for ours in REFERENCE_NAMES.values()} == {
        ours: reference[theirs] for theirs, ours in REFERENCE_NAMES.items()}

    three = json.loads(cli("eval", "pages", "--json", "--min-articles", "3").output)
    assert [p["story_id"] for p in three["pages"]] == [geneva["story_id"]]
    plain = cli("eval", "pages").output
    assert f"story {geneva['story_id']}: repeats {geneva['repeated_pairs']}," in plain
    assert f"pages 2, summary sentences {totals['sentences']} " in plain
