"""The LLM writer: an OpenAI-compatible chat model rewrites the story from numbered
source sentences, and nothing it writes is printed unverified.

Steps: the extractive writer runs once (sources, outlets, image, timeline, article
count, update time, the fallback sections and the story's fact clusters all come from
it) → prompt of the numbered sources and the numbered facts, each with the sources that
report it (``[F3] … (sources 1, 2, 4)``, strongest first, within a ~6000-word budget) → ``POST {base_url}/chat/completions`` asking for a JSON object →
validation (shape, types, citation numbers, headline length) → every sentence checked by
the ``Verifier`` against the sources it cites (which may re-cite) → unsupported and
self-talk sentences dropped (``summary.dropped``), and, as in the extractive writer,
furniture, teasers, tip lines and a sentence repeating an earlier one → a section left too thin is replaced
by the best-matching unused extractive section.

Any HTTP/network error, non-JSON or malformed answer, or an answer with no supported
sentence makes the whole story fall back to the extractive output, with
``writer = "extractive (llm failed: <reason>)"``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np

from storyline.write.extractive import ExtractiveWriter, _sentences, _usable
from storyline.write.factgroups import tells_again, wording
from storyline.write.furniture import not_report
from storyline.write.schema import (
    Section,
    Sentence,
    StoryArticle,
    StorySummary,
    TimelineEntry,
)
from storyline.write.verify import Source, Verifier

__all__ = ["LLMConfig", "LLMError", "LLMWriter", "build_messages", "parse_answer"]

MAX_PROMPT_WORDS = 6000
MAX_HEADLINE = 90
MAX_SECTIONS = 6
SECTION_MIN = 2  # supported sentences a section needs (1 for a single-section story)

SYSTEM_PROMPT = (
    "You are a neutral news editor. You summarise one news story from the numbered "
    "sources the user gives you. Write a JSON object only, with no text before or after "
    "it, of this shape: "
    '{"headline": str, "sections": [{"title": str, "sentences": '
    '[{"text": str, "citations": [source numbers]}]}]}. '
    "Rules: the headline is neutral, at most 90 characters, and names no news outlet. "
    "Every sentence cites, as integers, the numbers of the sources it rests on. "
    "State no fact that is not in the sources; no opinion, speculation or commentary "
    "about yourself, the sources or the task. Attribute claims to the people who make "
    "them. Section titles are short and plain."
)


@dataclass
class LLMConfig:
    base_url: str
    model: str
    api_key: str = ""
    timeout_s: float = 60
    max_tokens: int = 1500
    temperature: float = 0.2


class LLMError(Exception):
    """The model could not be asked, or its answer could not be used."""


@dataclass
class _Draft:
    headline: str
    sections: list[tuple[str, list[tuple[str, list[int]]]]]  # title, [(text, citations)]


# ------------------------------------------------------------------------------ prompt
def build_messages(originals: list[StoryArticle],
                   facts: Sequence[tuple[str, list[int]]] | None = None
                   ) -> list[dict[str, str]]:
    """System and user messages for the sources, in the given (citation) order: with
    ``facts`` (the extractive writer's fact clusters, strongest first: a sentence and the
    sources that report it) the numbered facts with their sources, else the sources'
    numbered sentences."""
    if facts:
        return _fact_messages(originals, facts)
    per_source = [[s for s in _sentences(a) if _usable(s) and not_report(s) is None]
                  for a in originals]
    taken: list[list[int]] = [[] for _ in originals]  # sentence numbers kept per source
    budget = MAX_PROMPT_WORDS - sum(len(a.title.split()) + 4 for a in originals)
    open_sources = set(range(len(originals)))
    k = 0
    while open_sources:
        for i in sorted(open_sources):
            if k >= len(per_source[i]):
                open_sources.discard(i)
                continue
            words = len(per_source[i][k].split()) + 1
            if words > budget:
                open_sources.discard(i)  # this source's turn is over; others may still fit
                continue
            budget -= words
            taken[i].append(k)
        k += 1
    blocks = []
    for i, a in enumerate(originals):
        head = f"Source {i + 1}"
        if a.outlet:
            head += f" ({a.outlet})"
        if a.published:
            head += f", published {a.published.date().isoformat()}"
        lines = [f"{head}: {' '.join(a.title.split())}"]
        lines += [f"[{i + 1}.{k + 1}] {per_source[i][k]}" for k in taken[i]]
        blocks.append("\n".join(lines))
    shape = _shape(len(originals))
    user = (
        f"Sources ({len(originals)}). Sentence [s.n] is sentence n of source s; cite "
        f"sources by their number s only.\n\n" + "\n\n".join(blocks) +
        f"\n\nWrite the story as {shape}, following every rule. Answer with the JSON "
        "object only."
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def _shape(n_sources: int) -> str:
    if n_sources >= 3:
        return "3 to 6 sections of 2 to 4 sentences each"
    return "1 or 2 sections of 2 to 4 sentences each (a single section may have 1)"


def _fact_messages(originals: list[StoryArticle], facts: Sequence[tuple[str, list[int]]]
                   ) -> list[dict[str, str]]:
    heads = []
    for i, a in enumerate(originals):
        head = f"Source {i + 1}"
        if a.outlet:
            head += f" ({a.outlet})"
        if a.published:
            head += f", published {a.published.date().isoformat()}"
        heads.append(f"{head}: {' '.join(a.title.split())}")
    budget = MAX_PROMPT_WORDS - sum(len(h.split()) for h in heads)
    lines = []
    for k, (text, cited) in enumerate(facts, 1):
        line = f"[F{k}] {text} (sources {', '.join(map(str, cited))})"
        budget -= len(line.split())
        if budget < 0:
            break
        lines.append(line)
    user = (
        f"Sources ({len(originals)}):\n" + "\n".join(heads) +
        "\n\nFacts, strongest first ([Fn] a fact as one source words it, then the sources "
        "that report it). State each fact at most once, in one sentence, citing the "
        "sources that report it; a later report that changes an earlier one is the "
        "news.\n\n" + "\n".join(lines) +
        f"\n\nWrite the story as {_shape(len(originals))}, grouped by sub-topic, each "
        "section titled by a headline of 4 to 12 words with a verb, following every rule. "
        "Answer with the JSON object only."
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


# ------------------------------------------------------------------------------ answer
_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
_CITE = re.compile(r"^\[?\s*(\d+)(?:\.\d+)?\s*\]?$")


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _citation(value: Any) -> int | None:
    """An int source number; also "2", "[2]", "2.5" or 2.5 (sentence 5 of source 2)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float | str):
        m = _CITE.match(str(value).strip())
        return int(m.group(1)) if m else None
    return None


