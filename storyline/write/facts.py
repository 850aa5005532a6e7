"""What a story page shows beside its summary: the figures the outlets disagree on
("sources differ") and the non-news pages the articles link to ("External resources").

Both are read off the source text, never written: a conflict is two source sentences
about the same thing (close in meaning) that give incompatible quantities of the same
unit ("killed 12 people" vs "at least 20 people killed" is not a conflict, "killed 12
people" vs "killed 15 people" is); an external link is a link inside an article's main
text to a site that is neither one of the story's outlets nor a known news site.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import numpy as np

from storyline.text.lexicon import (
    FACT_STOP_WORDS,
    MONTH_NAMES,
    NUMBER_WORDS,
    PHRASE_BREAKS,
    wordset,
)
from storyline.write.schema import Conflict, ConflictClaim, ExternalLink

__all__ = ["Quantity", "external_links", "find_conflicts", "quantities", "registered_domain"]

# ------------------------------------------------------------------------ quantities
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
# qualifier -> (low factor, high factor) of the interval the figure stands for
_QUALIFIERS = {
    "about": (0.8, 1.25), "around": (0.8, 1.25), "roughly": (0.8, 1.25),
    "approximately": (0.8, 1.25), "some": (0.8, 1.25), "nearly": (0.8, 1.0),
    "almost": (0.8, 1.0), "close to": (0.8, 1.0), "at least": (1.0, math.inf),
    "more than": (1.0, math.inf), "over": (1.0, math.inf), "upwards of": (1.0, math.inf),
    "in excess of": (1.0, math.inf), "up to": (0.0, 1.0), "fewer than": (0.0, 1.0),
    "less than": (0.0, 1.0), "under": (0.0, 1.0), "as many as": (0.0, 1.0),
}
_QUAL = "|".join(sorted((re.escape(q) for q in _QUALIFIERS), key=len, reverse=True))
_NUM = (r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|"
        + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)))
_QTY = re.compile(
    rf"(?<![\w$£€.,/-])(?:(?P<qual>{_QUAL})\s+)?(?P<num>{_NUM})"
    rf"(?:\s+(?P<scale>{'|'.join(_SCALES)}))?(?P<rest>(?:[\s-]+[A-Za-z][A-Za-z'-]*){{1,4}})",
    re.IGNORECASE,
)
# Words after a number that are not what is counted.
_NOT_UNITS = wordset("""
year years old am pm gmt utc time times day-old year-old
""") | MONTH_NAMES


@dataclass(frozen=True, slots=True)
class Quantity:
    value: float
    low: float
    high: float
    unit: str  # singular, lower case: "drone", "hour", "percent"
    phrase: str  # as written: "at least 12 people"
    # The words between the figure and what it counts ("11 Yemeni pirates": {"yemeni"}):
    # two figures with other qualifiers count other things ("31 fire trucks", "three
    # ladder trucks").
    kind: frozenset[str] = frozenset()
    # Content words around the phrase: what the figure is said of ("home to 120,000
    # people", "played for 11 seasons").
    context: frozenset[str] = frozenset()
    # The noun a hyphenated figure qualifies ("a 30-day program": "program"): a 30-day
    # program and a 90-day stay are two things, not two lengths of one.
    head: str | None = None
    # The sentence gives a running total, an average or a rate ("so far", "combined",
    # "averaged", "a season"): such a figure and a single event's are of other scopes.
    aggregate: bool = False


_IRREGULAR_PLURALS = frozenset({"people", "children", "men", "women", "police", "personnel",
                                "troops", "staff", "percent", "feet", "cattle", "sheep"})


def _plural(word: str) -> bool:
    w = word.lower()
    return w in _IRREGULAR_PLURALS or (len(w) > 3 and w.endswith("s")
                                       and not w.endswith(("ss", "us", "is", "ous")))


def _singular(word: str) -> str:
    w = word.lower()
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("ches", "shes", "sses", "xes")):
        return w[:-2]
    if w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        return w[:-1]
    return w


def _value(num: str, scale: str | None) -> float | None:
    n = num.lower().replace(",", "")
    try:
        value = float(n)
    except ValueError:
        if n not in NUMBER_WORDS:
            return None
        value = float(NUMBER_WORDS[n])
    if scale:
        value *= _SCALES[scale.lower()]
    return value


# A figure followed by these words is a point in time ("eight days ago", "two hours
# later"), not an amount.
_TIME_POINT = wordset("ago earlier later before after since")
# Words that make a figure a total, an average or a rate rather than one event's count.
_AGGREGATE = re.compile(
    r"\b(?:so far|to date|in total|a total of|altogether|combined|cumulative(?:ly)?|"
    r"overall|career|averag(?:e|ed|es|ing)|per (?:game|season|year|day|month|week)|"
    r"(?:a|each|every) (?:game|season|year|month|week)|annual(?:ly)?)\b", re.IGNORECASE)
# Collective nouns that can follow "and" in a compound count ("420 passengers and crew").
_COLLECTIVE = wordset("crew staff personnel police family families")


def _after(sentence: str, end: int) -> list[str]:
    """The two words after position ``end``, lower case, stripped of punctuation."""
    return [re.sub(r"[^a-z'-]", "", w.lower()) for w in sentence[end:].split()[:2]]


def quantities(sentence: str) -> list[Quantity]:
    """Counted things in a sentence: ``"about six hours"`` -> 6 hour, interval 4.8–7.5."""
    out: list[Quantity] = []
    aggregate = bool(_AGGREGATE.search(sentence))
    for m in _QTY.finditer(sentence):
        value = _value(m.group("num"), m.group("scale"))
        before = sentence[: m.start()].split()[-1:]
        if value is None or (before and before[0].lower().strip(".,") in MONTH_NAMES):
            continue  # "February 18"
        if m.group("num").isdigit() and 1800 <= value <= 2100 and not m.group("scale"):
            continue  # a year
        rest = m.group("rest")
        words = [w for w in re.split(r"[\s-]+", rest.strip(" -")) if w][:4]
        if rest.startswith("-"):  # "a 6-hour session": the hour is counted
            unit_at = 1 if len(words) > 1 and words[0].lower() == "square" else 0
        else:  # the counted thing is the first plural noun: "126 Russian attack drones"
            unit_at = next((k for k, w in enumerate(words)
                            if w.lower() in PHRASE_BREAKS or _plural(w)), -1)
            if unit_at < 0 or words[unit_at].lower() in PHRASE_BREAKS:
                continue
        words = words[: unit_at + 1]
        if words[-1].lower() in _NOT_UNITS or not words[-1][:1].islower():
            continue  # a date or an age, or a name ("126 Russians")
        qual = (m.group("qual") or "").lower()
        lo_f, hi_f = _QUALIFIERS.get(qual, (1.0, 1.0))
        unit_end = m.start("rest")
        for w in words:
            unit_end = sentence.index(w, unit_end) + len(w)
        phrase = " ".join(sentence[m.start(): unit_end].split())
        if _OF_WHOLE.search(sentence[max(m.start() - 30, 0): m.start()]):
            continue  # "landed 178 of 369 punches": a whole beside its part
        kind = set(w.lower() for w in words[:-1])
        after = _after(sentence, unit_end)
        if after and after[0] in _TIME_POINT:
            continue  # "eight days ago": when, not how many
        head = None
        if rest.startswith("-") and after and after[0].isalpha() \
                and after[0] not in PHRASE_BREAKS and after[0] not in FACT_STOP_WORDS:
            # the noun, past a participle that qualifies it ("a three-game losing streak")
            noun = after[1] if (len(after) == 2 and after[0].endswith(("ing", "ed"))
                                and after[1].isalpha() and after[1] not in PHRASE_BREAKS) \
                else after[0]
            head = _singular(noun)
        if len(after) == 2 and after[0] == "and" and (after[1] in _COLLECTIVE
                                                       or _plural(after[1])):
            kind.add("and " + after[1])  # "passengers and crew": both counted together
        if after and after[0] == "as":
            kind.add("as")  # "four seasons as director": in one role, not all told
        around = (sentence[: m.start()].split()[-_CONTEXT:]
                  + sentence[unit_end:].split()[:_CONTEXT])
        context = frozenset(w for w in (re.sub(r"[^a-z]", "", x.lower()) for x in around)
                            if len(w) > 2 and w not in FACT_STOP_WORDS
                            and w not in NUMBER_WORDS and _singular(w) != _singular(words[-1]))
        out.append(Quantity(value, value * lo_f, value * hi_f, _singular(words[-1]), phrase,
                            frozenset(kind), context, head, aggregate))
    return out


_CONTEXT = 5  # words either side of a figure that say what it is of
_OF_WHOLE = re.compile(r"\d[\d,.]*\s+of\s+(?:his|her|their|its|the\s+)?$", re.IGNORECASE)


def _disjoint(a: Quantity, b: Quantity) -> bool:
    return a.high < b.low or b.high < a.low


def _same_thing_counted(a: Quantity, b: Quantity) -> bool:
    """Whether two figures of one unit count the same thing: the same qualifiers, said
    of something in common, of one scope, and a hyphenated figure's noun either the
    other's too or among the words the other is said of ("a six-hour session" and "the
    session lasted four hours"; not "a three-game losing streak" and "eight of their
    last 10 games")."""
    if a.kind != b.kind or a.aggregate != b.aggregate or not a.context & b.context:
        return False
    if a.head and b.head:
        return a.head == b.head
    head, other = (a.head, b) if a.head else (b.head, a)
    return head is None or head in {_singular(w) for w in other.context}


