"""The extractive writer: picks central source sentences, groups them into titled
sections by sub-topic, cites every source that supports each sentence, and verifies
every sentence before it is printed. No model invents text here.

Steps: candidate sentences (complete, self-contained, not boilerplate) → embeddings →
centrality (similarity to the story centre, corroboration by other outlets, lead
position) → sub-topic groups (average-linkage clustering) → per group, sentences by
maximal marginal relevance (no near-repeats anywhere in the summary) → citations for
each sentence (its source plus every source with a matching sentence) → verifier →
section titles from each group's distinctive phrases → headline from the most central
title → timeline from the dated events the sources mention.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer

from storyline.cluster.represent import STOPWORDS
from storyline.nlp.encoder import Embedder
from storyline.nlp.temporal import is_relative, resolve_mentions
from storyline.text.lexicon import MONTHS, NEWSROOM_TAGS, WEEKDAYS, wordset
from storyline.text.sentences import CALIBRE, NAME_TITLES, split_sentences
from storyline.write.factgroups import (
    Fact,
    claim_phrases,
    group_facts,
    key_terms,
    same_claim,
    tells_again,
    wording,
)
from storyline.write.facts import external_links, find_conflicts
from storyline.write.furniture import (
    complete_part,
    is_stale,
    is_teaser,
    not_report,
    strip_aside,
    strip_stale,
)
from storyline.write.keyphrases import Phrase, PhraseTagger, full_names
from storyline.write.polarity import contradicts, reverses
from storyline.write.schema import (
    Image,
    RelatedArticle,
    Section,
    Sentence,
    SourceRef,
    StoryArticle,
    StorySummary,
    TimelineEntry,
)
from storyline.write.trim import TITLE_SMALL_WORDS
from storyline.write.verify import SAME_THING, Source, Verdict, Verifier

MIN_SENTENCE_WORDS, MAX_SENTENCE_WORDS = 8, 60  # a summary sentence's length
SECTION_MIN, SECTION_MAX = 2, 4
MAX_SECTIONS = 6
SUPPORT_COSINE = 0.80  # another source "says the same" above this sentence similarity
CITE_COSINE = 0.6  # a source with a sentence this alike is asked to confirm a sentence
MAX_ASKED = 6  # other sources asked to confirm one sentence
BIG_CITE_COSINE = 0.7  # the same in a story of more than 2 * MAX_ASKED sources
REDUNDANT_COSINE = 0.80  # two summary sentences closer than this repeat each other
GROUP_CUT = 0.50  # cosine distance cut between sub-topic groups
# A group of at most MERGE_SMALL sentences this alike to another (centroids) joins it,
# up to MERGE_MAX sentences: "territorial demands" and "security guarantees" are one theme.
MERGE_SMALL, MERGE_MAX, MERGE_COSINE = 5, 10, 0.64
LONE_FACT_COSINE = 0.45  # a corroborated fact alone joins the group of its likest fact
GROUP_MMR = 0.5  # how much likeness to an earlier section costs a sub-topic
BACKGROUND_DAYS = 60  # a sentence about a date this long before its article is background
MAX_HEADLINE = 90
CANDIDATE_CAP, MIN_PER_ARTICLE = 600, 6  # candidate sentences of a big story
PLACE_SAMPLE = 24  # leads read to find where the event happens
TITLE_WEIGHT = 0.3  # how much a sentence's likeness to the outlets' titles adds
SMALL_STORY_WORDS = 600  # less candidate text than this: a single short section
BUDGET_SHARE = 0.3  # summary words per word of candidate text (small stories: ~ leads)
MIN_BUDGET = 40
FACT_POOL = 60  # the strongest facts a page chooses from
HEADLINE_MIN_WORDS = 3  # a page headline tells the news: "Sheriff's Deputy Shot and Killed"
LEAD_SENTENCES = 2  # of each article, trimmed to a headline where no title tells the news
TRIMMED_HEADLINE_WORDS = 5  # such a headline names the story ("Prospect Casts Long Shadow" is none)
CORROBORATION = 0.35  # what reporting by every outlet (rather than one) adds to a fact
TITLE_MIN_WORDS, TITLE_MAX_WORDS = 4, 12  # a section title cut from its lead sentence
# Nouns that name nothing in particular: never a section title alone.
_GENERIC_NOUNS = wordset("""behalf part parts number lot lots way ways time times thing things
people person man men woman women child children group groups side sides office officials
official report reports statement statements case cases issue issues matter matters week
weeks day days year years month months show news story stories source sources area areas
place places world country state states team member members fact facts point points
street streets avenue avenues road roads boulevard lane drive
""")


def _content_words(title: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", title.lower())
            if len(w) > 2 and w not in STOPWORDS}


# "Editor's note: …", "Correction: …", "UPDATE — …": the outlet speaking to its readers.
_NOTE = re.compile(r"^(?:editor['’]?s['’]? note|note to readers|correction|clarification|"
                   r"update[d]?|disclosure|disclaimer)\s*[:—–-]", re.IGNORECASE)
# Sentences that lean on context they do not carry read badly out of place.
_DANGLING = re.compile(
    r"^(?:but|and|or|so|also|however|meanwhile|still|yet|he|she|they|it|this|that|these|"
    r"those|his|her|their|its|there|here|such|both|the two|the latter|the former|"
    r"(?:one|two|some|many|most|all|each|none|several) of (?:them|those|these))\b",
    re.IGNORECASE,
)
# A connective that ties a sentence to the one before it in its article ("Meanwhile,
# Ukrainian chief negotiator Rustem Umerov said …", "Prior to that, Russian forces
# launched …"): on a page of facts from several reports it points at nothing, and the
# sentence after it stands alone.
_CONNECTIVE = re.compile(
    r"^(?:meanwhile|however|also|additionally|moreover|furthermore|in addition|separately|"
    r"nevertheless|nonetheless|notably|indeed|in turn|at the same time|by contrast|"
    r"in contrast|conversely|likewise|similarly|prior to that|before that|after that|"
    r"for (?:his|her|its|their) part),\s+(?=[\w\"“‘'])", re.IGNORECASE)
# The same connectives set off after the subject ("Moscow, in turn, alleged …").
_ASIDE = re.compile(r"^([A-Z][\w'’.-]{0,30}(?:\s+[\w'’.-]{1,30}){0,3}),\s+(?:in turn|however|"
                    r"meanwhile|too|also|for (?:his|her|its|their) part)\s*,(?=\s)",
                    re.IGNORECASE)  # "The actress, however, has since checked in …"
# "X was also charged", "The indictment also alleges": a sentence that adds to another.
_ADDS_TO = re.compile(r"^(?:[\w'’.,-]+\s+){1,5}(?:also|again)\b", re.IGNORECASE)
_NAME = re.compile(r"(?<=[a-z,] )[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+")  # "Jared Kushner"
NAME_BONUS = 0.08  # per name (at most two) a section's later sentence adds to the summary
_OUTLET_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]{2,40}$")
# A full stop a headline keeps: an initial or abbreviation's ("U.S.", "Inc.", "Jr."), an
# ellipsis's.
_KEPT_STOP = re.compile(r"(?:\b[A-Za-z]|\b(?:Inc|Jr|Sr|Co|Corp|Ltd|Bros|St|No|vs)|\.\.)\.$")
# "GENEVA: ", "KYIV, Ukraine (AP) — ", "WASHINGTON (Reuters) - " before a lead.
# Words that open a paragraph with a colon and are no place.
_LABELS = ("Update", "Updated", "Note", "Editor", "Editors", "Correction", "Clarification",
           "Warning", "Watch", "Video", "Photo", "Photos", "Breaking", "Exclusive", "Opinion",
           "Analysis", "Related", "Read", "Source", "Sources", "Caption", "Credit", "Question",
           "Answer", "Statement", "Quote", "Background", "Context", "Summary", "Live",
           "Also", "Advertisement", "Listen", "Transcript", "Q", "A")
_DATELINE = re.compile(
    r"^[A-Z][A-Z .'’-]{2,30}(?:,\s+[A-Z][\w .'’-]{1,30})?\s*(?:\([A-Za-z .&-]{2,30}\)\s*)?"
    # an em dash set close is a dateline too ("MINNEAPOLIS—Minnesota Gov. Tim Walz …"),
    # an en dash a compound ("NATO–Russia ties")
    r"(?:[:—–-]+\s+|—)(?=[A-Z\"“‘'])"
    # a broadcaster's or agency's tag, after a place or none: "(CNN)Stabbings …",
    # "Washington (CNN) - Dr. Anthony Fauci …", "(Reuters) - "; never a party ("(R)")
    r"|^(?!(?:The|A|An) )(?:[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,2},? )?"
    r"\((?:" + "|".join(re.escape(t) for t in sorted(NEWSROOM_TAGS, key=len, reverse=True))
    + r")\)"
    r"\s*(?:[:—–-]+\s*)?(?=[A-Z\"“‘'])"
    # "New Delhi / Mumbai: An Indian warship …" (a place in title case, then a colon);
    # never a label ("Update: …", "Editor's note: …", "Watch: …")
    r"|^(?!(?:" + "|".join(_LABELS) + r")\b)[A-Z][a-z]+(?: [A-Z][a-z]+){0,2}"
    r"(?: ?/ ?[A-Z][a-z]+(?: [A-Z][a-z]+){0,2})*:\s+(?=[A-Z][a-z])")
# Stock openers that make a headline shout rather than inform.
_HEADLINE_PREFIX = re.compile(
    r"^(?:breaking(?: news)?|watch|live|exclusive|just in|update[d]?|opinion|analysis|"
    r"video|photos?|explainer)\s*[:|–—-]\s*", re.IGNORECASE)
# Nouns of events that happen somewhere: a headline about one gains its place.
_EVENT_NOUNS = re.compile(
    r"\b(?:talks|negotiations|summit|meeting|meetings|conference|election|elections|vote|"
    r"referendum|protests?|rally|rallies|attacks?|strikes?|bombing|shooting|crash|fire|"
    r"wildfires?|blast|explosion|earthquake|quake|floods?|storm|hurricane|trial|hearing|"
    r"riots?|clashes|ceasefire|visit|match|final|games|festival|ceremony)\b",
    re.IGNORECASE)


# "since September": the start of a span, not the day of the sentence's event.
def _voiced(sentence: str) -> bool:
    """A sentence someone says or asks: it opens on a quotation mark or ends on "?"."""
    return sentence[:1] in "\"“‘'" or sentence.rstrip("\"”’' ").endswith("?")


# A date that modifies a noun ("an April 2007 shooting", "the 2010 rampage").
_ATTRIBUTIVE = re.compile(r"\b(?:an?|the|its|their|his|her|this|that)\s+$", re.IGNORECASE)
_NOUN_AFTER = re.compile(r"\s+[a-z][\w-]*\b")
_SINCE = re.compile(r"\bsince\s+(?:early\s+|late\s+|mid-?)?$", re.IGNORECASE)
QUIET_SENTENCES = 8  # an article's first sentences tell a word from an acronym
TIMELINE_REPEAT = 0.74  # two timeline entries this alike tell one event


def _timeline_key(e: TimelineEntry) -> tuple[date, bool, bool]:
    return (e.date, e.precision != "year", e.precision != "month")


# (date, precision, source index) -> the source's passages that mention that date
_Evidence = dict[tuple[date, str, int], list[str]]


@dataclass
class _Cand:
    source: int  # 1-based source index
    text: str
    position: int  # sentence number within its article


# A title before a name that a line break cut from it ("… another man," Vancouver police
# Const.⏎Tim Fanning told a news conference.): the line goes on in the next one.
_TITLE_AT_END = re.compile(r"\b(?:" + NAME_TITLES + r")\.$")


def _sentences(article: StoryArticle) -> list[str]:
    out: list[str] = []
    paras: list[str] = []
    for line in article.text.split("\n"):
        line = " ".join(line.split())
        if paras and _TITLE_AT_END.search(paras[-1]) and line[:1].isupper():
            paras[-1] += " " + line
        else:
            paras.append(line)
    for para in paras:
        para = _DATELINE.sub("", para, count=1)
        terminated = bool(re.search(r"[.!?\"”’)]$", para))
        if not para or (not terminated and len(para.split()) < 15):
            continue  # subheadings, captions and list items are not summary sentences
        for start, end in split_sentences(para):
            sent = para[start:end].strip()
            if sent and not re.search(r"[.!?\"”’)]$", sent):
                # A lead cut off mid-sentence (feed snippets): keep it, marked as cut.
                sent = sent.rstrip(",;:—– ") + " …"
            if sent:
                out.append(sent)
    return out


# A calibre or decimal a tokeniser split after an article ("pointed a. 357 caliber gun",
# "a loaded. 38-caliber revolver"): the page shows "a .357 caliber gun".
_SPLIT_FIGURE = re.compile(r"\b([Aa]n?|[Tt]he|loaded)\. (\d{2,3})\b"
                           r"|\b([a-z]+)\. (" + CALIBRE + ")")


def _joined(m: re.Match[str]) -> str:
    word, figure = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    return f"{word} .{figure}"


def _article_order(a: StoryArticle) -> tuple[bool, datetime | None, str, str]:
    """Time order (undated last), then by URL: an order of the articles themselves, the
    id (which differs between runs that fetch in another order) the last tie-break."""
    return (a.published is None, a.published, a.url or "", str(a.id))


def _reported(sentence: str) -> str:
    """What of a source sentence can stand on a page: a teaser cut off with "…" its
    complete part ("…, calling his vote “disgraceful” and saying he will …" up to the
    comma), a stale relative time ("Last night, …") left out; the rest stays as it is
    (and is refused as a teaser or a stale time when nothing is left), a leading
    connective dropped, a figure a tokeniser split joined again."""
    if is_teaser(sentence):
        sentence = complete_part(sentence, MIN_SENTENCE_WORDS) or sentence
    if is_stale(sentence):
        sentence = strip_stale(sentence)
    return _without_connective(strip_aside(_SPLIT_FIGURE.sub(_joined, sentence)))


def _without_connective(sentence: str) -> str:
    """The sentence without a leading connective ("Meanwhile, Umerov said …" ->
    "Umerov said …", "Moscow, in turn, alleged …" -> "Moscow alleged …"); a sentence
    that then opens with a pronoun still leans on the one before it (and ``_usable``
    refuses it)."""
    sentence = _ASIDE.sub(r"\1", sentence, count=1)
    m = _CONNECTIVE.match(sentence)
    if m is None:
        return sentence
    rest = sentence[m.end():]
    return rest[:1].upper() + rest[1:]


def _usable(sentence: str) -> bool:
    words = sentence.split()
    if not MIN_SENTENCE_WORDS <= len(words) <= MAX_SENTENCE_WORDS:
        return False
    if _NOTE.match(sentence):  # a note to readers, not reporting
        return False
    if sentence.endswith("?") or sentence.endswith(":") or _DANGLING.match(sentence):
        return False
    # Unbalanced quotes: a fragment of a longer quotation.
    if (sentence.count("\"") % 2) or (sentence.count("“") != sentence.count("”")):
        return False
    return bool(re.search(r"[.!\"”’)…]$", sentence))


def _completeness(sentence: str) -> float:
    """A little for a self-contained sentence of substance: names and figures, a
    length a reader takes in at once (15–35 words)."""
    n = len(sentence.split())
    names = len(_NAME.findall(sentence)) + len(re.findall(r"\d", sentence)) // 2
    return 0.01 * min(names, 4) + (0.02 if 15 <= n <= 35 else 0.0)


# An introductory phrase or subordinate clause before a sentence's main clause:
# "Despite renewed diplomatic efforts, ", "Although X suggests Y, ", "In recent remarks, ".
_INTRO = re.compile(r"^(?:(?:despite|although|though|while|after|before|as|when|since|"
                    r"because|if|unless|in|on|at|for|with|amid|following|during|ahead of|"
                    r"according to)\b|[A-Z][a-z]+ing\s+(?:her|him|them|it|us|the|a|an|his|"
                    r"their|its|to|on|in|at|with|for|from|about|up|out|over|into)\b)"
                    r"[^,;:—–]{0,80},\s+", re.IGNORECASE)
# (the last: a participle's phrase, "Keeping her on the line, Leader said …"; never a
# name that ends so, "King said he decided …")
# Verbs whose "as" phrase is what they say ("described the talks as tense").
_AS_COMPLEMENT = re.compile(r"\b(?:describ|regard|view|characteri[sz]|portray|label|brand|"
                            r"see|saw|seen|consider|treat|identif|dismiss|hail|denounc)\w*\b",
                            re.IGNORECASE)
# Where a lead sentence's main clause ends: a clause break, a reporting tail.
# A comma or colon between digits is a figure's ("$35,000", "5:30"), no break.
_CLAUSE_END = re.compile(r"\s*(?:(?<!\d)[,:]|[,:](?!\d)|[;(]|\s[—–-]\s|"
                         r"\s(?:who|which|where|while|after|before|because|as|when|"
                         r"according|amid|but|although|though|since)\s)")

_SAID = {"said", "says", "say", "told", "tells", "added", "adds", "explained", "explains",
         "stated", "states", "noted", "notes", "announced", "announces", "wrote", "writes",
         "reported", "reports", "confirmed", "confirms", "insisted", "warned", "claimed"}
_WHEN = frozenset(MONTHS) | frozenset(WEEKDAYS)  # "announced Friday" is not "said Kirkpatrick"
_PRONOUNS = {"he", "she", "they", "it", "we", "i", "you", "this", "these", "those", "his",
             "her", "their", "its", "our", "my", "your", "me", "us", "them"}
_TIME_CONJUNCTIONS = {"after", "before", "since", "when", "as", "while"}
_TIME_ADVERBS = {"shortly", "soon", "just", "right", "immediately", "moments", "minutes",
                 "hours", "days", "weeks", "months", "years", "long", "only", "even",
                 "quickly", "directly", "hard", "not", "well"}
_QUANTIFIERS = {"a", "an", "the", "few", "several", "many", "some", "two", "three", "four",
                "five", "six", "seven", "eight", "nine", "ten", "24", "48", "72"}


_NAME_WORDS = r"[A-Z][\w'’.-]+(?: [A-Z][\w'’.-]+){0,3}"
# Who says a quotation: “…,” King said / “…,” said general manager Tony Reagins.
_SPEAKER = re.compile(
    r"[,.!?]?[”\"]\s+(?:(?:the\s+)?(?:[a-z][\w-]*\s+){0,3}?(?P<a>" + _NAME_WORDS + r")\s+"
    r"(?:said|says|added|told|explained|insisted|wrote)\b|(?:said|says|added|wrote)\s+"
    r"(?:the\s+)?(?:[a-z][\w-]*\s+){0,3}?(?P<b>" + _NAME_WORDS + r")\b)")


def _speaker(sentence: str) -> str | None:
    """Who speaks the quotation a sentence opens with, as a headline names them (a
    person by surname): “…,” said general manager Tony Reagins -> Reagins."""
    m = _SPEAKER.search(sentence)
    if m is None:
        return None
    name = (m.group("a") or m.group("b")).rstrip(".")
    return name.split()[-1]


def _main_clause(sentence: str) -> str | None:
    """The sentence's opening clause as a title ("Moviemaker Gary Ross Has Reportedly
    Pulled Out of Negotiations"), 4–12 words, when it has a lower-case word (a verb
    or relation, not a bare name) and ends on a content word."""
    text = sentence.strip().strip("\"“”'‘’")
    intro = _INTRO.match(text)
    if intro:  # "Despite renewed efforts, Russia has shown …": the main clause follows
        text = text[intro.end():]
        if not text[:1].isupper():
            return None
    m = _CLAUSE_END.search(text)
    clause = text[: m.start()] if m and m.start() > 0 else text
    words = clause.rstrip(".!…\"”’ ").split()
    small = {"and", "of", "the", "in", "on", "for", "to", "a", "an", "at", "with", "by",
             "from", "that", "as", "its", "his", "her", "their", "is", "was"}
    while words and words[-1].lower() in small:
        words.pop()
    if m and m.group(0).strip() in _TIME_CONJUNCTIONS:
        # "arrested without incident shortly [after the crash]": the adverb of time goes
        # with what was cut.
        while words and words[-1].lower() in _TIME_ADVERBS:
            words.pop()
            if words and words[-1].lower() in _QUANTIFIERS:  # "[came] several hours"
                words.pop()
    if not TITLE_MIN_WORDS <= len(words) <= TITLE_MAX_WORDS:
        return None
    if words[-1].lower() in _SAID:
        return None  # "A Spokesman for Waitrose Said": what was said is cut off
    said = [k for k, w in enumerate(words) if w.lower() in _SAID]
    after = words[said[-1] + 1:] if said else []
    if m and m.start() > 0 and 1 <= len(after) <= 2 and after[0].lower() in ("the", "a", "an"):
        return None  # "Fanning Said the Man [, who …, walked in]": the verb is cut off
    if after and all(w[:1].isupper() or w[:1].isdigit() for w in after) and \
            not any(w.lower() in _WHEN for w in after):
        return None  # "Police Said Eric Allen Kirkpatrick [, 42, …]": only who, cut off
    # "The Sixers Also Failed …", "The Sixers Then Hired Ayers": on a page of facts from
    # several reports, "also" and "then" point at nothing.
    words = [words[0]] + [w for w in words[1:] if w.lower() not in ("also", "then")]
    if len(words) < TITLE_MIN_WORDS:
        return None
    if words[0].lower() in ("to", "by", "of", "for", "from", "with", "into"):
        return None  # "To Open a Spot for Teixeira", "By Overturning the Regulation"
    if words[0].lower().split("'")[0].split("’")[0] in _PRONOUNS:
        # "She Believed They Were Spraying Chemicals", "I Do Hope …": whose words? A
        # quotation keeps its speaker, as headlines quote: King: ‘I Look at Mo Cheeks …’
        speaker = _speaker(sentence) if sentence.lstrip()[:1] in "\"“" else None
        if speaker is None or len(words) + len(speaker.split()) > TITLE_MAX_WORDS:
            return None
        return f"{speaker}: ‘{_title_case(' '.join(words))}’"
    if sentence.lstrip()[:1] in "\"“" and m and m.start() > 0 and \
            not re.match(r"[,;:.!?]?\s*[\"”]", text[m.start():]):
        # a quotation cut at its first comma ("Beyond all the pompous declarations, [there
        # will be no real change]"): a fragment of someone's words, in the page's voice
        return None
    if not any(w[:1].islower() and w.lower() not in small for w in words[1:]):
        return None
    if any(q in clause for q in "\"“”"):
        return None
    if m and m.start() > 0 and re.search(r"\b(?:that|whether|if)\b", clause, re.IGNORECASE):
        return None  # cut inside a reported clause, before its verb ("insisted that X")
    if m and m.group(0).strip() == "as" and _AS_COMPLEMENT.search(clause):
        return None  # "described the talks [as tense]": the complement is the news
    return _title_case(" ".join(words))


def _title_case(phrase: str) -> str:
    words = phrase.split()
    return " ".join(w.lower() if 0 < i < len(words) - 1 and w.lower() in TITLE_SMALL_WORDS
                    else w if w[:1].isupper() else (w[:1].upper() + w[1:])
                    for i, w in enumerate(words))


_TWO_LETTER_WORDS = {"of", "in", "on", "at", "to", "by", "as", "an", "or", "is", "it", "be",
                     "he", "we", "up", "no", "so", "do", "go", "me", "my", "if", "us", "am",
                     "oh", "ok", "hi"}


_LOWER_WORD = re.compile(r"\b[a-z]{3,}\b")
_CAPS_WORD = re.compile(r"\b[A-Z]{3,}\b")
_CAPS_INSIDE = re.compile(r"(?<=[a-z,;] )[A-Z]{3,}\b")  # "… said the WHO": an acronym


def _lower_words(texts: list[str]) -> set[str]:
    """The words the texts write in lower case and never in capitals inside a sentence."""
    return {w for t in texts for w in _LOWER_WORD.findall(t)} - {
        w.lower() for t in texts for w in _CAPS_INSIDE.findall(t)}


def _quiet(title: str, lower_words: set[str]) -> str:
    """A section title without a word some outlet set in capitals for emphasis ("A FIRE
    has badly damaged …" -> "A Fire Has Badly Damaged …"): a word of capitals that the
    story's sentences also write in lower case, and never in capitals inside a
    sentence, is a word, not an acronym ("NATO", "NYPD", "the WHO said" stay)."""
    return _CAPS_WORD.sub(lambda m: m.group(0).capitalize()
                          if m.group(0).lower() in lower_words else m.group(0), title)


def _unshout(title: str, text: str) -> str:
    """An all-capitals headline ("FALLOUT CONTINUES AFTER BRAZEN ESCAPE") in title case,
    each word cased as the article's own text writes it inside a sentence: an acronym
    the text capitalises stays ("NYPD", "McCain"), the rest is capitalised, small words
    lower-case but first and last. Any other title is returned as it is."""
    letters = [ch for ch in title if ch.isalpha()]
    if len(re.findall(r"[A-Za-z]{2,}", title)) < 3 or any(ch.islower() for ch in letters):
        return title
    seen: dict[str, str] = {}
    for m in re.finditer(r"(?<=[a-z,;] )[A-Za-z][\w'’-]*", text):  # not a sentence's first
        w = m.group(0)
        if sum(ch.isupper() for ch in w) >= 2 and len(w) > 1:
            seen.setdefault(w.lower(), w)
    parts = re.split(r"(\s+)", title)
    words = [k for k, p in enumerate(parts) if p.strip()]
    for n, k in enumerate(words):
        word = parts[k]
        core = word.strip("\"“”‘’'(),:;!?.")
        lower = core.lower()
        if lower in seen:
            new = seen[lower]
        elif "." in core or (len(core) == 2 and lower not in _TWO_LETTER_WORDS):
            new = core  # "U.S.", "DA", "EU"
        elif 0 < n < len(words) - 1 and lower in TITLE_SMALL_WORDS:
            new = lower
        else:
            new = "-".join(x if j and x in TITLE_SMALL_WORDS else x[:1].upper() + x[1:]
                           for j, x in enumerate(lower.split("-")))  # "Hit-and-Run"
        parts[k] = word.replace(core, new, 1) if core else word
    return "".join(parts)


def _clean_title(title: str, outlet: str | None) -> str:
    """Without "BREAKING:"-style prefixes or the outlet's name after a separator
    ("… | Reuters", "… - The Hill"): a separator followed by anything else (an em dash
    and the rest of the headline) stays. Headlines end without a full stop ("Palin
    appointee under federal indictment." is a sentence's stop on a headline)."""
    title = _HEADLINE_PREFIX.sub("", " ".join(title.split())).strip()
    m = _OUTLET_SUFFIX.search(title)
    if m:
        tail = m.group(0).strip(" |–—-").strip()
        names = {n.lower() for n in (outlet,) if n}
        if title[m.start():].lstrip().startswith("|") or tail.lower() in names or \
                tail.lower().replace(" ", "") in {n.replace(" ", "") for n in names}:
            title = title[: m.start()].strip()
    if title.endswith(".") and not _KEPT_STOP.search(title):
        title = title[:-1].rstrip()
    return title


def _shorten(title: str, parse: Callable[[str], Any] | None = None) -> str:
    """At most MAX_HEADLINE characters, cut at the last natural break that leaves a
    headline of some substance ("Main claim — aside" -> "Main claim"), else (with
    ``parse``, a text's spaCy doc or None) before a trailing adjunct, else at a word."""
    if len(title) <= MAX_HEADLINE:
        return title
    head = title[: MAX_HEADLINE + 1]
    for sep in (" — ", " – ", " - ", ": ", "; ", ", "):
        cut = head.rfind(sep)
        while sep == ", " and cut >= 40 and _in_a_name(head, cut):
            cut = head.rfind(sep, 0, cut)  # "in a Los Angeles, California, hospital"
        if cut >= 40:
            return title[:cut].rstrip(" ,;:")
    # else before a trailing adjunct: "Australian actor Hugh Jackman was named on Friday
    # as host of February's Oscars | in a departure from the tradition of …"
    starts = [m.start() for m in _ADJUNCT.finditer(head) if 40 <= m.start() <= MAX_HEADLINE]
    doc = parse(title) if starts and parse is not None else None
    if doc is not None:
        # the word must head a prepositional phrase ("in a departure"), not be a verb's
        # particle ("roped in to host")
        preps = {t.idx - 1 for t in doc if t.dep_ == "prep"}
        verb_preps = {t.idx - 1 for t in doc if t.dep_ == "prep" and t.i > 0
                      and t.head.i == t.i - 1 and t.head.pos_ == "VERB"}
        for at in reversed(starts):  # nor a verb's own ("counting on", "named on Friday")
            if at in preps and at not in verb_preps:
                return title[:at].rstrip(" ,;:")
    return title[:MAX_HEADLINE].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


# Prepositions that open an adjunct (where, when, in what circumstances), not a
# complement the verb needs ("arrested for", "named as" stay whole).
_ADJUNCT = re.compile(r" (?=(?:in|at|on|after|before|amid|during|following|near|outside|"
                      r"inside|despite) )")


def _named_as_written(title: str, texts: list[str]) -> str:
    """``title`` with a run of lower-case words capitalised where the story's texts
    write each of them capitalised inside sentences and at most once in lower case: a
    name an outlet typed in lower case ("Alaska Gov. sarah palin's home church" ->
    "… Sarah Palin's …"). A single word is left alone ("pinup queen")."""
    joined = "\n".join(texts)

    def named(word: str) -> bool:
        if not re.fullmatch(r"[a-z]{3,}", word) or word in TITLE_SMALL_WORDS:
            return False
        cap = len(re.findall(rf"(?<=[a-z,] ){word.capitalize()}\b", joined))
        return cap >= 3 and len(re.findall(rf"\b{word}\b", joined)) <= 1

    words = title.split(" ")
    stems = [re.sub(r"(?:['’]s)?[^\w]*$", "", w) for w in words]
    flags = [named(w) for w in stems]
    out = list(words)
    k = 0
    while k < len(words):
        end = k
        while end < len(words) and flags[end]:
            end += 1
        if end - k >= 2:
            for n in range(k, end):
                out[n] = words[n][:1].upper() + words[n][1:]
        k = max(end, k + 1)
    return " ".join(out)


def _in_a_name(text: str, comma: int) -> bool:
    """Whether the comma at ``comma`` sits inside a place's name ("Los Angeles,
    California", "Vancouver, B.C."): a capitalised word on either side of it."""
    before = text[:comma].split()[-1:]
    return bool(before) and before[0][:1].isupper() and text[comma + 2: comma + 3].isupper()


# What a cut title may not open with: a conjunction, a subordinator, a preposition or an
# adverb leaves a clause that leans on the part cut off ("And the legitimization of
# funnybooks continues", "Just six weeks before President-elect Barack Obama takes office").
_LEANING = frozenset({"cc", "mark", "prep", "advmod", "npadvmod"})


# First words of a title that is a writer's aside rather than news ("If only he'll wear
# those gold lame pants", "And the legitimization of funnybooks continues").
_LEANING_WORDS = frozenset({"there", "that", "if", "and", "but", "or", "so", "because",
                            "although", "though", "yet", "still", "also", "even", "now",
                            "just", "only", "well", "oh"})


# A blog's opening words, not a headline's: "Well, here's something …", "Oh, it's been …".
_INTERJECTIONS = frozenset({"well", "oh", "ok", "okay", "wow", "hey", "ah", "alas", "yeah",
                            "hmm", "um"})  # never "so" ("So far, 12 dead …")


def _opener(title: str) -> str:
    """A title's first word in lower case, without punctuation or a clitic ("it's")."""
    words = title.split(maxsplit=1)
    return re.sub(r"['’]\w*$", "", words[0].lower().strip(",.!?:;\"“”‘’")) if words else ""


def _stands_alone(doc: Any) -> bool:
    """Whether a title cut from a longer one still tells news on its own: it opens with
    no word that leans on what was cut, and its root is a verb with a subject ("Bettie
    Page died of pneumonia at the age of 85"; not "A former employee who opened fire at
    an office Christmas party killing one man", whose verb was cut away)."""
    tokens = [t for t in doc if not t.is_punct]
    if not tokens or tokens[0].dep_ in _LEANING:
        return False
    roots = [t for t in doc if t.dep_ == "ROOT"]
    return len(roots) == 1 and roots[0].pos_ in ("VERB", "AUX") and any(
        c.dep_ in ("nsubj", "nsubjpass", "expl") for c in roots[0].children)


def _localized(headline: str, places: list[list[str]], n_sources: int) -> str:
    """``"Ukraine war talks"`` -> ``"Ukraine war talks in Geneva"`` when most sources place
    the event in Geneva ("in Geneva", "GENEVA:") and the headline names an event but not
    that place. ``places`` are the places each source's lead names."""
    counts = Counter(p for per_source in places for p in set(per_source))
    if not counts:
        return headline
    place, n = counts.most_common(1)[0]
    low = headline.lower()
    if n < max(2, (n_sources + 1) // 2) or place.lower() in low:
        return headline
    m = _EVENT_NOUNS.search(headline)
    if m is None or len(headline) + len(place) + 4 > MAX_HEADLINE:
        return headline
    return f"{headline[: m.end()]} in {place}{headline[m.end():]}"


class ExtractiveWriter:
    name = "extractive"

    def __init__(self, embedder: Embedder | None = None, verifier: Verifier | None = None,
                 tagger: PhraseTagger | None = None):
        """``embedder``: the run's shared encoder (production code always passes it, see
        ``storyline.pipeline``; a default ``Embedder()`` is for tests and benchmarks)."""
        self.embedder = embedder or Embedder()
        self.tagger = tagger or PhraseTagger()
        self.verifier = verifier or Verifier(self.embedder, parse=self.tagger.parse)

    # ---- public ---------------------------------------------------------------------
    def write(self, articles: list[StoryArticle]) -> StorySummary:
        return self.compose(articles)[0]

    def compose(self, articles: list[StoryArticle]
                ) -> tuple[StorySummary, list[tuple[str, list[int]]]]:
        """The summary and the story's facts it was written from, strongest first:
        (sentence, the sources whose sentences state it), what the LLM writer is given."""
        fact_lines: list[tuple[str, list[int]]] = []
        originals = [a for a in articles if a.duplicate_of is None] or list(articles)
        originals.sort(key=_article_order)
        sources = [SourceRef(i + 1, a.id, a.outlet, a.title, a.url, a.published)
                   for i, a in enumerate(originals)]
        # A big story's candidates come from each article's first sentences (news puts
        # the substance first): the cost stays bounded as the story grows.
        per_article = max(MIN_PER_ARTICLE, CANDIDATE_CAP // max(len(originals), 1))
        # Titles set as text are no sentences (a first line taken as a title is one).
        titles = [a.title for a in articles if a.title and not a.title_inferred]
        sentences = [_sentences(a) for a in originals]
        cands = [_Cand(i + 1, s, k) for i, sents in enumerate(sentences)
                 for k, s in enumerate(_reported(t) for t in sents[:per_article])
                 if _usable(s) and not_report(s, titles) is None]
        outlets = sorted({a.outlet for a in articles if a.outlet})
        updated = max((a.published for a in articles if a.published), default=None)
        summary = StorySummary(
            headline=self._headline(originals, sentences), updated_at=updated,
            article_count=len(articles), outlets=outlets, sections=[], sources=sources,
            timeline=[], image=self._image(originals),
        )
        if cands:
            vecs = self.embedder.encode([c.text for c in cands])
            summary.sections = self._sections(cands, vecs, originals, summary, fact_lines)
            summary.conflicts = find_conflicts([(c.source, c.text) for c in cands], vecs)
        summary.timeline = self.merge_timeline(
            [], self._verified_timeline(*self._timeline(originals), originals))
        index = {a.id: i + 1 for i, a in enumerate(originals)}
        summary.related = [
            RelatedArticle(a.id, a.outlet, a.title, a.url, a.published, index.get(a.id),
                           a.duplicate_of)
            for a in sorted(articles, key=_article_order)]
        linking = []
        for a in articles:  # a duplicate's links count for the source it copies
            src = index.get(a.id) or (index.get(a.duplicate_of)
                                      if a.duplicate_of is not None else None)
            if a.links and src is not None:
                linking.append((src, a.url, a.links))
        summary.external_links = external_links(linking)
        return summary, fact_lines

    # ---- parts ----------------------------------------------------------------------
    @staticmethod
    def _about_titles(cands: list[_Cand], originals: list[StoryArticle]) -> np.ndarray:
        """How much each candidate says what the outlets' titles say (TF-IDF cosine to
        the titles, averaged; 0–1): the titles name the story's news."""
        titles = [a.title for a in originals if a.title.strip() and not a.title_inferred]
        if not titles:
            return np.zeros(len(cands))
        try:
            tfidf = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit(
                [c.text for c in cands] + titles)
        except ValueError:  # nothing but stopwords
            return np.zeros(len(cands))
        about = (tfidf.transform([c.text for c in cands])
                 @ tfidf.transform(titles).T).toarray().mean(axis=1)
        return np.asarray(about / (float(about.max()) or 1.0))

    def _centrality(self, cands: list[_Cand], vecs: np.ndarray) -> np.ndarray:
        """Closeness to the story centre, corroboration by other outlets, a little lead
        position."""
        per_source: dict[int, list[int]] = {}
        for i, c in enumerate(cands):
            per_source.setdefault(c.source, []).append(i)
        centre = np.mean([vecs[idx].mean(0) for idx in per_source.values()], axis=0)
        centre /= float(np.linalg.norm(centre)) or 1.0
        score = vecs @ centre
        sims = vecs @ vecs.T
        n_sources = len(per_source)
        for i, c in enumerate(cands):
            others = {cands[j].source for j in np.nonzero(sims[i] >= SUPPORT_COSINE - 0.1)[0]
                      if cands[j].source != c.source}
            if n_sources > 1:
                score[i] += 0.15 * len(others) / (n_sources - 1)
            score[i] += 0.05 * max(0.0, 1.0 - c.position / 5)
        return score

    def _sections(self, cands: list[_Cand], vecs: np.ndarray, originals: list[StoryArticle],
                  summary: StorySummary, fact_lines: list[tuple[str, list[int]]] | None = None
                  ) -> list[Section]:
        score = self._centrality(cands, vecs)  # ranks facts
        # Within a fact and a section, sentences that say what the titles say come first.
        pick = score + TITLE_WEIGHT * self._about_titles(cands, originals)
        facts = self._facts(cands, vecs, score, pick, originals)
        pool = sorted(range(len(facts)), key=lambda k: -facts[k].weight)[:FACT_POOL]
        if fact_lines is not None:
            fact_lines.extend((cands[facts[k].rep].text, sorted(facts[k].sources))
                              for k in pool)
        reps = np.asarray([vecs[facts[k].rep] for k in pool])
        if len(pool) >= 2:
            labels = AgglomerativeClustering(
                n_clusters=None, distance_threshold=GROUP_CUT, metric="cosine",
                linkage="average").fit_predict(reps)
        else:
            labels = np.zeros(len(pool), dtype=int)
        groups: dict[int, list[int]] = {}
        for k, lab in zip(pool, labels, strict=True):
            groups.setdefault(int(lab), []).append(k)
        ranked = self._rank_groups(list(groups.values()), facts, vecs)
        n_sections = MAX_SECTIONS if len(originals) >= 3 else 3 if len(originals) == 2 else 2
        material = sum(len(c.text.split()) for c in cands)
        if material < SMALL_STORY_WORDS:
            # Little to summarise (a few leads): one section of the strongest facts
            # within a budget proportional to the material.
            ranked = [pool]
            n_sections = 1
        budget = max(MIN_BUDGET, int(BUDGET_SHARE * material))
        words = [wording(c.text) for c in cands]
        claims = [claim_phrases(c.text) for c in cands]

        def says_again(i: int, j: int) -> bool:  # candidate i tells what j tells
            cos = float(vecs[i] @ vecs[j])
            return tells_again(cos, words[i], words[j]) or same_claim(cos, claims[i],
                                                                      claims[j])
        names = {i: set(_NAME.findall(cands[i].text)) for i in range(len(cands))}

        fact_of = {facts[k].rep: facts[k] for k in pool}
        # The names and figures of the facts several outlets report, and of the titles:
        # what this story is about.
        story_keys = {t for f in facts if len(f.sources) >= 2 for m in f.members
                      for t in key_terms(cands[m].text)}
        story_keys |= {t for a in originals for t in key_terms(". " + a.title)}
        chosen: list[int] = []  # shown sentences (candidate indices)
        asked: dict[int, set[int]] = {}  # sentence -> the sources asked to confirm it
        drafts: list[tuple[list[int], list[list[int]]]] = []
        named: set[str] = set()
        for group in ranked:
            if len(drafts) == n_sections:
                break
            picked: list[int] = []
            used = sum(len(cands[j].text.split()) for j in chosen)
            for k in group:
                asked.setdefault(facts[k].rep, set(self._citations(facts[k].rep, cands, vecs))
                                 | {cands[m].source for m in facts[k].members[:MAX_ASKED]})

            def fresh(k: int, shown: list[int]) -> bool:  # no fact on the page says it
                i = facts[k].rep  # again
                return not any(says_again(i, j) for j in shown)

            left = [k for k in group if fresh(k, chosen)]
            # A section never leads with background or a superseded report, nor with a
            # sentence that adds to one before it ("Subryan was also charged with …")
            # when another can lead.
            left.sort(key=lambda k: (facts[k].background or facts[k].superseded,
                                     bool(_ADDS_TO.match(cands[facts[k].rep].text)),
                                     -facts[k].weight))
            while left and len(picked) < SECTION_MAX:
                bonus = NAME_BONUS if picked else 0.0
                k = left[0] if not picked else max(
                    left, key=lambda k: facts[k].weight
                    + bonus * min(len(names[facts[k].rep] - named), 2))
                left.remove(k)
                i = facts[k].rep
                n_words = len(cands[i].text.split())
                if picked and used + n_words > budget and len(picked) >= SECTION_MIN:
                    break
                picked.append(i)
                named |= names[i]
                used += n_words
                left = [m for m in left if fresh(m, chosen + picked)]
            if len(picked) < (1 if n_sections == 1 else SECTION_MIN):
                continue
            if n_sections > 1 and not any(len(fact_of[i].sources) >= 2 or
                                          key_terms(cands[i].text) & story_keys
                                          for i in picked):
                # No outlet but one tells it and it names nothing of the story: advice
                # or context about events of the kind ("the aftermath of such accidents
                # can be very difficult"), not this story's facts.
                continue
            # The section's strongest fact leads (inverted pyramid); the others follow
            # in source order, a report a newer one contradicts after it (the story
            # moved on: the development first).
            stale = {facts[k].rep for k in group if facts[k].superseded}
            picked = picked[:1] + sorted(picked[1:], key=lambda i: (
                i in stale, cands[i].source, cands[i].position))
            cites = [sorted(asked[i]) for i in picked]
            drafts.append((picked, cites))
            chosen.extend(picked)

        self._place_strong_facts(facts, drafts, chosen, asked, cands, vecs, says_again)
        verify_sources = [Source(i + 1, a.text, a.published) for i, a in enumerate(originals)]
        flat = [(cands[i].text, c) for picked, cites in drafts for i, c in
                zip(picked, cites, strict=True)]
        # An extracted sentence's "Monday" is the Monday of its own article.
        written = [originals[cands[i].source - 1].published
                   for picked, _c in drafts for i in picked]
        verdicts = self._confirm(flat, verify_sources, written)
        summary.checked_sentences = len(verdicts)
        sections: list[Section] = []
        tagged = self.tagger.tag([cands[i].text for picked, _c in drafts for i in picked])
        phrases: dict[int, set[Phrase]] = {}
        for i, tag in zip((i for picked, _c in drafts for i in picked), tagged, strict=True):
            phrases[i] = set(tag.phrases)
        whole = full_names([p for ps in phrases.values() for p in ps])
        phrases = {i: {whole.get(p.key, p) for p in ps} for i, ps in phrases.items()}
        groups_with = Counter(p.key for picked, _c in drafts
                              for p in {q for i in picked for q in phrases[i]})
        k = 0
        kept: list[tuple[list[int], list[Sentence]]] = []
        for picked, _cites in drafts:
            sentences = []
            for i in picked:
                verdict = verdicts[k]
                k += 1
                if verdict.supported:
                    sentences.append(Sentence(cands[i].text, sorted(verdict.citations)))
                else:
                    summary.dropped.append(f"{cands[i].text} ({verdict.reason})")
            summary.supported_sentences += len(sentences)
            if len(sentences) >= SECTION_MIN or (len(drafts) == 1 and sentences):
                kept.append((picked, sentences))
        # A section is titled by one of its sentences trimmed to a headline (its lead
        # first), else its lead's main clause, else its key phrases.
        # A section is titled by the headline, of those its sentences give (each trimmed
        # to a headline, or its opening clause), that tells most of what the section
        # says: the closest to the mean of its sentences.
        heads = self.tagger.headlines([s.text for _p, sentences in kept for s in sentences])
        openings = [[c for c in (_main_clause(x.text) for x in sentences) if c]
                    for _p, sentences in kept]
        ordered = sorted({c for opening in openings for c in opening})
        # An opening clause without a verb is a phrase, not a headline (tagged in
        # sentence case: "Clashed" in title case reads as a name).
        verbal = {c for c, ok in zip(ordered, self.tagger.have_verbs(
            [c[:1] + c[1:].lower() for c in ordered]), strict=True) if ok}
        options: list[list[str]] = []
        at = 0
        short: list[list[str]] = []  # 3-word headlines ("Russia Shows Willingness")
        for (_picked, sentences), opening in zip(kept, openings, strict=True):
            mine_heads = [h for h in heads[at: at + len(sentences)] if h]
            at += len(sentences)
            mine = [h for h in mine_heads if TITLE_MIN_WORDS <= len(h.split()) <= TITLE_MAX_WORDS]
            mine += [c for c in opening if c in verbal]
            options.append(list(dict.fromkeys(mine)))
            short.append([h for h in mine_heads if len(h.split()) == TITLE_MIN_WORDS - 1])
        # A section none of whose sentences gives a headline: another outlet's telling of
        # one of its facts may, when that outlet is cited for it (it supports the
        # sentence the page shows).
        fact_by_rep = {f.rep: f for f in facts}
        others: list[tuple[int, str]] = []
        for n, ((picked, sentences), opts) in enumerate(zip(kept, options, strict=True)):
            if opts:
                continue
            shown = {x.text: set(x.citations) for x in sentences}
            for i in picked:
                fact = fact_by_rep.get(i)
                cited = shown.get(cands[i].text)
                if fact is None or cited is None:
                    continue
                others += [(n, cands[m].text) for m in fact.members
                           if m != i and cands[m].source in cited]
        for (n, _text), head in zip(others, self.tagger.headlines([t for _n, t in others]),
                                    strict=True):
            if head and TITLE_MIN_WORDS <= len(head.split()) <= TITLE_MAX_WORDS:
                options[n].append(head)
        for n, opening in enumerate(openings):
            # A phrase without a verb only where no headline has one: it still says more
            # than key phrases ("A Kraft Foods Plant Worker" over "Kraft Plant").
            if not options[n]:
                options[n] = list(dict.fromkeys(opening))
        flat_options = [o for opts in options for o in opts]
        option_vecs = self.embedder.encode(flat_options) if flat_options else None
        text_vec = {cands[i].text: vecs[i] for picked, _s in kept for i in picked}
        lower_words = _lower_words([c.text for c in cands])
        at = 0
        for (picked, sentences), opts, few in zip(kept, options, short, strict=True):
            ranked_opts: list[str] = []
            if opts and option_vecs is not None:
                centre = np.mean([text_vec[x.text] for x in sentences], axis=0)
                closeness = option_vecs[at: at + len(opts)] @ centre
                ranked_opts = [opts[int(j)] for j in np.argsort(-closeness, kind="stable")]
            at += len(opts)
            title = self._headline_title(ranked_opts, sections, summary.headline)
            if title is None:  # a short headline still says more than a bare phrase
                title = self._headline_title(few, sections, summary.headline)
            if title is None:
                title = self._section_title(picked, phrases, groups_with, len(drafts),
                                            sections)
            sections.append(Section(_quiet(title, lower_words), sentences))
        return sections

    def _place_strong_facts(self, facts: list[Fact], drafts: list[tuple[list[int], list[list[int]]]],
                            chosen: list[int], asked: dict[int, set[int]], cands: list[_Cand],
                            vecs: np.ndarray, says_again: Callable[[int, int], bool]) -> None:
        """A fact several outlets report and stronger than some section's lead is never
        left out because no sub-topic took it (a fact alone in its group): it joins the
        first section with room (the story's main angle: who takes part, where), after
        its lead. (By likeness it landed among the strikes: the encoder finds "Russia's
        delegation" close to "Russian forces".)"""
        if not drafts:
            return
        weakest = min(max((f.weight for f in facts if f.rep == picked[0]), default=0.0)
                      for picked, _c in drafts)
        for f in sorted(facts, key=lambda f: -f.weight):
            if f.weight < weakest:
                break
            i = f.rep
            if i in chosen or len(f.sources) < 2 or f.background or f.superseded or any(
                    says_again(i, j) for j in chosen):
                continue
            room = [d for d in drafts if len(d[0]) < SECTION_MAX]
            if not room:
                return
            picked, cites = room[0]
            picked.append(i)
            asked.setdefault(i, set(self._citations(i, cands, vecs))
                             | {cands[m].source for m in f.members[:MAX_ASKED]})
            cites.append(sorted(asked[i]))
            chosen.append(i)

    def _facts(self, cands: list[_Cand], vecs: np.ndarray, score: np.ndarray,
               pick: np.ndarray, originals: list[StoryArticle]) -> list[Fact]:
        """The story's facts, each weighed by corroboration (distinct outlets that
        report it) first, then centrality and position; background facts (about dates
        long before the story) and reports a newer one contradicts weigh less."""
        order = [int(i) for i in np.argsort(-pick, kind="stable")]
        facts = group_facts([c.text for c in cands], [c.source for c in cands], vecs, order,
                            contradict=contradicts)

        def outlet(src: int) -> str:
            return originals[src - 1].outlet or f"#{src}"

        n_outlets = len({outlet(c.source) for c in cands})
        for f in facts:
            f.rep = max(f.members, key=lambda i: float(pick[i]) + _completeness(cands[i].text))
            times = [originals[s - 1].published for s in f.sources]
            f.earliest = min((t for t in times if t is not None), default=None)
            f.background = self._is_background(cands[f.rep], originals)
            corroboration = (len({outlet(s) for s in f.sources}) - 1) / max(n_outlets - 1, 1)
            f.weight = float(max(pick[i] for i in f.members)) + CORROBORATION * corroboration
            if f.background:
                f.weight *= 0.5
        # A development: of two facts that say opposite things, the older report is
        # superseded by the newer.
        top = sorted(facts, key=lambda f: -f.weight)[:FACT_POOL]
        for a in top:
            for b in top:
                if a is b or a.earliest is None or b.earliest is None or \
                        b.earliest.date() <= a.earliest.date():
                    continue
                if float(vecs[a.rep] @ vecs[b.rep]) >= SAME_THING and \
                        contradicts(cands[a.rep].text, cands[b.rep].text):
                    a.superseded = True
                    a.weight *= 0.7
                    break
        return facts

    @staticmethod
    def _is_background(cand: _Cand, originals: list[StoryArticle]) -> bool:
        published = originals[cand.source - 1].published
        if published is None:
            return False
        return any((published.date() - m.date).days > BACKGROUND_DAYS
                   for m in resolve_mentions(cand.text, published))

    def _confirm(self, flat: list[tuple[str, list[int]]], sources: list[Source],
                 written: list[datetime | None]) -> list[Verdict]:
        """Each sentence cited by every one of its candidate sources that supports it
        alone; a sentence no single candidate supports is checked against them
        together (and re-cited if others support it). ``written``: each sentence's own
        article's publication date (what its relative times mean)."""
        if not flat:
            return []
        singles = [(text, [c]) for text, cites in flat for c in cites]
        alone = self.verifier.check_many(
            singles, sources, recite=False,
            written=[w for w, (_t, cites) in zip(written, flat, strict=True) for _c in cites])
        out: list[Verdict] = []
        k = 0
        need: list[int] = []
        for n, (_text, cites) in enumerate(flat):
            mine = alone[k: k + len(cites)]
            k += len(cites)
            ok = [v for v in mine if v.supported]
            if ok:
                best = max(ok, key=lambda v: v.similarity)
                out.append(Verdict(True, sorted(c for v in ok for c in v.citations),
                                   best.best_source_sentence, best.similarity))
            else:
                out.append(mine[0])
                need.append(n)
        if need:
            again = self.verifier.check_many([flat[n] for n in need], sources,
                                             written=[written[n] for n in need])
            for n, v in zip(need, again, strict=True):
                out[n] = v
        return out

    @staticmethod
    def _headline_title(options: list[str], earlier: list[Section],
                        page_headline: str) -> str | None:
        """The first of ``options`` (headlines from the section's sentences, best first)
        that neither repeats half its words from an earlier title nor restates the page
        headline; else the first that is no earlier title, does not restate the page
        headline and has a word no earlier title has; None when none is."""
        before = {w for s in earlier for w in _content_words(s.title)}
        titles = {s.title.lower() for s in earlier}
        top = _content_words(page_headline)

        def fits(head: str) -> bool:
            mine = _content_words(head)
            return bool(mine) and len(mine & before) * 2 < len(mine) and \
                head.lower() not in titles and len(mine & top) < 0.8 * len(mine)

        def allowed(head: str) -> bool:  # a headline that shares words with one before
            mine = _content_words(head)
            return bool(mine) and head.lower() not in titles and \
                len(mine & top) < 0.8 * len(mine) and not mine <= before

        # A headline that shares words with an earlier title still says more than the
        # one or two key phrases a section gets without one.
        return next((head for head in options if fits(head)),
                    next((head for head in options if allowed(head)), None))

    @staticmethod
    def _rank_groups(groups: list[list[int]], facts: list[Fact],
                     vecs: np.ndarray) -> list[list[int]]:
        """Sub-topics (groups of facts) in the order sections should take them: by
        total corroboration (the outlets that report their facts) and strength, not
        background, unlike the sub-topics already taken (maximal marginal relevance
        over group centroids). Two small groups about one theme ("territory" and
        "security guarantees") become one."""
        def centroid(g: list[int]) -> np.ndarray:
            c = vecs[[facts[k].rep for k in g]].mean(0)
            return np.asarray(c / (float(np.linalg.norm(c)) or 1.0))

        merged = [list(g) for g in groups]
        while True:  # centroid linkage over the groups, for small ones only
            pair: tuple[float, int, int] | None = None
            cents = [centroid(g) for g in merged]
            for a in range(len(merged)):
                for b in range(a + 1, len(merged)):
                    if min(len(merged[a]), len(merged[b])) > MERGE_SMALL or \
                            len(merged[a]) + len(merged[b]) > MERGE_MAX:
                        continue
                    sim = float(cents[a] @ cents[b])
                    if sim >= MERGE_COSINE and (pair is None or sim > pair[0]):
                        pair = (sim, a, b)
            if pair is None:
                break
            _sim, a, b = pair
            merged[a] += merged.pop(b)
        # A lone fact several outlets report joins the sub-topic of the fact it is most
        # like (the
        # delegations' leaders join the mediators): alone it would make no section.
        for g in [g for g in merged if len(g) == 1 and len(facts[g[0]].sources) >= 2]:
            others = [h for h in merged if h is not g and len(h) >= 2]
            if not others:
                break
            v = vecs[facts[g[0]].rep]

            def like(h: list[int], v: np.ndarray = v) -> float:
                return max(float(vecs[facts[k].rep] @ v) for k in h)

            host = max(others, key=like)
            if like(host) >= LONE_FACT_COSINE:
                host += g
                merged.remove(g)

        def weight(g: list[int]) -> float:
            told = sum(len(facts[k].sources) for k in g)
            w = (0.5 * min(told, 12) + 0.25 * min(len(g), 8)
                 + sum(sorted(facts[k].weight for k in g)[-2:]))
            return w * 0.5 if sum(facts[k].background for k in g) * 2 >= len(g) else w

        weights = [weight(g) for g in merged]
        cents = [centroid(g) for g in merged]
        order: list[int] = []
        rest = list(range(len(merged)))
        while rest:
            def mmr(k: int) -> float:
                like = max((float(cents[k] @ cents[j]) for j in order), default=0.0)
                return weights[k] * (1 - GROUP_MMR * max(like, 0.0))
            best = max(rest, key=mmr)
            order.append(best)
            rest.remove(best)
        # Background sub-topics close the page.
        order.sort(key=lambda k: sum(facts[f].background for f in merged[k]) * 2
                   >= len(merged[k]))
        return [merged[k] for k in order]

    def _citations(self, i: int, cands: list[_Cand], vecs: np.ndarray) -> list[int]:
        """The sources that may confirm candidate ``i``: its own and every source with a
        sentence about the same thing (the verifier decides which do)."""
        sims = vecs @ vecs[i]
        cited = {cands[i].source}
        # At most MAX_ASKED others, the likest first (each source asked is parsed and
        # encoded whole): a big story's fact is asked of the outlets that tell it in
        # other words too ("Raj Chohan, 59, was killed by a drunk hit-and-run driver"
        # and "A woman was killed by a hit-and-run driver in Queens").
        floor = CITE_COSINE if len({c.source for c in cands}) <= MAX_ASKED * 2 \
            else BIG_CITE_COSINE
        for j in np.argsort(-sims):
            if float(sims[j]) < floor or len(cited) > MAX_ASKED:
                break
            cited.add(cands[int(j)].source)
        return sorted(cited)

    @staticmethod
    def _section_title(picked: list[int], phrases: dict[int, set[Phrase]],
                       groups_with: Counter[str], n_groups: int,
                       earlier: list[Section], head: str | None = None) -> str:
        """``head`` (the lead sentence as a headline: "Russian Forces Launch Aerial
        Assault") unless it repeats half its words from earlier titles; else one or two
        key phrases that set this section apart: frequent in its sentences (its lead
        sentence counts most), rare in the other sections, longer phrases and names
        preferred ("Security Guarantees and Donbas Region"); never a word an earlier
        section's title has, nor a noun that says nothing alone ("Woman")."""
        if head:
            mine = _content_words(head)
            before = {w for s in earlier for w in _content_words(s.title)}
            if mine and len(mine & before) * 2 < len(mine) and \
                    head.lower() not in {s.title.lower() for s in earlier}:
                return head
        here: Counter[str] = Counter()
        weight_here: dict[str, float] = {}
        shown: dict[str, Counter[str]] = {}
        for rank, i in enumerate(picked):
            for p in phrases[i]:
                here[p.key] += 1
                weight_here[p.key] = weight_here.get(p.key, 0.0) + (1.5 if rank == 0 else 1.0)
                shown.setdefault(p.key, Counter())[p.text] += 1
        used = {w for s in earlier for w in s.title.lower().split()}
        titles = {s.title.lower() for s in earlier}

        def weight(key: str) -> float:
            spread = math.log((n_groups + 1) / (groups_with[key] + 0.5)) + 0.2
            return weight_here[key] * spread * (1 + 0.35 * min(key.count(" "), 2))

        def named(key: str) -> bool:
            return " " in key or shown[key].most_common(1)[0][0][:1].isupper()

        def specific(key: str) -> bool:  # a lone noun ("sides") only when it is this
            if " " not in key and key in _GENERIC_NOUNS:  # section's own and not generic
                return False
            return named(key) or (groups_with[key] == 1 and here[key] >= 2)

        ranked = sorted((k for k in here if specific(k)), key=lambda k: (-weight(k), k))
        ranked = [k for k in ranked if here[k] >= 2] or ranked
        chosen: list[str] = []
        for key in ranked:
            if chosen and weight(key) < 0.5 * weight(chosen[0]):
                break
            if chosen and not named(key):
                continue
            words = set(key.split())
            if words & used or any(words & set(c.split()) for c in chosen):
                continue
            if any(key in c or c in key for c in chosen):
                continue
            chosen.append(key)
            if len(chosen) == 2:
                break
        if not chosen:  # every distinctive phrase shares a word with an earlier title:
            # the best other phrase that does not, else the best one not a title already
            rest = sorted((k for k in here if k not in _GENERIC_NOUNS),
                          key=lambda k: (-weight(k), k))
            chosen = [k for k in rest if not set(k.split()) & used][:1] or \
                [k for k in ranked + rest if k not in titles][:1]
        if not chosen:
            return "More Details" if "details" in used else "Details"
        texts = [shown[k].most_common(1)[0][0] for k in chosen]
        return " and ".join(_title_case(t) for t in texts)

    def _headline(self, originals: list[StoryArticle],
                  sentences: list[list[str]] | None = None) -> str:
        """The most central title — TF-IDF cosine to the mean of the other titles plus
        cosine to the mean of the articles' leads (what the outlets report first), IDF
        from the story's own text — among the titles the outlets gave (a title inferred
        from a first sentence only when none was given), outlet suffix and shouting prefix
        removed, shortened at a natural break to at most 90 characters; then the event's
        place added when most sources name it and the title does not. A title that a
        newer one contradicts (the story moved on) is not a candidate, nor a title of
        fewer than three words when another has more. ``sentences``: each original's
        ``_sentences``, where the caller has them."""
        if sentences is None:
            sentences = [_sentences(a) for a in originals]
        lead_texts = [" ".join(s[:LEAD_SENTENCES]) for s in sentences]
        given = [a for a in originals if a.title.strip() and not a.title_inferred]
        titled = [(_clean_title(_unshout(a.title, a.text), a.outlet), a.published)
                  for a in (given or [a for a in originals if a.title.strip()])]
        titled = [(t, p) for t, p in titled if t]
        if not titled:
            return "Untitled story"
        # The story's latest development: a title a newer title contradicts ("in
        # negotiations" before "won't direct" before "back in talks") is out of date.
        current = [t for t, p in titled if not any(
            p is not None and q is not None and q.date() > p.date() and reverses(t, u)
            for u, q in titled)]
        titles = current or [t for t, _p in titled]
        if not given:  # first sentences: the short ones read as headlines
            titles = [t for t in titles if len(t) <= MAX_HEADLINE] or titles
        # A title of a word or two is a label ("Deputy Sheriff"), not a headline: one
        # that tells the news is preferred.
        titles = [t for t in titles if len(t.split()) >= HEADLINE_MIN_WORDS] or titles
        ranked = titles
        if len(set(titles)) > 1:
            tfidf = TfidfVectorizer(stop_words="english", sublinear_tf=True)
            try:
                tfidf.fit(titles + [a.text for a in originals])
                m = tfidf.transform(titles).toarray()
                # Each title against the others (its own row, a constant, left out) and,
                # when the outlets gave titles, against what the articles lead with: a
                # title that names the facts most outlets open on reads as the story's
                # headline (a title taken from a first sentence is a lead already).
                score = np.einsum("ij,ij->i", m, (m.sum(axis=0) - m) / (len(titles) - 1))
                opening = [t for t in lead_texts if t]
                if given and opening:
                    lead_rows = tfidf.transform(opening).toarray()
                    lead_rows /= np.maximum(
                        np.linalg.norm(lead_rows, axis=1, keepdims=True), 1e-12)
                    score += m @ lead_rows.mean(axis=0)
                order = np.argsort(-score, kind="stable")
                ranked = [titles[int(i)] for i in order]
            except ValueError:  # nothing but stopwords
                pass
        # Each title as the page would show it: a relative time that goes stale ("Police
        # this morning arrested …") out where it can be, cut to fit at a natural break
        # (before an adjunct only where the parse says the word opens one).
        def parse_one(text: str) -> Any:
            docs = self.tagger.parse([text])
            return None if docs is None else docs[0]

        def rank(title: str) -> tuple[tuple[bool, int, bool], str]:
            # a title that opens on what it is about ("It's a tough job hosting the
            # Academy Awards" is a feature's lede), then whole, then cut where it stands
            # alone, then cut mid-phrase ("…"), then one without a stale time; the most
            # central first
            full = strip_stale(title)
            t = _shorten(full, parse_one)
            if t.endswith("…"):
                fits = 3
            elif t == full:
                fits = 0
            else:
                doc = parse_one(t)
                fits = 1 if doc is None or _stands_alone(doc) else 2
            first = _opener(t)
            return (first in _PRONOUNS or first in _LEANING_WORDS, fits, is_stale(t)), t

        key, best = rank(ranked[0])
        for title in dict.fromkeys(ranked[1:]):
            if key == (False, 0, False):
                break
            mine, shown = rank(title)
            if mine < key:
                key, best = mine, shown
        if _opener(best) in _PRONOUNS | _INTERJECTIONS or len(best.split()) < HEADLINE_MIN_WORDS:
            # No title opens on the news ("Well, here's something that we all knew would
            # happen eventually", "APR 28"): a title or a lead sentence trimmed to a
            # headline does ("Reid Checks Into Promises Treatment Center"). A title cut
            # mid-phrase ("…") stays: its outlet's words say more than most trims.
            leads = [t for s in sentences for t in s[:LEAD_SENTENCES]]
            trimmed = next((h for h in self.tagger.headlines(list(ranked) + leads)
                            if h and len(h.split()) >= TRIMMED_HEADLINE_WORDS), None)
            if trimmed is not None:
                best = trimmed
        best = _named_as_written(best, [a.text for a in originals])
        # A word set in capitals for emphasis ("3 DEAD due to Molotov cocktail") is a word.
        best = _quiet(best, _lower_words([" ".join(s[:QUIET_SENTENCES]) for s in sentences]))
        # The place is a majority vote: a spread of at most PLACE_SAMPLE leads decides it.
        step = max(1, math.ceil(len(originals) / PLACE_SAMPLE))
        leads = [" ".join(s[:3]) for s in sentences[::step]]
        places = self.tagger.places(leads)
        return _localized(best, places, len(leads))

    def merge_timeline(self, earlier: list[TimelineEntry], entries: list[TimelineEntry]
                       ) -> list[TimelineEntry]:
        """One entry per event: the storyline's earlier stories (``earlier``, their
        headlines) first, then the dated entries; an entry that says what a kept one
        says (cosine >= TIMELINE_REPEAT, or the page's repeat test) joins that one when
        they give the same date (its citations added) and is dropped otherwise, the
        earliest date of one sentence kept ("last year, the studio staked out a
        November 2013 release date": the event is last year's). Sorted by date."""
        items = list(earlier) + sorted(entries, key=lambda e: (
            e.citations == [], e.date, e.precision != "day"))
        if len(items) < 2:
            return sorted(items, key=_timeline_key)
        vecs = self.embedder.encode([e.text for e in items])
        words = [wording(e.text) for e in items]
        kept: list[int] = []
        for k, e in enumerate(items):
            same = next((j for j in kept if float(vecs[k] @ vecs[j]) >= TIMELINE_REPEAT
                         or tells_again(float(vecs[k] @ vecs[j]), words[k], words[j])), None)
            if same is None:
                kept.append(k)
                continue
            other = items[same]
            if (other.date, other.precision) == (e.date, e.precision) and \
                    other.story_id is None and e.story_id is None:
                other.citations = sorted(set(other.citations) | set(e.citations))
        return sorted((items[k] for k in kept), key=_timeline_key)

    def _verified_timeline(self, entries: list[TimelineEntry], evidence: _Evidence,
                           originals: list[StoryArticle]) -> list[TimelineEntry]:
        """An entry's text comes from its first source; each other source that mentions
        the date keeps its citation only when the verifier finds the text supported by
        what that source says of the date: its passages that mention it. (Checking
        against whole articles encoded every sentence of every source: 8 of the 11
        seconds a 100-article story took.)"""
        checks = [(k, c) for k, e in enumerate(entries) for c in e.citations[1:]]
        if not checks:
            return entries
        # One source per check (numbered 1…n): the cited source's publication date and
        # its passages that mention the entry's date.
        sources = [Source(j, " ".join(evidence[(entries[k].date, entries[k].precision, c)]),
                          originals[c - 1].published) for j, (k, c) in enumerate(checks, 1)]
        verdicts = self.verifier.check_many(
            [(entries[k].text, [j]) for j, (k, _c) in enumerate(checks, 1)], sources,
            recite=False)
        backed = {(k, c) for j, ((k, c), v) in enumerate(zip(checks, verdicts, strict=True), 1)
                  if v.supported and v.citations == [j]}
        for k, e in enumerate(entries):
            e.citations = e.citations[:1] + [c for c in e.citations[1:] if (k, c) in backed]
        return entries

    def _image(self, originals: list[StoryArticle]) -> Image | None:
        best: tuple[int, Image] | None = None
        for i, a in enumerate(originals):
            if not a.image_url:
                continue
            rank = (2 if a.image_credit else 0) + (1 if a.image_caption else 0)
            if best is None or rank > best[0]:
                best = (rank, Image(a.image_url, a.image_caption, a.image_credit, i + 1))
        return best[1] if best else None

    def _timeline(self, originals: list[StoryArticle]
                  ) -> tuple[list[TimelineEntry], _Evidence]:
        """Dated entries, and for each (date, precision, source) the passages of that
        source that mention the date, each a sentence and its neighbours (what the
        verifier checks a citation against)."""
        entries: dict[tuple[date, str], TimelineEntry] = {}
        evidence: _Evidence = {}
        # An undated article (an imported file that says no date) gives the dates it
        # writes in full ("February 24, 2022", "in 2014"), never "on Wednesday": those
        # need its own publication date, which nobody knows.
        newest = max((a.published for a in originals if a.published), default=None)
        titles = [a.title for a in originals if a.title and not a.title_inferred]
        for i, a in enumerate(originals):
            anchor = a.published or newest
            if anchor is None:
                continue
            text = a.text  # never the photo caption: a timeline entry is an event
            spans = split_sentences(text)
            starts = [start for start, _end in spans]
            mentions = resolve_mentions(text, anchor)
            per_sentence = Counter(m.sentence for m in mentions)
            for m in mentions:
                if a.published is None and is_relative(m.text):
                    continue
                if _SINCE.search(text[max(m.start - 20, 0): m.start]):
                    continue  # "the fifth operation since September": a span, not the event
                at = max(bisect.bisect_right(starts, m.start) - 1, 0)
                before = text[starts[at]: m.start] if starts else ""
                if before.count('"') % 2 or before.count("“") > before.count("”"):
                    # A date inside a quotation is someone's words ("Have we forgotten
                    # December 2008 …?"), not the report of an event.
                    continue
                if per_sentence[m.sentence] > 1 and _ATTRIBUTIVE.search(
                        text[max(m.start - 12, 0): m.start]) and \
                        _NOUN_AFTER.match(text, m.end):
                    # "A jury on Tuesday convicted a man charged in an April 2007
                    # shooting": the date of a noun is background, Tuesday the event.
                    continue
                sentence = _without_connective(" ".join(m.sentence.split()))
                if not _usable(sentence) or not_report(sentence, titles) is not None:
                    continue  # fragments, run-ons, furniture and teasers are no events
                key = (m.date, m.precision)
                # The sentence with the date and its neighbours: what the source says
                # of that day.
                near = " ".join(text[b:e] for b, e in spans[max(at - 1, 0): at + 2])
                said = evidence.setdefault((m.date, m.precision, i + 1), [])
                if near not in said:
                    said.append(near)
                if key in entries:
                    entry = entries[key]
                    if i + 1 not in entry.citations:
                        entry.citations.append(i + 1)
                    if _voiced(entry.text) and not _voiced(sentence):
                        # An event is told in the report's own words: a quotation or a
                        # question ("Have we forgotten December 2008 …?") gives way.
                        entry.text = sentence
                        entry.citations.remove(i + 1)
                        entry.citations.insert(0, i + 1)
                    continue
                entries[key] = TimelineEntry(m.date, m.precision, sentence, [i + 1])
        # A year or month already covered by a more precise entry adds nothing.
        days = {(e.date.year, e.date.month) for e in entries.values() if e.precision == "day"}
        months = {e.date.year for e in entries.values() if e.precision in ("day", "month")}
        kept = [e for e in entries.values()
                if not (e.precision == "month" and (e.date.year, e.date.month) in days)
                and not (e.precision == "year" and e.date.year in months)]
        return sorted(kept, key=lambda e: (e.date, e.precision != "year",
                                           e.precision != "month")), evidence