def _headline(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= MAX_HEADLINE:
        return text
    cut = text[: MAX_HEADLINE + 1].rsplit(" ", 1)[0] if " " in text[:MAX_HEADLINE] else \
        text[:MAX_HEADLINE]
    return cut[:MAX_HEADLINE].rstrip(" ,;:–—-")


def parse_answer(content: str, n_sources: int) -> _Draft:
    """The model's JSON as a draft; ``LLMError`` when it is not usable. Citation numbers
    outside 1..n_sources are removed (the verifier may re-cite such a sentence)."""
    text = content.strip()
    fenced = _FENCE.search(text)
    if fenced:
        text = fenced.group(1).strip()
    if not text.startswith("{") and "{" in text:
        text = text[text.index("{") : text.rindex("}") + 1] if "}" in text else text
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LLMError(f"invalid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise LLMError("answer is not a JSON object")
    headline = data.get("headline")
    if not isinstance(headline, str) or not headline.strip():
        raise LLMError("missing headline")
    raw_sections = data.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        raise LLMError("missing sections")
    sections: list[tuple[str, list[tuple[str, list[int]]]]] = []
    for sec in raw_sections[:MAX_SECTIONS]:
        if not isinstance(sec, dict) or not isinstance(sec.get("sentences"), list):
            raise LLMError("malformed section")
        title = sec.get("title")
        if not isinstance(title, str):
            raise LLMError("section without a title")
        items: list[tuple[str, list[int]]] = []
        for sent in sec["sentences"]:
            if not isinstance(sent, dict) or not isinstance(sent.get("text"), str):
                raise LLMError("malformed sentence")
            cites = sent.get("citations", [])
            if not isinstance(cites, list):
                cites = [cites]
            nums = {_citation(c) for c in cites}
            valid = sorted(n for n in nums if n is not None and 1 <= n <= n_sources)
            if " ".join(sent["text"].split()):
                items.append((" ".join(sent["text"].split()), valid))
        sections.append((" ".join(title.split()) or "Details", items))
    if not any(items for _, items in sections):
        raise LLMError("no sentences")
    return _Draft(_headline(headline), sections)


# ------------------------------------------------------------------------------ writer
class LLMWriter:
    """Writes a story with an OpenAI-compatible chat model; verified, with fallback.

    A section left with fewer than 2 supported sentences (fewer than 1 when the model
    wrote a single section) is replaced by the unused extractive section that best
    matches it: highest cosine similarity between the embedding of the model's section
    (title plus its drafted sentences) and that of each extractive section (title plus
    sentences), using the verifier's embedder. With no unused extractive section left,
    the thin section is omitted. Replacement sentences were verified by the extractive
    writer; they count as checked and supported.
    """

    name = "llm"

    def __init__(self, config: LLMConfig, extractive: ExtractiveWriter | None = None,
                 verifier: Verifier | None = None, client: httpx.Client | None = None) -> None:
        self.config = config
        if extractive is None:
            extractive = ExtractiveWriter(
                embedder=verifier.embedder if verifier is not None else None,
                verifier=verifier)
        self.extractive = extractive
        self.verifier = verifier or extractive.verifier
        self.client = client

    # ---- public ---------------------------------------------------------------------
    def write(self, articles: list[StoryArticle]) -> StorySummary:
        base, facts = self.extractive.compose(articles)
        originals = self._originals(articles, base)
        try:
            if not originals:
                raise LLMError("no source articles")
            content = self._complete(build_messages(originals, facts))
            draft = parse_answer(content, len(originals))
            return self._assemble(draft, originals, base)
        except LLMError as exc:
            base.writer = f"extractive (llm failed: {_one_line(str(exc))})"
            return base

    def merge_timeline(self, earlier: list[TimelineEntry], entries: list[TimelineEntry]
                       ) -> list[TimelineEntry]:
        return self.extractive.merge_timeline(earlier, entries)

    # ---- parts ----------------------------------------------------------------------
    @staticmethod
    def _originals(articles: list[StoryArticle], base: StorySummary) -> list[StoryArticle]:
        """The articles in the extractive writer's source order (citation numbers)."""
        pool = [a for a in articles if a.duplicate_of is None] or list(articles)
        by_id: dict[int | str, StoryArticle] = {}
        for a in pool:
            by_id.setdefault(a.id, a)
        out = [by_id[s.article_id] for s in base.sources if s.article_id in by_id]
        return out if len(out) == len(base.sources) else pool

    def _complete(self, messages: list[dict[str, str]]) -> str:
        cfg = self.config
        headers = {"Content-Type": "application/json"}
        if cfg.api_key:
            headers["Authorization"] = f"Bearer {cfg.api_key}"
        payload = {
            "model": cfg.model, "messages": messages, "temperature": cfg.temperature,
            "max_tokens": cfg.max_tokens, "response_format": {"type": "json_object"},
        }
        url = cfg.base_url.rstrip("/") + "/chat/completions"
        try:
            if self.client is not None:
                resp = self.client.post(url, json=payload, headers=headers,
                                        timeout=cfg.timeout_s)
            else:
                with httpx.Client(timeout=cfg.timeout_s) as client:
                    resp = client.post(url, json=payload, headers=headers)
        except httpx.HTTPError as exc:
            raise LLMError(f"{type(exc).__name__}: {exc}") from None
        if resp.status_code != 200:
            raise LLMError(f"HTTP {resp.status_code}: {_one_line(resp.text, 80)}")
        try:
            content = resp.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise LLMError("malformed chat completion response") from None
        if not isinstance(content, str) or not content.strip():
            raise LLMError("empty completion")
        return content

    def _assemble(self, draft: _Draft, originals: list[StoryArticle],
                  base: StorySummary) -> StorySummary:
        sources = [Source(i + 1, a.text, a.published) for i, a in enumerate(originals)]
        flat = [item for _, items in draft.sections for item in items]
        verdicts = self.verifier.check_many(flat, sources)
        checked, supported = len(flat), 0
        # The extractive writer's checks too: no furniture, teaser or tip line, and no
        # fact twice (the page's repeat test).
        vecs = np.asarray(self.verifier.embedder.encode([t for t, _c in flat]),
                          dtype=np.float32) if flat else np.zeros((0, 1), dtype=np.float32)
        words = [wording(t) for t, _c in flat]
        shown: list[int] = []
        dropped: list[str] = []
        kept: list[tuple[str, list[Sentence], list[str]]] = []  # title, kept, drafted texts
        k = 0
        for title, items in draft.sections:
            sentences: list[Sentence] = []
            for text, _cites in items:
                verdict = verdicts[k]
                k += 1
                why = not_report(text) or ("repeats an earlier sentence" if any(
                    tells_again(float(vecs[k - 1] @ vecs[j]), words[k - 1], words[j])
                    for j in shown) else None)
                if verdict.supported and why is not None:
                    dropped.append(f"{text} ({why})")
                    continue
                if verdict.supported:
                    shown.append(k - 1)
                    sentences.append(Sentence(text, sorted(set(verdict.citations))))
                else:
                    dropped.append(f"{text} ({verdict.reason or 'unsupported'})")
            supported += len(sentences)
            kept.append((title, sentences, [t for t, _ in items]))
        if not supported:
            raise LLMError("no sentence of the answer is supported by its sources")

        need = 1 if len(draft.sections) == 1 else SECTION_MIN
        sections: list[Section] = []
        unused = list(base.sections)
        thin = [i for i, (_, s, _) in enumerate(kept) if len(s) < need]
        scores = self._match(kept, thin, unused)
        for i, (title, sentences, _drafted) in enumerate(kept):
            if len(sentences) >= need:
                sections.append(Section(title, sentences))
                continue
            for s in sentences:
                dropped.append(f"{s.text} (section replaced by an extractive section)")
            if not unused:
                continue
            j = max(range(len(unused)), key=lambda j: scores[i].get(id(unused[j]), -1.0))
            sub = unused.pop(j)
            sections.append(Section(sub.title, list(sub.sentences)))
            checked += len(sub.sentences)
            supported += len(sub.sentences)

        summary = base
        summary.headline = draft.headline
        summary.sections = sections
        summary.writer = self.name
        summary.checked_sentences = checked
        summary.supported_sentences = supported
        summary.dropped = dropped
        return summary

    def _match(self, kept: list[tuple[str, list[Sentence], list[str]]], thin: list[int],
               candidates: list[Section]) -> dict[int, dict[int, float]]:
        """Cosine similarity of each thin model section to each extractive section,
        keyed by the model section's position and ``id()`` of the extractive section."""
        scores: dict[int, dict[int, float]] = {i: {} for i in range(len(kept))}
        if not thin or not candidates:
            return scores
        left = [" ".join([kept[i][0], *kept[i][2]]) for i in thin]
        right = [" ".join([c.title, *(s.text for s in c.sentences)]) for c in candidates]
        vecs = np.asarray(self.verifier.embedder.encode(left + right), dtype=np.float32)
        sims = vecs[: len(left)] @ vecs[len(left):].T
        for a, i in enumerate(thin):
            scores[i] = {id(c): float(sims[a, b]) for b, c in enumerate(candidates)}
        return scores
