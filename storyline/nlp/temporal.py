"""Resolve temporal expressions in news text against the article's publication date.

Rule-based and fast (one compiled regex pass, no spaCy / dateparser at run time):

* explicit dates ("February 24, 2022", "24 Feb 2022", "08/02/2013", "2013-06-14") -> day;
* "February 2022", "July of 2009" -> month; bare years ("in 2014", "the 2016 election") -> year;
* year-less dates ("Feb. 15", "19 August") and month-only references introduced by a
  preposition or modifier ("in June", "mid May", "next March") -> the *nearest* such
  date/month to publication (ties -> past), or the next one when the clause is future
  ("will", "would", "until", "set to", ...);
* weekdays ("on Wednesday", "Wednesday morning", "Thursday's") -> the most recent such day on
  or before publication, or the next one on/after it when the clause is future
  ("will ... on Friday", "next Friday", "talks are set to resume on Monday");
  "last <weekday>" is strictly before publication;
* today / tonight / yesterday / tomorrow -> day; "this|last|next month" -> month;
  "this|last|next year" -> year; "N years|months|days ago" -> year|month|day.

Skipped on purpose: week expressions ("last week", "this week": no week precision here),
vague ones ("recently", "in recent days"), durations ("six hours", "for two days", "the past
year"), ages, times of day, decades ("the 1930s"), lowercase "may"/"march", weekday and month
abbreviations standing alone ("We", "Sun", "Mar-a-Lago"), capitalised "Today" mid-sentence
(the "Today" show, USA Today) and plural weekdays ("on Sundays").
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from storyline.text.lexicon import MONTH_NUMBERS, NUMBER_WORDS, WEEKDAYS
from storyline.text.sentences import split_sentences

__all__ = ["TimeMention", "is_relative", "resolve_mentions"]


@dataclass(frozen=True, slots=True)
class TimeMention:
    text: str
    start: int
    end: int
    date: date
    precision: str  # "day" | "month" | "year"
    sentence: str


def is_relative(text: str) -> bool:
    """A mention whose date depends on the reference date: no year written in it ("on
    Wednesday", "Feb 18"), or one counted from it ("two years ago", "last year")."""
    return not re.search(r"\b(?:1[89]|20)\d\d\b", text) or bool(
        re.search(r"\b(?:ago|next|last)\b", text, re.IGNORECASE))


# --------------------------------------------------------------------------- lexicon

_WEEKDAYS = {day: i for i, day in enumerate(WEEKDAYS)}  # date.weekday() numbers
_NUMBERS = {"a": 1, "an": 1, **{w: v for w, v in NUMBER_WORDS.items() if v},
            "several": 0, "few": 0, "many": 0}

# any month spelling (full, abbreviated, abbreviated with a dot)
_MON = (
    r"(?:Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|June?|July?"
    r"|Aug(?:ust|\.)?|Sep(?:t(?:ember|\.)?|\.)?|Oct(?:ober|\.)?|Nov(?:ember|\.)?"
    r"|Dec(?:ember|\.)?)(?![a-z])"
)
# full month names only (used where no digit follows)
_MONFULL = (
    r"(?:January|February|March|April|May|June|July|August|September|October"
    r"|November|December)\b"
)
_WD = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_WD_ANY = _WD + r"|(?:Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)\.?"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d\d|20\d\d)"
_NUMW = "|".join(sorted(_NUMBERS, key=len, reverse=True))

