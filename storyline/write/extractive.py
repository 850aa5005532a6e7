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

import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

import numpy as np
from sklearn.cluster import AgglomerativeClustering

from storyline.cluster.represent import STOPWORDS
from storyline.embed import Embedder
from storyline.temporal import resolve_mentions, split_sentences
from storyline.verify import Source, Verifier
from storyline.write.schema import (
    Image,
    Section,
    Sentence,
    SourceRef,
    StoryArticle,
    StorySummary,
    TimelineEntry,
)

MIN_WORDS, MAX_WORDS = 8, 60
SECTION_MIN, SECTION_MAX = 2, 4
MAX_SECTIONS = 6
SUPPORT_COSINE = 0.80  # another source "says the same" above this sentence similarity
REDUNDANT_COSINE = 0.80  # two summary sentences closer than this repeat each other
GROUP_CUT = 0.55  # cosine distance cut between sub-topic groups
MAX_HEADLINE = 90
SMALL_STORY_WORDS = 600  # less candidate text than this: a single short section
BUDGET_SHARE = 0.3  # summary words per word of candidate text (small stories: ~ leads)
MIN_BUDGET = 40
# Sentences that lean on context they do not carry read badly out of place.
_DANGLING = re.compile(
    r"^(?:but|and|or|so|also|however|meanwhile|still|yet|he|she|they|it|this|that|these|"
    r"those|his|her|their|its|there|here|such|both|the two|the latter|the former)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")
_OUTLET_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]{2,40}$")


@dataclass
class _Cand:
    source: int  # 1-based source index
    text: str
    position: int  # sentence number within its article


def _sentences(article: StoryArticle) -> list[str]:
    out: list[str] = []
    for para in article.text.split("\n"):
        para = " ".join(para.split())
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


def _usable(sentence: str) -> bool:
    words = sentence.split()
    if not MIN_WORDS <= len(words) <= MAX_WORDS:
        return False
    if sentence.endswith("?") or sentence.endswith(":") or _DANGLING.match(sentence):
        return False
    # Unbalanced quotes: a fragment of a longer quotation.
    if (sentence.count("\"") % 2) or (sentence.count("“") != sentence.count("”")):
        return False
    return bool(re.search(r"[.!\"”’)…]$", sentence))


_VERBISH = re.compile(r"(?:ed|ing|ly)$")
_CAPS = re.compile(r"(?<![.!?]\s)(?<!^)\b((?:[A-Z][\w'’-]+)(?:\s+(?:of\s+)?[A-Z][\w'’-]+)*)")


def _phrases(text: str) -> list[str]:
    """Title candidates: names (runs of capitalised words, not sentence-initial) and
    lowercase noun-like n-grams (no stopword or -ed/-ing/-ly word at either end)."""
    out: list[str] = []
    for m in _CAPS.finditer(text):
        name = m.group(1).strip("'’-")
        if name.lower() not in STOPWORDS and len(name) > 2:
            out.append(name)
    words = [w.strip("'’-") for w in _WORD.findall(text)]
    for n in (2, 3):
        for i in range(len(words) - n + 1):
            gram = words[i : i + n]
            if any(w[:1].isupper() for w in gram):
                continue
            lower = [w.lower() for w in gram]
            if lower[0] in STOPWORDS or lower[-1] in STOPWORDS or any(len(w) < 3 for w in lower):
                continue
            if _VERBISH.search(lower[0]) and lower[0] not in {"security", "united"} or \
                    _VERBISH.search(lower[-1]):
                continue
            if any(w in STOPWORDS for w in lower[1:-1]):
                continue
            out.append(" ".join(lower))
    return out


def _title_case(phrase: str) -> str:
    small = {"and", "of", "the", "in", "on", "for", "to", "a", "at", "with"}
    words = phrase.split()
    return " ".join(w if (i and w in small) or w[:1].isupper() else (w[:1].upper() + w[1:])
                    for i, w in enumerate(words))


