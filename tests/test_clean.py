"""clean_text and plain-text parsing on the shared seed articles and small synthetic cases."""

from __future__ import annotations

import re

import pytest

from storyline.extract.clean import clean_text
from storyline.extract.plaintext import is_aggregator_page, parse_plain_text
from tests.helpers import SEEDS

ARTICLE_SEEDS = ["000", "001", "003", "004"]
BOILERPLATE = [
    "Galatasaray defeat 10-man Juventus",
    "Jesse Jackson, veteran US civil rights leader",
    "Passengers left stranded as Kenya airport strike",
    "RECOMMENDED",
    "RelatedTRT World",
    "SOURCE:AFP",
    "6 hours ago",
    "2 min read",
    "Cricketer Hassan Ali",
    "Explore",
]
_CAPTION = re.compile(r"/\s*\w+$")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’]*$")


def seed_text(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text("utf-8")


def report_paragraphs(raw: str) -> list[str]:
    """Every sentence-final line of 15+ words that is not a photo caption or a teaser."""
    out = []
    for line in raw.splitlines():
        line = line.strip()
        if len(line.split()) < 15 or not _SENTENCE_END.search(line):
            continue
        if _CAPTION.search(line) or line.startswith("Related"):
            continue
        out.append(line)
    return out


@pytest.mark.needs_shared
@pytest.mark.parametrize("prefix", ARTICLE_SEEDS)
def test_seed_paragraphs_survive_verbatim(prefix: str) -> None:
    raw = seed_text(prefix)
    article = parse_plain_text(raw)
    kept_lines = article.text.split("\n")
    paragraphs = report_paragraphs(raw)
    assert len(paragraphs) >= 8
    for paragraph in paragraphs:
        assert paragraph in kept_lines, paragraph


@pytest.mark.needs_shared
@pytest.mark.parametrize("prefix", ARTICLE_SEEDS)
def test_seed_boilerplate_dropped(prefix: str) -> None:
    article = parse_plain_text(seed_text(prefix))
    for marker in BOILERPLATE:
        assert marker not in article.text, marker


@pytest.mark.needs_shared
def test_seed_subheadings_kept() -> None:
    text = parse_plain_text(seed_text("000")).text.split("\n")
    for heading in [
        "Focus on Practical Solutions",
        "Zelensky Raises Concerns Over Russian Attacks",
        "Key Disputes Remain Unresolved",
        "Negotiation Teams and Diplomatic Tensions",
        "Battlefield Pressure Continues",
    ]:
        assert heading in text
    text_001 = parse_plain_text(seed_text("001")).text.split("\n")
    assert "Mixed Signals from Diplomacy" in text_001
    assert "Structure of the Talks and Key Participants" in text_001


@pytest.mark.needs_shared
def test_seed_003_title_and_inferred_facts() -> None:
    article = parse_plain_text(seed_text("003"))
    title = "'Meaningful progress' made in Ukraine war talks: Witkoff"
    assert article.title == title
    assert title not in article.text
    assert article.agency == "AFP" and "agency" in article.inferred
    assert article.outlet == "TRT World" and "outlet" in article.inferred
    assert article.image_credit == "Reuters"
    assert article.image_caption is not None and article.image_caption.endswith("Feb 17, 2026.")
    assert article.published is not None
    assert article.published.isoformat() == "2026-02-17T00:00:00+00:00"
    assert "published" in article.inferred
    assert "‘What do they want?’" in article.text.split("\n")
    assert "SOURCE:AFP" in article.removed
    assert article.text.startswith("\"President Trump's success")


@pytest.mark.needs_shared
def test_seed_003_hint_beats_caption_date() -> None:
    from datetime import UTC, datetime

    hint = datetime(2026, 2, 18, 9, 30, tzinfo=UTC)
    article = parse_plain_text(seed_text("003"), published_hint=hint)
    assert article.published == hint
    assert "published" not in article.inferred


@pytest.mark.needs_shared
def test_seed_004_dateline_is_not_an_outlet() -> None:
    article = parse_plain_text(seed_text("004"))
    assert article.dateline == "GENEVA"
    assert article.outlet is None
    assert article.agency is None
    assert (
        "Cricketer Hassan Ali Welcomes Baby Boy, Announces Birth on Social Media" in article.removed
    )
    assert not article.title.startswith("GENEVA")


@pytest.mark.needs_shared
def test_untitled_seed_gets_title_from_first_sentence() -> None:
    article = parse_plain_text(seed_text("000"))
    assert article.title.startswith("U.S. Special Envoy Steve Witkoff announced")
    assert "title" in article.inferred
    assert article.text.startswith("U.S. Special Envoy Steve Witkoff announced")


@pytest.mark.needs_shared
def test_aggregator_page_detected() -> None:
    reason = is_aggregator_page(seed_text("002"))
    assert reason is not None
    assert "citation" in reason and "timeline" in reason
    for prefix in ARTICLE_SEEDS:
        assert is_aggregator_page(seed_text(prefix)) is None, prefix


def test_aggregator_needs_more_than_one_signal() -> None:
    article = "\n".join(
        ["Sources", "Timeline"]
        + [f"The minister said on day {i} that talks would go on [1]." for i in range(30)]
    )
    assert is_aggregator_page(article) is None
    assert is_aggregator_page("Top Headlines\nFeeds\nSources\nTimeline\nDive deeper") is None


BODY = [
    "The city council approved the new harbour budget on Tuesday after a long debate about ferry fares.",
    "Council members said the harbour budget would fund two electric ferries and repair the old pier.",
    "Opposition members argued the ferry fares would rise for commuters who cross the harbour daily.",
    "The mayor promised that commuters would see lower fares once the electric ferries were running.",
]


def test_navigation_run_after_label_dropped() -> None:
    nav = [
        "Explore",
        "Local football club signs young striker from rival team",
        "Weather service warns of heavy snow in the mountains",
        "Museum opens exhibition of medieval manuscripts",
        "Police investigate burglary at jewellery shop downtown",
    ]
    result = clean_text("\n".join(BODY + nav))
    assert result.text.split("\n") == BODY
    assert nav[2] in result.removed


def test_trailing_list_introduced_by_colon_kept() -> None:
    lines = BODY + [
        "The ferries will call at these piers:",
        "June 9 -- North Pier, Old Town, Harbour Road",
        "June 10 -- Fish Market Landing, Westside, Quay Street",
        "June 14 -- Lighthouse Point, Eastside, Cliff Walk",
        "June 17 -- University Dock, Campus, River Lane",
    ]
    assert clean_text("\n".join(lines)).text.split("\n") == lines


def test_subheading_kept_and_stray_headline_dropped() -> None:
    lines = [
        BODY[0],
        "Pop Star Announces Surprise World Tour With Three New Albums",
        BODY[1],
        "Key Disputes Remain Unresolved",
        BODY[2],
        "He declined to comment.",
        BODY[3],
    ]
    result = clean_text("\n".join(lines))
    kept = result.text.split("\n")
    assert "Pop Star Announces Surprise World Tour With Three New Albums" not in kept
    assert "Key Disputes Remain Unresolved" in kept
    assert "He declined to comment." in kept
    assert len(kept) == 6


def test_prompts_stamps_labels_and_duplicates() -> None:
    title = "Harbour budget approved"
    lines = [
        "POLITICS",
        "3 min read",
        title,
        "Updated 3 mins ago",
        BODY[0],
        BODY[0],
        "Read more: Council votes on parking fees",
        "Sign up for our newsletter to get the latest local news delivered to your inbox every day.",
        BODY[1],
        "Source: AFP",
        "Share this article",
    ]
    result = clean_text("\n".join(lines), title=title)
    assert result.text.split("\n") == [BODY[0], BODY[1]]
    assert len(result.removed) == len(lines) - 2


def test_whitespace_normalised_and_quotes_verbatim() -> None:
    quote = "\u201cWe do not need war,\u201d the president said,\u00a0adding  that talks\u202fwould continue on Friday."
    result = clean_text(f"  {quote}  \n\n\n{BODY[0]}\u200b")
    assert result.text.split("\n") == [
        "\u201cWe do not need war,\u201d the president said, adding that talks would continue on Friday.",
        BODY[0],
    ]


def test_real_paragraph_starting_like_a_prompt_is_kept() -> None:
    line = "Related talks in Vienna last year collapsed after both delegations walked out over sanctions."
    shares = "Shares of the ferry operator rose 4% after the council approved the harbour budget on Tuesday."
    result = clean_text("\n".join([line, shares, *BODY]))
    assert result.text.split("\n")[:2] == [line, shares]