_PATTERN = re.compile(
    "|".join([
        # Friday, September 20, 2013 / MAY 23, 2005 / Jul 7 2012 / June 6th, 2013
        rf"(?P<mdy>(?i:(?:(?:{_WD_ANY}),?\s+)?)(?P<mdy_m>(?i:{_MON}))\s+(?P<mdy_d>{_DAY}),?\s+"
        rf"(?P<mdy_y>{_YEAR})\b)",
        # 24 Feb 2022 / MON 22 JUL 2013 / 4 October 2013
        rf"(?P<dmy>(?i:(?:(?:{_WD_ANY}),?\s+)?)\b(?P<dmy_d>{_DAY})\s+(?:of\s+)?"
        rf"(?P<dmy_m>(?i:{_MON})),?\s+(?P<dmy_y>{_YEAR})\b)",
        # 2013-06-14
        r"(?P<iso>\b(?P<iso_y>(?:19|20)\d\d)-(?P<iso_m>0[1-9]|1[0-2])-(?P<iso_d>[0-3]\d)\b)",
        # 08/02/2013 (US order; day-first when the first number is > 12)
        r"(?P<num>\b(?P<num_a>[0-3]?\d)/(?P<num_b>[0-3]?\d)/(?P<num_y>(?:19|20)\d\d)\b)",
        # February 2022 / July of 2009 / Sept. 2016
        rf"(?P<my>(?P<my_m>{_MON}),?\s+(?:of\s+)?(?P<my_y>{_YEAR})\b)",
        # Feb. 15 / February 18 / Aug 6th (no year)
        rf"(?P<md>(?P<md_m>{_MON})\s+(?P<md_d>{_DAY})\b(?![:.,]?\d|\s*(?:%|percent)))",
        # 19 August / 3rd of May (no year)
        rf"(?P<dm>\b(?P<dm_d>{_DAY})\s+(?:of\s+)?(?P<dm_m>{_MONFULL}))",
        # in June / mid May / last September / next March
        rf"(?P<mo>\b(?P<mo_p>in|In|since|Since|until|Until|till|by|By|through|early|Early|late"
        r"|Late|mid|Mid|last|Last|next|Next|this|This|of|during|During|from|From|before"
        rf"|Before|after|After|between|Between)(?:-|\s+)(?:(?:early|late|mid)(?:-|\s+))?"
        rf"(?P<mo_m>{_MONFULL})(?!,?\s+(?:of\s+)?\d))",
        # the November election
        rf"(?P<mn>\b[Tt]he\s+(?P<mn_m>{_MONFULL})(?=\s+(?:elections?|midterms?|primary|primaries"
        r"|ballot|vote|referendum|polls?|summit|deadline|meeting|runoff)\b))",
        # (last|next|this) Wednesday, Wednesday('s) (morning), not plural
        rf"(?P<wd>(?:(?P<wd_mod>[Ll]ast|[Nn]ext|[Tt]his(?:\s+coming)?|[Cc]oming)\s+)?"
        rf"(?P<wd_d>{_WD})(?!s\b|\w))",
        r"(?P<rel>\b(?i:today|tonight|yesterday|tomorrow)\b)",
        # earlier this year / last month / next year
        r"(?P<rym>\b(?:(?:earlier|later|early|late|Earlier|Later|Early|Late)\s+)?"
        r"(?P<rym_mod>this|last|next|This|Last|Next)\s+(?P<rym_u>year|month)\b)",
        # four years ago
        rf"(?P<ago>\b(?P<ago_n>\d{{1,3}}|(?i:{_NUMW}))\s+(?P<ago_u>years?|months?|days?)\s+ago\b)",
        # 2014
        rf"(?P<year>(?<![\w$£€#.,/:])(?:(?<!-)|(?<=\d{{4}}-))(?P<year_y>{_YEAR})"
        r"(?![\w%]|[.,:/]\d|-(?!(?:19|20)\d\d\b)\d|['’]s))",
    ])
)

_UNIT_AFTER = re.compile(
    r"\s*(?:-\s*)?(?:people|persons|households|troops|soldiers|votes|voters|miles|km|kilometers"
    r"|kilometres|feet|foot|meters|metres|yards|dollars|euros|pounds|tons|tonnes|acres|jobs"
    r"|cases|deaths|homes|families|members|workers|employees|students|children|residents"
    r"|signatures|pages|times|points|rounds|words|copies|units|barrels|calories|rooms|beds"
    r"|seats|cars|vehicles|flights|markets|hours|minutes|seconds|days|weeks|months|years"
    r"|percent|per\b|hp|mph|kg|lbs|rpm|square|cubic|million|billion|thousand|year-old"
    r"|BST|GMT|EST|EDT|PST|PDT|CST|UTC|hrs|[ap]\.?m\b)",
)
_BEFORE_NUM_BLOCK = re.compile(r"(?:No\.|Nos\.|number|Number|Route|Flight|flight|Room|room"
                               r"|Highway|Interstate|[Cc]ode|[Aa]rticle|[Ss]ection|Resolution"
                               r"|[Bb]ill|H\.R\.|S\.)\s*$")
_FESTIVE = re.compile(r"(?:News|Black|Good|Super|Cyber|Ash|Easter|Palm|Bloody|Holy|Giving|Shrove"
                      r"|Maundy|Fat)\s+$")
_FUTURE = re.compile(
    r"\b(?:will|won['’]t|shall|would|could|might|should|[A-Za-z]+['’]ll|set to|expected to"
    r"|scheduled|slated|planned|plans? (?:to|on)|planning|going to|poised to|due to (?:be|begin|start)"
    r"|(?:is|are|was|were) to|to (?:start|begin|resume|continue|appear|hold|meet|vote|host"
    r"|take place|travel|visit|announce|launch|open|be|testify|return)"
    r"|as soon as|as early as|until|till|upcoming|later this|ahead of)\b",
    re.IGNORECASE,
)


