"""The lexicon, the sentence splitter and the lead text: one place for each piece of
language knowledge, and every stage composing the set it always had from it."""

from __future__ import annotations

import subprocess
import sys

from storyline.cluster.represent import STOPWORDS as CLUSTER_STOPWORDS
from storyline.cluster.represent import terms_of
from storyline.extract.clean import STOPWORDS as CLEAN_STOPWORDS
from storyline.extract.clean import boilerplate_reason, content_stems
from storyline.extract.plaintext import parse_plain_text
from storyline.nlp.entities import regex_signals
from storyline.storage.search import STOP_WORDS as SEARCH_STOP_WORDS
from storyline.text.lead import lead_text
from storyline.text.lexicon import (
    AGENCIES,
    AGENCY_CREDITS,
    CONTRACTION_PIECES,
    EVENT_NEUTRAL_WORDS,
    FUNCTION_WORDS,
    HONORIFICS,
    MONTH_ABBREVIATIONS,
    MONTH_NAMES,
    MONTH_NUMBERS,
    MONTHS,
    MORE_FUNCTION_WORDS,
    NEWS_FILLER,
    PHRASE_BREAKS,
    REPORTING_VERBS,
    SENTENCE_OPENERS,
    WEEKDAYS,
    WIRE_SERVICES,
    wordset,
)
from storyline.text.sentences import split_sentences
from storyline.write.facts import quantities
from storyline.write.html import fmt_date

# PostgreSQL 16 share/tsearch_data/english.stop, verbatim: search drops these from bare
# words on SQLite too, so the lexicon's composition must give exactly this list.
POSTGRES_ENGLISH_STOP = """
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
she her hers herself it its itself they them their theirs themselves what which who whom
this that these those am is are was were be been being have has had having do does did
doing a an the and but if or because as until while of at by for with about against
between into through during before after above below to from up down in out on off over
under again further then once here there when where why how all any both each few more
most other some such no nor not only own same so than too very s t can will just don
should now
"""


def test_wordset_reads_a_block_of_words() -> None:
    assert wordset(" a  b\nc\tb ") == frozenset({"a", "b", "c"})
    assert wordset("") == frozenset()


def test_search_stop_words_are_postgresql_english_stop() -> None:
    assert wordset(POSTGRES_ENGLISH_STOP) == SEARCH_STOP_WORDS
    assert len(SEARCH_STOP_WORDS) == 127
    assert CONTRACTION_PIECES <= SEARCH_STOP_WORDS


def test_base_and_additions_are_different_words() -> None:
    assert len(FUNCTION_WORDS) == 127
    additions = [MORE_FUNCTION_WORDS, REPORTING_VERBS, HONORIFICS, NEWS_FILLER,
                 EVENT_NEUTRAL_WORDS, WIRE_SERVICES, CONTRACTION_PIECES]
    for k, one in enumerate(additions):
        assert not one & FUNCTION_WORDS, sorted(one & FUNCTION_WORDS)
        for other in additions[k + 1:]:
            assert not one & other, sorted(one & other)
    assert SENTENCE_OPENERS <= FUNCTION_WORDS
    assert all(w == w.lower() for s in [FUNCTION_WORDS, *additions] for w in s)


def test_clustering_stop_words() -> None:
    assert len(CLUSTER_STOPWORDS) == 170
    assert {"said", "reuters", "afp", "people", "months", "mr", "the", "via"} <= CLUSTER_STOPWORDS
    assert not {"dr", "tell", "gets", "may", "us", "amid"} & CLUSTER_STOPWORDS
    got = terms_of("Reuters reported that three people said the ceasefire talks resumed")
    assert dict(got) == {"ceasefire": 1, "talk": 1, "resumed": 1}


def test_cleaner_stop_words() -> None:
    assert len(CLEAN_STOPWORDS) == 161
    assert {"tell", "gets", "may", "shall", "us", "amid", "per", "dr", "according"} <= CLEAN_STOPWORDS
    assert not {"news", "reuters", "people", "three", "months"} & CLEAN_STOPWORDS
    assert content_stems("Officials told reporters the ceasefire may hold") == [
        "offici", "report", "ceasef", "hold"]


def test_phrase_breaks_end_a_counted_phrase() -> None:
    assert len(PHRASE_BREAKS) == 70
    assert {"said", "among", "whose", "fewer", "may"} <= PHRASE_BREAKS
    q = quantities("Officials said 12 people were killed on February 18")
    # "people" is counted and the phrase ends before "were"; "February 18" is a date.
    assert [(x.value, x.unit, x.phrase) for x in q] == [(12.0, "people", "12 people")]


