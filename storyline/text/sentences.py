"""The one sentence splitter: cheap, rule-based and abbreviation-aware.

A sentence ends at ``.``, ``!`` or ``?`` (with any closing quotes or brackets) followed by
whitespace and a capital letter, digit or opening quote, or at a line break; a full stop
after a known abbreviation ("Mr.", "Jan.", "Calif.", "U.S.", an initial) ends nothing, nor
does one inside a bracket that closes on the same line within a few words ("a record of
56-26 (. 683) and a spot in the Finals": a figure a tokeniser split), nor one before a
bare three-digit figure and a lower-case word ("Teixeira hit. 308 with 33 homers") or
after an article ("pointed a. 357 caliber gun").
Used by temporal expressions, the writer, the verifier and the LexRank baseline.
"""

from __future__ import annotations

import re

__all__ = ["CALIBRE", "NAME_TITLES", "split_sentences"]

# Titles and ranks that stand before a name ("Const. Tim Fanning", "Dist. Atty. Steve
# Cooley"): abbreviations that end no sentence, as alternatives of a pattern.
NAME_TITLES = (r"Mr|Mrs|Ms|Dr|Sen|Sens|Rep|Reps|Gov|Gen|Gens|Lt|Col|Sgt|Capt|Maj|Cpl|Pvt|Adm"
               r"|Cmdr|Brig|Det|Insp|Supt|Const|Atty|Dist|Hon|Prof|Rev")
_ABBREV = re.compile(
    r"(?:\b(?:" + NAME_TITLES + r"|St|Jr|Sr|Inc|Co|Corp"
    r"|Ltd|No|vs|Ft|Mt|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|a\.m|p\.m"
    r"|approx|est|Calif|Conn|Penn|Mass|Fla|Ga|Ill|Mich|Minn|Mo|Wash|Ariz|Colo|Tenn|Va|Wis"
    r"|Ky|La|Md|Nev|Okla|Ore|Pa|Tex)|\b[A-Z]|(?:[A-Z]\.)+[A-Z])$"
)
# A stop a tokeniser set apart from its decimals ("Teixeira hit. 308 with 33 homers", "a
# loaded. 38-caliber revolver"): a sentence does not open on a bare three-digit figure and
# a lower-case word (news style spells a number out at the start of a sentence; a year
# has four digits), nor on a calibre.
CALIBRE = r"\d{2,3}[-\s]?(?i:caliber|calibre|magnum)\b"  # "38-caliber", "357 Magnum"
_SPLIT_DECIMAL = re.compile(r"\d{3}\s+[a-z]|" + CALIBRE)
# Nor after an article: a sentence never ends on "a" or "the" ("pointed a. 357 caliber
# gun", "a. 38-caliber revolver was recovered": a calibre a tokeniser split).
_ARTICLE_END = re.compile(r"(?:^|\s)(?:a|an|the)$")
_BRACKET_REACH = 40  # characters after a stop within which an open bracket must close
_SENT_END = re.compile(r"[.!?][”\"’')\]]*\s+(?=[“\"‘'(\[]?[A-Z0-9])|\n+")


def _inside_brackets(text: str, start: int, m: re.Match[str]) -> bool:
    """The stop at ``m`` sits in a bracket opened in this sentence that closes soon after
    on the same line."""
    before = text[start:m.start()]
    if before.count("(") <= before.count(")"):
        return False
    close = text.find(")", m.start(), m.end() + _BRACKET_REACH)
    return close >= 0 and "\n" not in text[m.start():close]


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of the sentences of ``text``, without their
    leading whitespace; blank stretches give no sentence."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENT_END.finditer(text):
        if m.group(0)[0] == ".":
            head = text[max(start, m.start() - 12):m.start()]
            if _ABBREV.search(head):
                continue
            if _inside_brackets(text, start, m) or _SPLIT_DECIMAL.match(text, m.end()) \
                    or _ARTICLE_END.search(head):
                continue
        end = m.start() + len(m.group(0).rstrip())
        if text[start:end].strip():
            spans.append((start, end))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    # trim leading whitespace
    return [(s + (len(text[s:e]) - len(text[s:e].lstrip())), e) for s, e in spans]