# --------------------------------------------------------------------------- helpers

def _month_num(token: str) -> int:
    return MONTH_NUMBERS.get(token[:3].lower(), 0)


def _day_num(token: str) -> int:
    return int(re.sub(r"\D", "", token))


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _add_months(y: int, m: int, delta: int) -> tuple[int, int]:
    idx = y * 12 + (m - 1) + delta
    return idx // 12, idx % 12 + 1


_PAST_BEFORE_TO = re.compile(r"\b(?:\w+ed|was|were|had|did|tried|sought|went)\s+$", re.IGNORECASE)


def _is_future(window: str) -> bool:
    for fm in _FUTURE.finditer(window):
        # "refused to testify", "agreed to meet": a past verb governs the infinitive
        if fm.group(0).lower().startswith("to ") and _PAST_BEFORE_TO.search(
                window[max(0, fm.start() - 20):fm.start()]):
            continue
        return True
    return False


def _nearest_md(pub: date, month: int, day: int, future: bool) -> date | None:
    """Year-less month/day: the next one on/after pub when future, else the nearest (ties -> past)."""
    cands = [d for y in (pub.year - 1, pub.year, pub.year + 1)
             if (d := _safe_date(y, month, day)) is not None]
    if not cands:
        return None
    if future:
        after = [d for d in cands if d >= pub]
        return min(after) if after else None
    past = max((d for d in cands if d <= pub), default=None)
    fut = min((d for d in cands if d > pub), default=None)
    if past is None:
        return fut
    if fut is None or (pub - past) <= (fut - pub):
        return past
    return fut


def _nearest_month(pub: date, month: int, future: bool, mod: str) -> date:
    mod = mod.lower()
    cur = pub.year * 12 + pub.month - 1
    past_idx = cur - ((pub.month - month) % 12)  # on or before the current month
    fut_idx = cur + ((month - pub.month) % 12)  # on or after
    if mod == "last":
        idx = past_idx if past_idx < cur else past_idx - 12
    elif mod == "next":
        idx = fut_idx if fut_idx > cur else fut_idx + 12
    elif mod == "this":
        idx = pub.year * 12 + month - 1
    elif future or mod in {"until", "till", "by"}:
        idx = fut_idx
    elif mod == "since":
        idx = past_idx
    else:
        idx = past_idx if (cur - past_idx) <= (fut_idx - cur) else fut_idx
    return date(idx // 12, idx % 12 + 1, 1)


def _weekday(pub: date, wd: int, mod: str, future: bool) -> date:
    mod = mod.lower().split()[0] if mod else ""
    back = (pub.weekday() - wd) % 7
    ahead = (wd - pub.weekday()) % 7
    if mod == "last":
        return pub - timedelta(days=back or 7)
    if mod == "next":
        return pub + timedelta(days=ahead or 7)
    if mod in {"this", "coming"} or future:
        return pub + timedelta(days=ahead)
    return pub - timedelta(days=back)


def _to_date(published: datetime | date) -> date:
    if isinstance(published, datetime):
        if published.tzinfo is not None:
            published = published.astimezone(UTC)
        return published.date()
    return published


# --------------------------------------------------------------------------- resolver

def _resolve(m: re.Match[str], text: str, pub: date, window: str,
             sent_start: int) -> tuple[int, int, date, str] | None:
    kind = m.lastgroup
    g = m.group
    s, e = m.start(), m.end()
    if kind == "mdy" or kind == "dmy":
        mon, day, yr = (g("mdy_m"), g("mdy_d"), g("mdy_y")) if kind == "mdy" else (
            g("dmy_m"), g("dmy_d"), g("dmy_y"))
        d = _safe_date(int(yr), _month_num(mon), _day_num(day))
        return (s, e, d, "day") if d else None
    if kind == "iso":
        d = _safe_date(int(g("iso_y")), int(g("iso_m")), int(g("iso_d")))
        return (s, e, d, "day") if d else None
    if kind == "num":
        a, b, y = int(g("num_a")), int(g("num_b")), int(g("num_y"))
        mo, dd = (b, a) if a > 12 else (a, b)
        d = _safe_date(y, mo, dd)
        return (s, e, d, "day") if d else None
    if kind == "my":
        mon = g("my_m")
        if mon[0].islower():
            return None
        return s, e, date(int(g("my_y")), _month_num(mon), 1), "month"
    if kind in ("md", "dm"):
        mon, day = (g("md_m"), g("md_d")) if kind == "md" else (g("dm_m"), g("dm_d"))
        if mon[0].islower() or (mon == "May" and kind == "md" and _is_name_context(text, s)):
            return None
        d = _nearest_md(pub, _month_num(mon), _day_num(day), _is_future(window))
        return (s, e, d, "day") if d else None
    if kind == "mn":
        d = _nearest_month(pub, _month_num(g("mn_m")), _is_future(window), "")
        return m.start("mn_m"), e, d, "month"
    if kind == "mo":
        mod = g("mo_p")
        mon = g("mo_m")
        ms = m.start("mo_m")
        if mon == "May" and mod.lower() not in {"in", "since", "until", "by", "early", "late",
                                                "mid", "last", "next", "this", "during"}:
            return None
        if mod.lower() in {"last", "next", "this"}:
            ms = s
        d = _nearest_month(pub, _month_num(mon), _is_future(window), mod)
        return ms, e, d, "month"
    if kind == "wd":
        if _FESTIVE.search(text[max(0, s - 12):s]):
            return None
        d = _weekday(pub, _WEEKDAYS[g("wd_d").lower()], g("wd_mod") or "", _is_future(window))
        return s, e, d, "day"
    if kind == "rel":
        word = g("rel")
        if word[0].isupper() and not _at_sentence_start(text, s, sent_start):
            return None  # "USA Today", the "Today" show
        if text[max(0, s - 1):s] in {"“", '"'} and text[e:e + 1] in {"”", '"'}:
            return None
        off = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1}[word.lower()]
        return s, e, pub + timedelta(days=off), "day"
    if kind == "rym":
        if re.search(r"\b(?:the|The|over|Over|past|for)\s+$", text[max(0, s - 6):s]):
            return None
        mod = g("rym_mod").lower()
        delta = {"this": 0, "last": -1, "next": 1}[mod]
        if g("rym_u") == "year":
            return s, e, date(pub.year + delta, 1, 1), "year"
        y, mo = _add_months(pub.year, pub.month, delta)
        return s, e, date(y, mo, 1), "month"
    if kind == "ago":
        n_raw = g("ago_n").lower()
        n = int(n_raw) if n_raw.isdigit() else _NUMBERS.get(n_raw, 0)
        if n <= 0:
            return None
        unit = g("ago_u")
        if unit.startswith("year"):
            return s, e, date(pub.year - n, 1, 1), "year"
        if unit.startswith("month"):
            y, mo = _add_months(pub.year, pub.month, -n)
            return s, e, date(y, mo, 1), "month"
        return s, e, pub - timedelta(days=n), "day"
    if kind == "year":
        y = int(g("year_y"))
        if y > pub.year + 30 or _UNIT_AFTER.match(text, e):
            return None
        if _BEFORE_NUM_BLOCK.search(text[max(0, s - 14):s]):
            return None
        return s, e, date(y, 1, 1), "year"
    return None


