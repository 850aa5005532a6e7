"""What is not a sentence of a report, however well it parses: site furniture (bylines,
"posted in", "on behalf of", subscribe and share prompts, photo credits), calls for tips
("Anyone with information … is asked to call"), teasers cut off with "…", headlines
set as text ("Herald: Sox Make Offer To Teixeira (8 Years?)"), and relative times that
go stale once the page is read a day later ("this morning's fire", "yesterday",
"just last week").

Both writers and the timeline use these tests; the page scorer
(``storyline.evaluate.pages``) keeps its own fixed pattern, so the two can disagree only
in the writer's favour (these catch more).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from storyline.text.lexicon import wordset

__all__ = ["complete_part", "is_advice", "is_column", "is_furniture", "is_headline", "is_stale",
           "is_teaser", "is_tip_line", "not_report", "strip_aside", "strip_stale"]

_FURNITURE = re.compile(
    r"(?:posted in|posted by|on behalf of|click here|subscribe|sign up|newsletter|"
    r"all rights reserved|copyright|©|follow us|read more|related:|advertisement|cookies?\b|"
    r"terms of use|privacy policy|share this|\bphoto(?:graph)?s?:|getty images|/ reuters$|"
    r"\(ap photo|\bphoto by\b|\bphoto credit|email this|comments? \(\d+\)|"
    r"this (?:article|story|post) (?:was|has been) (?:updated|corrected)|staff writer|"
    r"contributed to this report|\bfile photo\b|\bpictured\b|\bwrites for\b|"
    r"\bis a (?:reporter|correspondent|columnist|contributor) (?:for|at|with)\b|"
    r"\b(?:reporting|writing|editing) by\b|\bfollow (?:him|her|them|me) on\b|"
    r"\bon (?:twitter|facebook|instagram) (?:at|@)|\bsee also\b|\bwatch the video\b|"
    r"\bclick (?:to|on)\b|\bdownload (?:our|the) app\b|\bbreaking news alerts?\b|"
    r"\blike us on\b|\bleave a comment\b|\bshare (?:on|via)\b|\bprint this\b|"
    r"\bsend us\b|\bupdated? (?:at )?\d{1,2}:\d{2}|\bpublished \d{1,2}:\d{2}|"
    r"\b\d+ min(?:ute)?s? read\b|\bhours? ago\b|\bminutes? ago\b|\bexplore more\b)",
    re.IGNORECASE)
_TIP = re.compile(
    r"\b(?:anyone (?:with|who has|having) (?:any )?information|(?:is|are) (?:being )?"
    r"(?:asked|urged|encouraged) to (?:call|contact|come forward|phone)|call crime ?stoppers|"
    r"crimestoppers|tip line|tips? (?:can|may) be (?:left|submitted|made)|submit (?:a )?tips?|"
    r"(?:call|contact) (?:the )?(?:police|sheriff|detectives?)\b[^.]{0,40}\bat\b|"
    r"anonymous(?:ly)? tips?|\b1-?800-|\(\d{3}\) ?\d{3}-\d{4}|\b\d{3}-\d{3}-\d{4}\b)",
    re.IGNORECASE)
# Times that mean something only on the day of writing: "this morning's fire".
_STALE = re.compile(
    r"\b(?:this (?:morning|afternoon|evening)(?:['’]s)?|tonight(?:['’]s)?|"
    r"last night(?:['’]s)?|yesterday(?:['’]s)?|earlier today|later today|"
    r"(?:last|this|next) (?:week|weekend|month)['’]s|"
    r"earlier this (?:morning|afternoon|"
    r"evening)|just (?:last|this) (?:week|month)|right now|at (?:the time of|press) time|"
    r"as of this writing|at this hour|a (?:few|couple of) (?:hours|minutes) ago|"
    r"moments ago|so far today)\b",
    re.IGNORECASE)
# The page speaking to its reader ("Even if you don't know who hit you, there are ways to
# obtain compensation"): advice or a sales pitch, not a report of the event.
_YOU = re.compile(r"\b(?:you|your|yours|yourself|you['’](?:re|ve|ll|d))\b", re.IGNORECASE)
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|‘[^’]*’(?!\w)")
# A column's voice rather than a report's: the writer speaking as themself ("I do hope
# Palin's church was not torched because of her beliefs", "For months I have been reading
# the lies about our first family"; a report quotes an "I"), turning to the reader
# ("Note their hypocritical silence about …", "Make no mistake: …") or aside in brackets.
_FIRST_PERSON = re.compile(
    r"(?:^|(?<=[\s,;:(—–-]))I(?:['’](?:m|ve|d|ll))?(?=\s+[a-z])"
    r"|\b(?:[Mm]y|[Mm]ine|[Mm]yself|[Ww]e|[Oo]urs?|[Oo]urselves|me|us)\b")
_TO_THE_READER = re.compile(
    r"^(?:note|consider|remember|imagine|recall|picture this|make no mistake|"
    r"mark my words|don['’]t forget|don['’]t be fooled|let['’]s|let us)\b", re.IGNORECASE)
# The stale times that are adverbs, and so can leave a sentence without breaking it
# ("Police this morning arrested a man" -> "Police arrested a man"). Not "just last week"
# or "just last month": it dates what the sentence tells days before the report, often
# another event ("Just last week, a serious hit-and-run accident took place in Queens"),
# and without it the page would tell that as the story's; such a sentence is refused.
_STALE_ADVERB = re.compile(
    r"\s*,?\s*\b(?:(?:late|early)\s+)?(?:this (?:morning|afternoon|evening)|tonight|last night|"
    r"yesterday(?: (?:morning|afternoon|evening))?|earlier today|"
    r"later today|earlier this (?:morning|afternoon|evening)|just this "
    r"(?:week|month))\b(?![’'-])(?!\s*['’]s)\s*,?", re.IGNORECASE)
_TEASER_END = re.compile(r"(?:…|\.\.\.|\[\.\.\.\]|\[…\])\s*[\"”’)]*\s*$")
# A snippet cut after an article or a preposition, a full stop added ("… and after they
# exited their vehicle to investigate, he pointed a."): no sentence ends so.
_CUT_END = re.compile(r"(?<![\w.'’-])(?:a|an|the|of|and|or|their|its|our|your|my)\.\s*$")
_SMALL = wordset("a an the and or but of in on at to for by with from as is are was "
                   "be vs via over after into")


def is_furniture(sentence: str) -> bool:
    """Site furniture: a byline, a credit, a prompt to the reader, a page's own note."""
    return bool(_FURNITURE.search(sentence))


