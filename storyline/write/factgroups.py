"""Fact clusters: the sentences of a story's articles that state the same fact.

A news editor merging wire copy reads four reports of one event as one set of facts,
each told by some of the outlets, not as forty sentences. So does the writer: candidate
sentences that say the same thing (close in meaning, or sharing most of their names,
numbers and content words; never two sentences of one article; never two statements
that contradict each other) form one ``Fact``, which knows the outlets that report it,
its earliest time and its sentences. The page shows a fact once, in one sentence, cited
by every outlet of the fact that the verifier confirms.

``repeats`` is the one test of "the reader reads one fact twice": the page scorer
(``storyline.evaluate.pages``) calls it with its thresholds (0.80 / 60 %), the writers
(through ``tells_again``) with a safety margin (0.77 / 55 %), on their content words and
on the scorer's, so no two facts a page shows repeat each other by the scorer's measure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from storyline.text.lexicon import FACT_STOP_WORDS, PAGE_METRIC_STOP_WORDS

__all__ = ["Fact", "Wording", "claim_phrases", "content_words", "group_facts", "overlap",
           "repeats", "same_claim", "tells_again", "wording"]

# Two sentences of a page repeat each other: the page scorer's test (0.80 and 0.60) with a
# margin for an encoder other than the scorer's fp32 one and for the scorer's narrower
# stop list.
REPEAT_COSINE, REPEAT_OVERLAP = 0.77, 0.55
# Two sentences state the same fact when they repeat each other (so one fact is one
# sentence on a page, and two facts never repeat), and, for sharing words, are alike.
FACT_COSINE = REPEAT_COSINE
FACT_OVERLAP, FACT_OVERLAP_COSINE = REPEAT_OVERLAP, 0.5
# or are this alike and share this many names and figures and this much of their words
# ("led by Witkoff alongside Jared Kushner" / "facilitated by Witkoff alongside Jared
# Kushner": one fact two outlets report)
FACT_KEYS_COSINE, FACT_KEYS, FACT_KEYS_OVERLAP = 0.6, 2, 0.4

_WORD = re.compile(r"[a-z0-9']+")
# Two sentences about the same thing (cosine >= CLAIM_COSINE, what makes a source worth
# asking to confirm a sentence) that name it in the same words ("strong security
# guarantees", "meaningful progress") make one claim twice, however differently the rest
# is worded.
CLAIM_COSINE = 0.6
_TOKEN = re.compile(r"[A-Za-z0-9][\w'’-]*")


def content_words(sentence: str, stop: frozenset[str] = FACT_STOP_WORDS) -> set[str]:
    """Lower-case words of 3+ characters outside ``stop`` (function words and reporting
    verbs; the page scorer passes its own fixed list)."""
    return {w for w in _WORD.findall(sentence.lower()) if w not in stop and len(w) > 2}


_KEY = re.compile(r"(?<=[\w,;:\"“”’)] )[A-Z][\w'’-]+|\d[\d,.]*")


def key_terms(sentence: str) -> set[str]:
    """Names (capitalised words after the first) and figures of a sentence."""
    return {k.lower().rstrip(".,").removesuffix("’s").removesuffix("'s")
            for k in _KEY.findall(sentence)}


def overlap(a: set[str], b: set[str]) -> float:
    """Share of the shorter word set's words the other has."""
    return len(a & b) / max(1, min(len(a), len(b)))


def repeats(cos: float, a: set[str], b: set[str], *, cosine: float = REPEAT_COSINE,
            share: float = REPEAT_OVERLAP) -> bool:
    """Two sentences say one thing twice: their cosine is at least ``cosine``, or they
    share at least ``share`` of the shorter one's content words (``a`` and ``b``). The
    one repeat test of the writers (with a margin) and of the page scorer (its own
    thresholds, ``storyline.evaluate.pages``)."""
    return cos >= cosine or overlap(a, b) >= share


@dataclass(frozen=True, slots=True)
class Wording:
    """A sentence's content words twice: under the writer's stop list (function words and
    reporting verbs) and under the page scorer's narrower one, which counts "what",
    "being" and "did" as content. "The rep would not reveal what Reid, 33, is being
    treated for." and "Ketsoyan did not say what Reid is being treated for …" share half
    of the first's words by the one and two thirds by the other: a reader reads the
    same fact twice, and so does the scorer."""
    words: set[str]
    plain: set[str]


