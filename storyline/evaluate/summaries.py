"""Summary evaluation: run a writer on gold stories and score it with ROUGE.

ROUGE-1/2/L F-measures (rouge-score, Porter stemming) of the summary (section sentences
joined, citations stripped) against ``reference_summary`` and of the headline against
``reference_title``; plus the verifier's support rate.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storyline.evaluate.harness import EvalInputError, load_jsonl, read_objects
from storyline.write.extractive import ExtractiveWriter
from storyline.write.schema import StoryArticle, StorySummary


@dataclass
class SummaryEval:
    stories: int = 0
    summary_rouge: dict[str, float] = field(default_factory=dict)
    headline_rouge: dict[str, float] = field(default_factory=dict)
    sentences: int = 0
    supported: int = 0
    summary_words: float = 0.0
    # Same inputs, same run: LexRank length-matched to the writer, central title.
    lexrank_rouge: dict[str, float] = field(default_factory=dict)
    central_title_rouge: dict[str, float] = field(default_factory=dict)
    reference_words: float = 0.0
    seconds: float = 0.0

    @property
    def support_rate(self) -> float:
        return self.supported / self.sentences if self.sentences else 1.0


def summary_text(summary: StorySummary) -> str:
    return " ".join(s.text for sec in summary.sections for s in sec.sentences)


def load_references(path: Path) -> list[dict[str, Any]]:
    out = []
    for n, obj in read_objects(path):
        if not isinstance(obj.get("article_ids"), list):
            raise EvalInputError(f"{path}:{n}: needs \"story\" and \"article_ids\"")
        out.append(obj)
    return out


def evaluate_summaries(references: Path, articles: Path, out: Path | None = None, *,
                       writer: ExtractiveWriter | None = None, limit: int | None = None
                       ) -> SummaryEval:
    from rouge_score import rouge_scorer

    refs = load_references(references)[:limit]
    by_id = {a.id: a for a in load_jsonl(articles)}
    writer = writer or ExtractiveWriter()
    from storyline.evaluate.baselines import LexRank, central_title

    lexrank = LexRank([a.text for a in by_id.values()])
    lex = {k: 0.0 for k in ("rouge1", "rouge2", "rougeL")}
    cent = {k: 0.0 for k in ("rouge1", "rouge2", "rougeL")}
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    result = SummaryEval()
    sums = {k: 0.0 for k in ("rouge1", "rouge2", "rougeL")}
    heads = {k: 0.0 for k in ("rouge1", "rouge2", "rougeL")}
    start = time.perf_counter()
    handle = out.open("w", encoding="utf-8") if out else None
    try:
        for ref in refs:
            members = [by_id[i] for i in ref["article_ids"] if i in by_id]
            if not members:
                raise EvalInputError(f"story {ref['story']}: none of its articles are in "
                                     f"{articles}")
            story = [StoryArticle(id=a.id, title=a.title, text=a.text, outlet=a.source,
                                  published=a.published) for a in members]
            summary = writer.write(story)
            text = summary_text(summary)
            for k, v in scorer.score(ref.get("reference_summary", ""), text).items():
                sums[k] += v.fmeasure
            for k, v in scorer.score(ref.get("reference_title", ""), summary.headline).items():
                heads[k] += v.fmeasure
            baseline = lexrank.summarize([a.text for a in members], len(text.split()))
            for k, v in scorer.score(ref.get("reference_summary", ""), baseline).items():
                lex[k] += v.fmeasure
            title = central_title([a.title for a in members], lexrank.tfidf)
            for k, v in scorer.score(ref.get("reference_title", ""), title).items():
                cent[k] += v.fmeasure
            result.stories += 1
            result.sentences += summary.checked_sentences
            result.supported += summary.supported_sentences
            result.summary_words += len(text.split())
            result.reference_words += len(str(ref.get("reference_summary", "")).split())
            if handle:
                handle.write(json.dumps({"story": ref["story"], "headline": summary.headline,
                                         "summary": text}, ensure_ascii=False) + "\n")
    finally:
        if handle:
            handle.close()
    n = max(result.stories, 1)
    result.summary_rouge = {k: 100 * v / n for k, v in sums.items()}
    result.headline_rouge = {k: 100 * v / n for k, v in heads.items()}
    result.lexrank_rouge = {k: 100 * v / n for k, v in lex.items()}
    result.central_title_rouge = {k: 100 * v / n for k, v in cent.items()}
    result.summary_words /= n
    result.reference_words /= n
    result.seconds = time.perf_counter() - start
    return result