def _at_sentence_start(text: str, pos: int, sent_start: int) -> bool:
    return not text[sent_start:pos].strip(" \t“\"‘'(")


def _is_name_context(text: str, pos: int) -> bool:
    """'Theresa May 5 ...' is rare; only reject 'May' right after a capitalised word."""
    before = text[max(0, pos - 20):pos]
    return re.search(r"\b(?!In|On|By|Since|Until|From|Through)[A-Z][a-z]+\s+$", before) is not None


def resolve_mentions(text: str, published: datetime | date) -> list[TimeMention]:
    """Find and resolve temporal expressions in ``text`` relative to ``published``.

    Never raises: malformed input yields an empty list. The writer's timeline and the
    verifier both read every article of a story, and a running service rewrites a
    story each time it grows, so the results of recent texts are remembered.
    """
    if not text or published is None:
        return []
    try:
        return list(_mentions(text, _to_date(published)))
    except Exception:  # noqa: BLE001 - contract: never raise on odd input
        return []


@functools.lru_cache(maxsize=1024)
def _mentions(text: str, pub: date) -> tuple[TimeMention, ...]:
    sents = split_sentences(text)
    starts = [s for s, _ in sents]
    out: list[TimeMention] = []
    prev_end = 0
    for m in _PATTERN.finditer(text):
        i = bisect.bisect_right(starts, m.start()) - 1
        ss, se = sents[i] if i >= 0 else (0, len(text))
        if m.start() >= se:  # between sentences (whitespace) - shouldn't happen
            ss, se = m.start(), len(text)
        w0 = max(ss, prev_end, m.start() - 90)
        window = text[w0:m.start()]
        try:
            res = _resolve(m, text, pub, window, ss)
        except (ValueError, OverflowError):
            res = None
        if res is None:
            continue
        s, e, d, prec = res
        prev_end = e
        out.append(TimeMention(text=text[s:e], start=s, end=e, date=d, precision=prec,
                               sentence=text[ss:se]))
    return tuple(out)
