"""Temporal expression resolution: gold accuracy, negatives and unit cases."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from storyline.nlp.temporal import TimeMention, resolve_mentions

DATA = Path(__file__).parent / "data"


def _pub(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=UTC)


def _load(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip()]


def _iso(m: TimeMention) -> str:
    return m.date.isoformat()[:{"day": 10, "month": 7, "year": 4}[m.precision]]


def _find(text: str, published: str, expr: str) -> TimeMention | None:
    s = text.index(expr)
    e = s + len(expr)
    hits = [m for m in resolve_mentions(text, _pub(published)) if m.start < e and m.end > s]
    return hits[0] if hits else None


def test_gold_accuracy() -> None:
    gold = _load("temporal_gold.jsonl")
    assert len(gold) >= 120
    ok = 0
    misses = []
    for g in gold:
        sent = g["sentence"]
        s = sent.index(g["expression"])
        e = s + len(g["expression"])
        hits = [m for m in resolve_mentions(sent, _pub(g["published"]))
                if m.start < e and m.end > s
                and m.precision == g["precision"] and _iso(m) == g["date"]]
        if hits:
            ok += 1
        else:
            misses.append((g["published"], g["expression"], g["date"]))
    acc = ok / len(gold)
    print(f"\ntemporal gold accuracy: {acc:.3f} ({ok}/{len(gold)}); misses: {misses}")
    assert acc >= 0.90


def test_negatives_not_resolved() -> None:
    for n in _load("temporal_negatives.jsonl"):
        sent = n["sentence"]
        mentions = resolve_mentions(sent, _pub(n["published"]))
        for bad in n["not_dates"]:
            s = sent.index(bad)
            e = s + len(bad)
            hit = [m for m in mentions if m.start < e and m.end > s]
            assert not hit, (bad, sent, hit)


@pytest.mark.parametrize(
    ("text", "published", "expr", "want", "precision"),
    [
        ("Talks resumed in Geneva on Wednesday.", "2026-02-19", "on Wednesday", "2026-02-18", "day"),
        ("Russia launched its full-scale war in Ukraine in February 2022.", "2026-02-18",
         "February 2022", "2022-02", "month"),
        ("The Geneva talks come one week before the fourth anniversary of Russia’s full-scale "
         "invasion of Ukraine, which began on February 24, 2022.", "2026-02-18",
         "February 24, 2022", "2022-02-24", "day"),
        ("The invasion began on 24 Feb 2022.", "2026-02-18", "24 Feb 2022", "2022-02-24", "day"),
        ("Delegations will meet again on Friday.", "2026-02-18", "Friday", "2026-02-20", "day"),
        ("Talks are set to resume on Monday.", "2026-02-18", "Monday", "2026-02-23", "day"),
        ("They will hold a vote next Friday.", "2026-02-18", "next Friday", "2026-02-20", "day"),
        ("The vote was held on Friday.", "2026-02-18", "Friday", "2026-02-13", "day"),
        ("Officials met last Wednesday.", "2026-02-18", "last Wednesday", "2026-02-11", "day"),
        ("The deal was signed Feb. 10, officials said.", "2026-02-18", "Feb. 10", "2026-02-10", "day"),
        ("The report was published Dec. 30.", "2026-02-18", "Dec. 30", "2025-12-30", "day"),
        ("The ceasefire will take effect on March 3.", "2026-02-18", "March 3", "2026-03-03", "day"),
        ("Turnout fell last year.", "2026-02-18", "last year", "2025", "year"),
        ("Crimea was annexed in 2014.", "2026-02-18", "2014", "2014", "year"),
        ("He visited Kyiv four years ago.", "2026-02-18", "four years ago", "2022", "year"),
        ("He spoke to reporters yesterday.", "2026-02-18", "yesterday", "2026-02-17", "day"),
        ("The talks began today.", "2026-02-18", "today", "2026-02-18", "day"),
        ("Prices rose in January.", "2026-02-18", "January", "2026-01", "month"),
        ("The summit is planned for next March.", "2026-08-18", "next March", "2027-03", "month"),
        ("Exports rose earlier this month.", "2026-02-18", "this month", "2026-02", "month"),
        ("Posted: 08/02/2013 11:10 am EDT", "2013-08-02", "08/02/2013", "2013-08-02", "day"),
        ("MONDAY, MAY 23, 2005", "2005-05-23", "MAY 23, 2005", "2005-05-23", "day"),
    ],
)
def test_unit_cases(text: str, published: str, expr: str, want: str, precision: str) -> None:
    m = _find(text, published, expr)
    assert m is not None, (text, expr)
    assert (_iso(m), m.precision) == (want, precision)
    assert m.sentence.strip() and m.text in m.sentence
    assert text[m.start:m.end] == m.text


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("The talks lasted six hours, and they may resume for two days.", "six hours"),
        ("The talks lasted six hours, and they may resume for two days.", "may"),
        ("The talks lasted six hours, and they may resume for two days.", "for two days"),
        ("We will march on Kyiv, the 40-year-old said at 10:30.", "We"),
        ("We will march on Kyiv, the 40-year-old said at 10:30.", "march"),
        ("We will march on Kyiv, the 40-year-old said at 10:30.", "10:30"),
        ("The Sun reported that Theresa May had resigned.", "Sun"),
        ("The Sun reported that Theresa May had resigned.", "May"),
        ("Sales recently topped 2500 units.", "recently"),
        ("Sales recently topped 2500 units.", "2500"),
    ],
)
def test_skips(text: str, bad: str) -> None:
    assert _find(text, "2026-02-18", bad) is None


def test_never_raises_and_sentence_offsets() -> None:
    pub = _pub("2026-02-18")
    for odd in ["", " ", "\x00\x01", "31/02/2013 Feb. 31 February 30, 2020", "9" * 5000,
                "Monday" * 200]:
        assert isinstance(resolve_mentions(odd, pub), list)
    assert resolve_mentions("On Monday.", date(2026, 2, 18))[0].date == date(2026, 2, 16)
    text = "Mr. Smith arrived on Monday. He left on Tuesday.\nThey met in June."
    ms = resolve_mentions(text, pub)
    assert [m.sentence for m in ms] == ["Mr. Smith arrived on Monday.", "He left on Tuesday.",
                                        "They met in June."]