def test_months_and_weekdays() -> None:
    assert len(MONTHS) == 12 and MONTHS[4] == "may"
    assert MONTH_NUMBERS == {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
                             "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}
    assert [m.lower() for m in MONTH_ABBREVIATIONS] == list(MONTH_NUMBERS)
    assert MONTH_NUMBERS["sep"] == 9 and MONTH_NUMBERS["dec"] == 12
    assert {MONTH_NUMBERS[m[:3]] for m in MONTHS} == set(range(1, 13))
    assert len(MONTH_NAMES) == 24 and "sept" in MONTH_NAMES and "june" in MONTH_NAMES
    assert WEEKDAYS[0] == "monday" and len(WEEKDAYS) == 7
    assert fmt_date("2026-02-18T08:00:00Z") == "18 Feb 2026"
    assert fmt_date("2026-09-01", "month") == "Sep 2026"


def test_regex_entities_skip_sentence_openers_and_calendar_words() -> None:
    # At a sentence start "On", "Monday" and "Dr." are stripped from the run.
    sig = regex_signals("", "On Monday Dr. Smith met Angela Merkel. In March 12 talks began.")
    assert sig.entities == ["smith", "angela merkel"]
    assert sig.numbers == []  # "March 12" is a date


def test_agencies() -> None:
    assert AGENCY_CREDITS.items() <= AGENCIES.items()
    assert AGENCY_CREDITS.keys() >= WIRE_SERVICES
    assert len(AGENCIES) == 23 and AGENCIES["the associated press"] == "AP"
    assert all(k == k.lower() for k in AGENCIES)
    for line in ["(AFP)", "— Reuters", "Anadolu Agency", "[dpa]", "Getty Images", "AGENCIES"]:
        assert boilerplate_reason(line) == "credit line", line
    for line in ["Kyodo", "The Associated Press", "AFP reported"]:
        assert boilerplate_reason(line) is None, line
    article = parse_plain_text("Talks resume\n\nGENEVA (Reuters/AP) — Talks resumed on Monday "
                               "after a pause of six weeks, officials from both sides said.")
    assert article.agency == "Reuters, AP"


def test_sentence_splitter() -> None:
    text = ("Mr. Smith met Gov. Newsom on Jan. 5 in Calif. today. He left! "
            "Did U.S. troops go? “Yes,” he said.\nNew line here")
    got = [text[a:b] for a, b in split_sentences(text)]
    assert got == ["Mr. Smith met Gov. Newsom on Jan. 5 in Calif. today.", "He left!",
                   "Did U.S. troops go?", "“Yes,” he said.", "New line here"]
    # ranks and offices before a name ("Const. Fanning", "Dist. Atty. Steve Cooley")
    text = ("Police surrounded the building, Const. Fanning said. This was the kind of crime "
            "the death penalty was made for, said Dist. Atty. Steve Cooley. Det. Insp. Ray "
            "Smith agreed.")
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "Police surrounded the building, Const. Fanning said.",
        "This was the kind of crime the death penalty was made for, said Dist. Atty. "
        "Steve Cooley.", "Det. Insp. Ray Smith agreed."]
    assert split_sentences("   ") == []
    assert split_sentences("  One.  Two.") == [(2, 6), (8, 12)]
    # a stop in a bracket that closes a few words on ends nothing (a tokeniser's "(. 683)");
    # one whose bracket never closes, or closes on a later line, still does
    text = ("In 2000-01 the 76ers went 56-26 (. 683) and reached the Finals. They lost. "
            "(See below. Then more text follows here and goes on and on without end.)")
    got = [text[a:b] for a, b in split_sentences(text)]
    assert got == ["In 2000-01 the 76ers went 56-26 (. 683) and reached the Finals.",
                   "They lost.", "(See below.",
                   "Then more text follows here and goes on and on without end.)"]
    assert len(split_sentences("A (first. Second.\nThird) line.")) == 3
    # nor one a tokeniser set before a batting average; a year or a capital still opens one
    text = ("Last season Teixeira hit. 308 with 33 homers and 121 RBIs. 2008 was his best "
            "year. 308 Fans came.")
    got = [text[a:b] for a, b in split_sentences(text)]
    assert got == ["Last season Teixeira hit. 308 with 33 homers and 121 RBIs.",
                   "2008 was his best year.", "308 Fans came."]
    text = ("Police said Gray pointed a. 38-caliber revolver at them. An autopsy followed. "
            "Police said a loaded. 38-caliber revolver was recovered.")
    got = [text[a:b] for a, b in split_sentences(text)]
    assert got == ["Police said Gray pointed a. 38-caliber revolver at them.",
                   "An autopsy followed.",
                   "Police said a loaded. 38-caliber revolver was recovered."]


def test_lead_text_is_title_and_first_words() -> None:
    assert lead_text("Big Storm Hits Coast", "big storm hits coast.\nRain fell all day", 3) == (
        "Big Storm Hits Coast. Rain fell all")
    assert lead_text("Done!", "Body text", 10) == "Done! Body text"
    assert lead_text("", "  a  b ", 10) == "a b"


def test_entities_do_not_load_the_encoder() -> None:
    code = ("import sys, storyline.nlp.entities, storyline.extract.clean, storyline.text.dates\n"
            "bad = [m for m in sys.modules if m in ('storyline.nlp.encoder', 'numpy', 'torch',"
            " 'dateparser')]\n"
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