def find_conflicts(sentences: Sequence[tuple[int, str]], vecs: np.ndarray, *,
                   same_thing: float = 0.62, limit: int = 3) -> list[Conflict]:
    """Figures of one unit that different sources give incompatibly in sentences that
    are about the same thing (cosine ≥ ``same_thing``). ``sentences`` are (source index,
    text); ``vecs`` their unit-length embeddings."""
    found = [(i, q) for i, (_src, text) in enumerate(sentences) for q in quantities(text)]
    pairs: list[tuple[float, int, Quantity, int, Quantity]] = []
    for a in range(len(found)):
        i, qa = found[a]
        for b in range(a + 1, len(found)):
            j, qb = found[b]
            if sentences[i][0] == sentences[j][0] or qa.unit != qb.unit or not _disjoint(qa, qb):
                continue
            if not _same_thing_counted(qa, qb):
                continue  # other things counted, said of other things, or other scopes
            sim = float(vecs[i] @ vecs[j])
            if sim >= same_thing:
                pairs.append((sim, i, qa, j, qb))
    pairs.sort(key=lambda p: -p[0])
    conflicts: list[Conflict] = []
    seen_units: set[str] = set()
    for _sim, i, qa, j, qb in pairs:
        if qa.unit in seen_units:
            continue
        claims = [ConflictClaim(qa.phrase, sentences[i][1], [sentences[i][0]]),
                  ConflictClaim(qb.phrase, sentences[j][1], [sentences[j][0]])]
        # Other sources that give one of the two figures join its citations.
        for k, q in found:
            src = sentences[k][0]
            if q.unit != qa.unit or float(vecs[k] @ vecs[i]) < same_thing:
                continue
            for claim, ref in ((claims[0], qa), (claims[1], qb)):
                if (q.low, q.high) == (ref.low, ref.high) and src not in claim.citations:
                    claim.citations.append(src)
                    claim.citations.sort()
        if set(claims[0].citations) & set(claims[1].citations):
            # One outlet gives both figures: they count different things (the five
            # boats that attacked, the three that were captured), not a disagreement.
            continue
        seen_units.add(qa.unit)
        conflicts.append(Conflict(subject=_subject(qa, qb), claims=claims))
        if len(conflicts) == limit:
            break
    return conflicts