def wording(sentence: str) -> Wording:
    return Wording(content_words(sentence), content_words(sentence, PAGE_METRIC_STOP_WORDS))


def tells_again(cos: float, a: Wording, b: Wording) -> bool:
    """The writers' repeat test: ``repeats`` (with its margin) on either word set."""
    return repeats(cos, a.words, b.words) or overlap(a.plain, b.plain) >= REPEAT_OVERLAP


def claim_phrases(sentence: str, stop: frozenset[str] = FACT_STOP_WORDS) -> set[str]:
    """The pairs of content words that follow each other in ``sentence`` (function words
    between them skipped): "strong security guarantees" gives "strong security" and
    "security guarantees". Names are left out (two claims about Witkoff share his name,
    not a claim), and so are figures."""
    out: set[str] = set()
    prev: str | None = None
    for m in _TOKEN.finditer(sentence):
        tok = m.group(0)
        low = tok.lower().replace("’", "'")
        if low in stop or len(low) < 3:
            continue
        if not tok[:1].islower():  # a name, a figure or a sentence's first word
            prev = None
            continue
        if prev is not None:
            out.add(f"{prev} {low}")
        prev = low
    return out


def same_claim(cos: float, a: set[str], b: set[str]) -> bool:
    """Two sentences make one claim: about the same thing (``cos`` >= CLAIM_COSINE) in
    the same words (a shared pair of ``claim_phrases``, ``a`` and ``b``). The writers'
    test on top of ``repeats``; the page scorer keeps its own definition."""
    return cos >= CLAIM_COSINE and bool(a & b)


@dataclass
class Fact:
    members: list[int]  # candidate indices, the strongest first; one per source
    sources: set[int] = field(default_factory=set)
    rep: int = -1  # the sentence the page shows
    weight: float = 0.0
    earliest: datetime | None = None
    background: bool = False
    superseded: bool = False  # a newer report says the opposite (a development)


def group_facts(texts: Sequence[str], sources: Sequence[int], vecs: np.ndarray,
                order: Sequence[int], *, contradict: Callable[[str, str], bool]
                ) -> list[Fact]:
    """Leader clustering in ``order`` (strongest first): a sentence joins the fact
    whose leading sentence it is most like, when it states the same fact (cosine >=
    FACT_COSINE, or FACT_OVERLAP of its content words and cosine >=
    FACT_OVERLAP_COSINE), the fact has no sentence of its article yet and the two do
    not contradict each other; otherwise it leads a new fact."""
    words = [content_words(t) for t in texts]
    keys = [key_terms(t) for t in texts]
    facts: list[Fact] = []
    leaders: list[int] = []
    lead_vecs = np.zeros((0, vecs.shape[1] if vecs.ndim == 2 else 0), dtype=np.float32)
    for i in order:
        best, best_sim = -1, -1.0
        if leaders:
            sims = lead_vecs @ vecs[i]
            for k in np.argsort(-sims):
                sim = float(sims[k])
                if sim < FACT_OVERLAP_COSINE:
                    break
                f = facts[int(k)]
                if sources[i] in f.sources:
                    continue
                lead = leaders[int(k)]
                shared = overlap(words[i], words[lead])
                if sim < FACT_COSINE and shared < FACT_OVERLAP and not (
                        sim >= FACT_KEYS_COSINE and shared >= FACT_KEYS_OVERLAP
                        and len(keys[i] & keys[lead]) >= FACT_KEYS):
                    continue
                if contradict(texts[i], texts[lead]):
                    continue
                best, best_sim = int(k), sim
                break
        if best >= 0 and best_sim >= FACT_OVERLAP_COSINE:
            facts[best].members.append(i)
            facts[best].sources.add(sources[i])
            continue
        facts.append(Fact([i], {sources[i]}))
        leaders.append(i)
        lead_vecs = np.vstack([lead_vecs, vecs[i][None, :]]) if len(lead_vecs) else \
            vecs[i][None, :].astype(np.float32)
    return facts