def is_tip_line(sentence: str) -> bool:
    """A call for tips ("Anyone with information … is asked to call Sgt. La Croix")."""
    return bool(_TIP.search(sentence))


def is_teaser(sentence: str) -> bool:
    """A sentence cut off with an ellipsis (a feed teaser, "… taking over will be"), or
    one that opens on one: the rest of a thought begun elsewhere ("… ok, so, the Sox
    have the high offer, the Angels are out")."""
    s = sentence.strip()
    return bool(_TEASER_END.search(s) or _CUT_END.search(s) or _CUT_START.match(s))


_CUT_START = re.compile(r"[\"“‘'(\[]?\s*(?:…|\.\.\.)")


def is_stale(sentence: str) -> bool:
    """A relative time that goes stale on the page ("this morning's fire")."""
    return bool(_STALE.search(sentence))


def is_advice(sentence: str) -> bool:
    """The text addressing its reader outside any quotation ("Whether you work with an
    attorney or …, there are ways to make sure you get the financial help you need"):
    a law firm's advice, a how-to, a pitch; reports speak of others."""
    return bool(_YOU.search(_QUOTED.sub(" ", sentence)))


def is_column(sentence: str) -> bool:
    """A columnist's voice: "I", "we" or "our" outside the sentence's quotations (an "I"
    after a capitalised word is a numeral: "World War I veterans"), a turn to the reader
    ("Note …", "Imagine if …"), or a sentence wholly in brackets ("(But to state the
    obvious, …)")."""
    s = sentence.strip()
    if _TO_THE_READER.match(s) or (s.startswith("(") and s.rstrip(".").endswith(")")):
        return True
    text = _QUOTED.sub("", s)
    for m in _FIRST_PERSON.finditer(text):
        if m.group(0)[0] != "I":
            return True
        before = text[:m.start()].split()
        if not before or not before[-1][:1].isupper():
            return True
    return False


# A writer's aside in brackets, an interjection rather than a fact: "(uh huh)", "(sigh)",
# "(yes, really)", "(!)".
_ASIDE = re.compile(
    r"\s*\((?:(?:uh|um|ugh|sigh|lol|yikes|oops|whoops|wow|ha|heh|hmm|duh|oh|ahem|gasp|"
    r"yes|yep|no|nope|really|seriously|of course|surprise|shocker)(?:[ ,]+(?:huh|ha|really|"
    r"no|yes|oh|well|seriously|surprise|indeed))*[.!?]*|[!?]+)\)", re.IGNORECASE)


def strip_aside(text: str) -> str:
    """``text`` without a writer's bracketed interjection ("got spooked by the paparazzi
    (uh huh) and then jumped back into her SUV" -> "… paparazzi and then jumped …")."""
    return _ASIDE.sub("", text)