def _subject(a: Quantity, b: Quantity) -> str:
    unit = a.unit
    if unit == "percent":
        return "percentage"
    if unit in _IRREGULAR_PLURALS:
        plural = unit
    elif unit.endswith("y") and unit[-2:-1] not in "aeiou":
        plural = unit[:-1] + "ies"
    elif unit.endswith(("s", "x", "ch", "sh")):
        plural = unit + "es"
    else:
        plural = unit + "s"
    return f"number of {plural}"


# ------------------------------------------------------------------------ links
# Second-level labels under which registrations happen (example.co.uk, example.com.au).
_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "gov", "ac", "edu", "ne", "or", "go",
                           "gob", "gouv", "mil", "nic", "govt"})
NEWS_DOMAINS = wordset("""
abc.net.au abcnews.go.com aljazeera.com apnews.com axios.com bbc.co.uk bbc.com
bloomberg.com breitbart.com businessinsider.com cbc.ca cbsnews.com cnbc.com cnn.com
dailymail.co.uk dw.com economist.com euronews.com foxnews.com france24.com ft.com
theguardian.com huffpost.com independent.co.uk latimes.com lemonde.fr msnbc.com nbcnews.com
news.sky.com npr.org nypost.com nytimes.com politico.com politico.eu reuters.com rferl.org
scmp.com sky.com spiegel.de telegraph.co.uk thehill.com time.com trtworld.com usatoday.com
vox.com washingtonpost.com washingtontimes.com wsj.com yahoo.com newsweek.com afp.com
kyivindependent.com kyivpost.com tass.com ria.ru interfax.com ukrinform.net themoscowtimes.com
timesofisrael.com jpost.com haaretz.com thetimes.co.uk news.com.au nzherald.co.nz
straitstimes.com hindustantimes.com indiatimes.com ndtv.com dawn.com arabnews.com
""")
_SOCIAL_POST = re.compile(r"^(?:twitter\.com|x\.com)/(?P<user>\w+)/status/\d+")
_SKIP_HOSTS = frozenset({"facebook.com", "instagram.com", "linkedin.com", "pinterest.com",
                         "reddit.com", "whatsapp.com", "t.me", "telegram.me", "tiktok.com",
                         "bit.ly", "google.com", "apple.com", "doubleclick.net"})