class ExtractiveWriter:
    name = "extractive"

    def __init__(self, embedder: Embedder | None = None, verifier: Verifier | None = None):
        self.embedder = embedder or Embedder()
        self.verifier = verifier or Verifier(self.embedder)

    # ---- public ---------------------------------------------------------------------
    def write(self, articles: list[StoryArticle]) -> StorySummary:
        originals = [a for a in articles if a.duplicate_of is None] or list(articles)
        originals.sort(key=lambda a: (a.published is None, a.published, str(a.id)))
        sources = [SourceRef(i + 1, a.id, a.outlet, a.title, a.url, a.published)
                   for i, a in enumerate(originals)]
        cands = [_Cand(i + 1, s, k) for i, a in enumerate(originals)
                 for k, s in enumerate(_sentences(a)) if _usable(s)]
        outlets = sorted({a.outlet for a in articles if a.outlet})
        updated = max((a.published for a in articles if a.published), default=None)
        summary = StorySummary(
            headline=self._headline(originals), updated_at=updated,
            article_count=len(articles), outlets=outlets, sections=[], sources=sources,
            timeline=[], image=self._image(originals),
        )
        if cands:
            vecs = self.embedder.encode([c.text for c in cands])
            summary.sections = self._sections(cands, vecs, originals, summary)
        summary.timeline = self._timeline(originals)
        return summary

    # ---- parts ----------------------------------------------------------------------
    def _centrality(self, cands: list[_Cand], vecs: np.ndarray) -> np.ndarray:
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
                  summary: StorySummary) -> list[Section]:
        score = self._centrality(cands, vecs)
        pool = list(np.argsort(-score)[: min(len(cands), 60)])
        if len(pool) >= 2:
            labels = AgglomerativeClustering(
                n_clusters=None, distance_threshold=GROUP_CUT, metric="cosine",
                linkage="average").fit_predict(vecs[pool])
        else:
            labels = np.zeros(len(pool), dtype=int)
        groups: dict[int, list[int]] = {}
        for idx, lab in zip(pool, labels, strict=True):
            groups.setdefault(int(lab), []).append(int(idx))
        def weight(g: list[int]) -> float:  # central, and told by several outlets
            return float(sum(sorted(score[g])[-2:])) * (1 + len({cands[i].source
                                                                for i in g})) ** 0.5

        ranked = sorted(groups.values(), key=lambda g: -weight(g))
        n_sections = MAX_SECTIONS if len(originals) >= 3 else 3 if len(originals) == 2 else 2
        material = sum(len(c.text.split()) for c in cands)
        if material < SMALL_STORY_WORDS:
            # Little to summarise (a few leads): one section of the most central,
            # non-redundant sentences within a budget proportional to the material.
            ranked = [sorted(pool, key=lambda i: -score[i])]
            n_sections = 1
        budget = max(MIN_BUDGET, int(BUDGET_SHARE * material))

        chosen_all: list[int] = []
        drafts: list[tuple[list[int], list[list[int]]]] = []
        for group in ranked:
            if len(drafts) == n_sections:
                break
            picked: list[int] = []
            used = sum(len(cands[j].text.split()) for j in chosen_all)
            for idx in sorted(group, key=lambda i: -score[i]):
                if len(picked) == SECTION_MAX:
                    break
                if any(float(vecs[idx] @ vecs[j]) >= REDUNDANT_COSINE
                       for j in chosen_all + picked):
                    continue
                words = len(cands[idx].text.split())
                if picked and used + words > budget and len(picked) >= SECTION_MIN:
                    break
                picked.append(idx)
                used += words
            if len(picked) < (1 if n_sections == 1 else SECTION_MIN):
                continue
            picked.sort(key=lambda i: (cands[i].source, cands[i].position))
            cites = [self._citations(i, cands, vecs) for i in picked]
            drafts.append((picked, cites))
            chosen_all.extend(picked)

        verify_sources = [Source(i + 1, a.text, a.published) for i, a in enumerate(originals)]
        flat = [(cands[i].text, c) for picked, cites in drafts for i, c in
                zip(picked, cites, strict=True)]
        verdicts = self.verifier.check_many(flat, verify_sources) if flat else []
        summary.checked_sentences = len(verdicts)
        sections: list[Section] = []
        phrases = [set(_phrases(c.text)) for c in cands]  # title candidates, once
        everywhere = Counter(p for ps in phrases for p in ps)
        k = 0
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
                title = self._section_title(picked, cands, phrases, everywhere, sections)
                sections.append(Section(title, sentences))
        return sections

    def _citations(self, i: int, cands: list[_Cand], vecs: np.ndarray) -> list[int]:
        sims = vecs @ vecs[i]
        cited = {cands[i].source}
        for j in np.nonzero(sims >= SUPPORT_COSINE)[0]:
            cited.add(cands[int(j)].source)
        return sorted(cited)

    def _section_title(self, picked: list[int], cands: list[_Cand], phrases: list[set[str]],
                       everywhere: Counter[str], earlier: list[Section]) -> str:
        here = Counter(p for i in picked for p in phrases[i])
        used = {w for s in earlier for w in s.title.lower().split()}
        n = len(cands)

        def weight(p: str) -> float:
            return here[p] * math.log((n + 1) / (everywhere[p] + 0.5)) * (1 + 0.3 * p.count(" "))

        ranked = sorted((p for p in here if here[p] >= 2 or len(picked) <= 2),
                        key=lambda p: (-weight(p), p))
        names = [p for p in ranked if p[:1].isupper()]
        topics = [p for p in ranked if not p[:1].isupper()]
        chosen: list[str] = []
        for pool in (names, topics):  # one name and one topic phrase, when there are
            for p in pool:
                words = set(p.lower().split())
                if words & used or any(words & set(c.lower().split()) for c in chosen):
                    continue
                chosen.append(p)
                break
        if not chosen:
            chosen = ranked[:1] or ["Details"]
        return " and ".join(_title_case(p) for p in chosen)

    def _headline(self, originals: list[StoryArticle]) -> str:
        titles = [(" ".join(a.title.split())) for a in originals if a.title.strip()]
        if not titles:
            return "Untitled story"
        cleaned = [_OUTLET_SUFFIX.sub("", t).strip() for t in titles]
        short = [t for t in cleaned if len(t) <= MAX_HEADLINE] or [
            t[: MAX_HEADLINE].rsplit(" ", 1)[0] for t in cleaned]
        if len(short) == 1:
            return short[0]
        vecs = self.embedder.encode(short)
        centre = vecs.mean(0)
        return short[int(np.argmax(vecs @ centre))]

    def _image(self, originals: list[StoryArticle]) -> Image | None:
        best: tuple[int, Image] | None = None
        for i, a in enumerate(originals):
            if not a.image_url:
                continue
            rank = (2 if a.image_credit else 0) + (1 if a.image_caption else 0)
            if best is None or rank > best[0]:
                best = (rank, Image(a.image_url, a.image_caption, a.image_credit, i + 1))
        return best[1] if best else None

    def _timeline(self, originals: list[StoryArticle]) -> list[TimelineEntry]:
        entries: dict[tuple[date, str], TimelineEntry] = {}
        for i, a in enumerate(originals):
            if a.published is None:
                continue
            # Captions date their photos ("… in Geneva, Feb 17, 2026"): events too.
            text = a.text + ("\n" + a.image_caption if a.image_caption else "")
            for m in resolve_mentions(text, a.published):
                sentence = " ".join(m.sentence.split())
                if not _usable(sentence) and len(sentence.split()) > MAX_WORDS:
                    continue
                key = (m.date, m.precision)
                if key in entries:
                    if i + 1 not in entries[key].citations:
                        entries[key].citations.append(i + 1)
                    continue
                entries[key] = TimelineEntry(m.date, m.precision, sentence, [i + 1])
        # A year or month already covered by a more precise entry adds nothing.
        days = {(e.date.year, e.date.month) for e in entries.values() if e.precision == "day"}
        months = {e.date.year for e in entries.values() if e.precision in ("day", "month")}
        kept = [e for e in entries.values()
                if not (e.precision == "month" and (e.date.year, e.date.month) in days)
                and not (e.precision == "year" and e.date.year in months)]
        return sorted(kept, key=lambda e: (e.date, e.precision != "year",
                                           e.precision != "month"))