def strip_stale(text: str) -> str:
    """``text`` without its stale adverbial times outside quotations ("Staunton Police
    this morning arrested …" -> "Staunton Police arrested …", "Last night, the Senate
    voted …" -> "The Senate voted …"); a possessive ("tonight's game") or a quoted one
    stays: it cannot leave without changing the sentence."""
    quoted = [m.span() for m in _QUOTED.finditer(text)]

    def drop(m: re.Match[str]) -> str:
        if any(a <= m.start() < b for a, b in quoted):
            return m.group(0)
        said = m.group(0).strip()
        # "After the fire just this week, residents …": the comma closes the phrase
        # before it and stays; ", just this week," set off on both sides goes whole.
        if said.endswith(",") and not said.startswith(",") and text[: m.start()].strip():
            return ", "
        return " "

    out = " ".join(_STALE_ADVERB.sub(drop, text).split())
    out = re.sub(r"\s+([,.;:!?])", r"\1", out).lstrip(" ,")
    return out[:1].upper() + out[1:] if out else text


# Where a teaser's complete part ends: a clause break before the cut ("…, calling his
# vote “disgraceful” and saying he will …", "… — but also slapped new restrictions …").
_TEASER_BREAK = re.compile(
    r",\s+(?=(?:\w+ing|who|which|where|while|as|after|before|but|and|saying|according|"
    r"amid|including|despite|even|with)\b)|\s+[—–]\s+|;\s+|\s+--\s+")


def complete_part(teaser: str, min_words: int = 8) -> str | None:
    """The complete sentence a teaser cut off with "…" starts with: its text up to the
    last clause break before the cut, with a full stop, when that leaves at least
    ``min_words`` words and balanced quotes ("President Trump on Tuesday renewed his
    attacks on the late Sen. John McCain, calling … a fan of the …" -> "President
    Trump on Tuesday renewed his attacks on the late Sen. John McCain."); None when
    no such part exists."""
    body = _CUT_END.sub("", _TEASER_END.sub("", teaser.strip())).rstrip()
    for m in reversed(list(_TEASER_BREAK.finditer(body))):
        head = body[: m.start()].rstrip(" ,;:—–-")
        head = re.sub(r",([\"”’])$", r".\1", head)  # '… his belt "suspiciously,"'
        if _CUT_END.search(head + ".") or re.search(r"\b(?:but|to|that)$", head):
            continue  # "… adjusted his belt and": cut inside a phrase too
        if len(head.split()) < min_words:
            return None
        if head.count("\"") % 2 or head.count("“") != head.count("”") or \
                head.count("(") != head.count(")"):
            continue
        return head + ("" if head.endswith((".", "!", ".”", ".\"")) else ".")
    return None


@functools.lru_cache(maxsize=64)
def _comparable(titles: tuple[str, ...]) -> tuple[str, ...]:
    """A story's titles as ``is_headline`` compares them (whitespace collapsed, lower
    case, no closing punctuation; longer than 12 characters), worked out once per story
    rather than once per sentence."""
    out = (" ".join(t.split()).lower().rstrip(".!?… ") for t in titles)
    return tuple(t for t in out if len(t) > 12)


def is_headline(sentence: str, titles: Iterable[str] = ()) -> bool:
    """A headline set as text: one of the articles' titles, "Herald: Sox Make Offer To
    Teixeira (8 Years?)" (most words capitalised, a "Source:" prefix or a question in
    brackets), or a line with no verb-like lower-case word at all."""
    s = " ".join(sentence.split()).strip()
    low = s.lower().rstrip(".!?…\"”’ ")
    for t in _comparable(tuple(titles)):
        if low == t or low.startswith(t + " ") or (len(t) >= 0.8 * len(low) and t in low):
            return True
    words = re.findall(r"[A-Za-z][A-Za-z'’-]*", s)
    if len(words) < 4:
        return False
    big = [w for w in words if w.lower() not in _SMALL]
    caps = sum(1 for w in big if w[:1].isupper())
    if big and caps / len(big) >= 0.8 and len(big) >= 4 and not s.endswith("."):
        return True  # Title Case Throughout and no full stop: a headline, not a sentence
    return bool(re.search(r"\(\d+[^)]*\?\)", s))


def not_report(sentence: str, titles: Iterable[str] = ()) -> str | None:
    """Why the sentence is not a sentence of a report (None when it is one)."""
    if is_furniture(sentence):
        return "furniture"
    if is_tip_line(sentence):
        return "tip line"
    if is_teaser(sentence):
        return "teaser"
    if is_advice(sentence):
        return "advice"
    if is_column(sentence):
        return "column voice"
    if is_stale(sentence):
        return "stale time"
    if is_headline(sentence, titles):
        return "headline"
    return None