_SKIP_PATH = re.compile(r"/(?:share|sharer|intent|login|signin|subscribe|newsletter|tag|tags|"
                        r"topic|topics|category|author|authors|search)(?:/|$|\?|\.)", re.I)
_SLUG_WORDS = re.compile(r"[A-Za-z]+")


def registered_domain(host: str) -> str:
    """``www.bbc.co.uk`` -> ``bbc.co.uk``; ``news.example.com`` -> ``example.com``."""
    labels = [p for p in host.lower().strip(".").split(".") if p]
    if labels and labels[0] == "www":
        labels = labels[1:]
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _is_news(host: str) -> bool:
    host = host.lower().removeprefix("www.")
    return host in NEWS_DOMAINS or registered_domain(host) in NEWS_DOMAINS


def _official(domain: str) -> bool:
    parts = domain.split(".")
    return bool({"gov", "gouv", "gob", "mil", "int", "edu"} & set(parts)) or domain in {
        "un.org", "europa.eu", "nato.int", "who.int", "president.gov.ua", "kremlin.ru"}


def _link_title(url: str, host: str) -> str:
    parts = urlsplit(url)
    post = _SOCIAL_POST.match(host.removeprefix("www.") + parts.path)
    if post:
        return f"Post by @{post.group('user')} on X"
    segments = [unquote(s) for s in parts.path.split("/") if s]
    for seg in reversed(segments):
        words = _SLUG_WORDS.findall(re.sub(r"\.[a-z0-9]{2,5}$", "", seg))
        if len(words) >= 2 and not any(len(w) > 25 for w in words):
            text = " ".join(words)
            return text[:1].upper() + text[1:]
    return host.removeprefix("www.")


def external_links(article_links: Sequence[tuple[int, str | None, Sequence[str]]], *,
                   limit: int = 12) -> list[ExternalLink]:
    """Links inside the articles' text to non-news sites. ``article_links`` are (source
    index, article URL, links); the outlets' own sites and known news sites are left out.
    Pages linked by more sources come first, official sites (.gov, .int, …) break ties."""
    own = {registered_domain(urlsplit(u).hostname or "") for _i, u, _l in article_links if u}
    found: dict[str, ExternalLink] = {}
    for index, _url, links in article_links:
        for link in links:
            parts = urlsplit(link)
            host = (parts.hostname or "").lower()
            if parts.scheme not in ("http", "https") or not host:
                continue
            domain = registered_domain(host)
            if domain in own or _is_news(host) or domain in _SKIP_HOSTS and not \
                    _SOCIAL_POST.match(host.removeprefix("www.") + parts.path):
                continue
            if _SKIP_PATH.search(parts.path) or (parts.path in ("", "/") and not parts.query):
                continue
            key = link.split("#")[0].rstrip("/")
            entry = found.get(key)
            if entry is None:
                found[key] = ExternalLink(url=link, title=_link_title(link, host),
                                          domain=host.removeprefix("www."), citations=[index])
            elif index not in entry.citations:
                entry.citations.append(index)
    ranked = sorted(found.values(), key=lambda e: (-len(e.citations),
                                                   not _official(registered_domain(e.domain)),
                                                   e.domain, e.url))
    return ranked[:limit]
