"""Named entities and numbers: spaCy path, normal forms, and the regex fallback."""

from __future__ import annotations

import pytest

from storyline.nlp.entities import (
    ArticleSignals,
    SignalExtractor,
    normalize_entity,
    normalize_number,
    regex_signals,
)

SENTENCE = (
    "US envoy Steve Witkoff met Vladimir Medinsky in Geneva on Tuesday, "
    "17 February 2026, with 43 drones shot down."
)


@pytest.fixture(scope="module")
def extractor() -> SignalExtractor:
    return SignalExtractor()


def test_known_sentence(extractor: SignalExtractor) -> None:
    [sig] = extractor.extract([("", SENTENCE)])
    assert {"steve witkoff", "vladimir medinsky", "geneva"} <= set(sig.entities)
    assert "43" in sig.numbers
    # Dates are not numbers here.
    assert "17" not in sig.numbers and "2026" not in sig.numbers
    assert extractor.uses_spacy and extractor.version.startswith("spacy")


def test_order_types_and_title_case_trim(extractor: SignalExtractor) -> None:
    out = extractor.extract(
        [
            (
                "Michael Steele Criticized for Afghanistan Comments",
                "WASHINGTON — Michael Steele, chairman of the Republican National Committee, drew "
                "criticism after a $5 million fund-raiser with 1,200 guests and six speakers in "
                "Afghanistan.",
            ),
            ("", ""),
            ("Inflation rose 3.2 percent in Germany", "Prices in Germany rose 3.2 percent."),
        ]
    )
    assert len(out) == 3
    first, empty, third = out
    assert "michael steele" in first.entities and "republican national committee" in first.entities
    assert "michael steele criticized" not in first.entities
    assert {"5000000 usd", "1200", "6"} <= set(first.numbers)
    assert empty == ArticleSignals(entities=[], numbers=[])
    assert "germany" in third.entities and third.numbers.count("3.2%") == 1


@pytest.mark.parametrize(
    ("text", "label", "want"),
    [
        ("1,200", "CARDINAL", "1200"),
        ("six", "CARDINAL", "6"),
        ("two dozen", "CARDINAL", "24"),
        ("$5 million", "MONEY", "5000000 usd"),
        ("£1.5bn", "MONEY", "1500000000 gbp"),
        ("about 300 euros", "MONEY", "300 eur"),
        ("12.5%", "PERCENT", "12.5%"),
        ("five per cent", "PERCENT", "5%"),
        ("10 km", "QUANTITY", "10 km"),
        ("dozens", "CARDINAL", None),
    ],
)
def test_normalize_number(text: str, label: str, want: str | None) -> None:
    assert normalize_number(text, label) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("The U.S.'s", "us"),
        ("Steve Witkoff’s", "steve witkoff"),
        ("the White House", "white house"),
        ("al-Qaeda", "al qaeda"),
        ("WASHINGTON —", "washington"),
    ],
)
def test_normalize_entity(text: str, want: str) -> None:
    assert normalize_entity(text) == want


def test_regex_fallback_extractor() -> None:
    sig = regex_signals("", SENTENCE)
    assert {"steve witkoff", "vladimir medinsky", "geneva"} <= set(sig.entities)
    assert "43" in sig.numbers and "17" not in sig.numbers and "2026" not in sig.numbers
    # A Title Case headline is not mined for names; the body still is.
    sig = regex_signals(
        "Michael Steele Criticized for Afghanistan Comments",
        "The chairman, Michael Steele, spoke. The party raised $5 million, up 12%.",
    )
    assert sig.entities == ["michael steele"]
    assert sig.numbers == ["5000000 usd", "12%"]


def test_extractor_falls_back_when_spacy_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def fake_import(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("en_core_web_sm"):
            raise ImportError("model not installed")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", fake_import)
    ex = SignalExtractor(max_words=50)
    [sig] = ex.extract([("", SENTENCE)])
    assert ex.version == "regex/sig1/50" and not ex.uses_spacy
    assert ex.fallback_reason and "model not installed" in ex.fallback_reason
    assert "steve witkoff" in sig.entities and "43" in sig.numbers
