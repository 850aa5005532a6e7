"""How far extraction can go on NeuS: the extractive writer against simple baselines and
against oracles that know the reference summary.

The NeuS references are AllSides' own neutral summaries, written over outlets' titles
and one- or two-sentence leads. This prints ROUGE-1/2/L F1 (rouge-score, stemming; as
`storyline eval summarize`) and the average length for:

* the extractive writer (``ExtractiveWriter``, as shipped);
* LexRank length-matched to the writer, story by story;
* lead-1: the first sentence of every article; lead-2: those of the first two articles;
* oracles, which choose with the reference in hand (an upper bound for any extractive
  selection of the same sentences): the best two lead sentences; the best pair of the
  writer's candidate sentences; the best one to three candidates (of the first eight).
  They choose by ROUGE-1 and report all three.

    .venv/bin/python bench/bench_summary_ceiling.py [--stories N]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from rouge_score import rouge_scorer

from storyline.evaluate.baselines import LexRank
from storyline.evaluate.harness import load_jsonl
from storyline.evaluate.summaries import load_references, summary_text
from storyline.write.extractive import ExtractiveWriter, _sentences, _usable
from storyline.write.schema import StoryArticle

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.helpers import EVAL  # noqa: E402

KEYS = ("rouge1", "rouge2", "rougeL")


def _unigram_f1(ref: Counter[str], hyp: Counter[str]) -> float:
    hits = sum((ref & hyp).values())
    total = sum(ref.values()) + sum(hyp.values())
    return 2 * hits / total if total else 0.0


def _best(ref: Counter[str], options: Sequence[Sequence[str]],
          tokens: Callable[[str], list[str]]) -> str:
    """The option (a list of sentences) with the best ROUGE-1 F1 against ``ref``."""
    best, value = "", -1.0
    for option in options:
        hyp: Counter[str] = Counter()
        for s in option:
            hyp.update(tokens(s))
        f = _unigram_f1(ref, hyp)
        if f > value:
            best, value = " ".join(option), f
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stories", type=int, default=None, help="only the first N stories")
    ap.add_argument("--eval-dir", type=Path, default=EVAL)
    args = ap.parse_args()

    refs = load_references(args.eval_dir / "neus-dev-summaries.jsonl")[: args.stories]
    by_id = {a.id: a for a in load_jsonl(args.eval_dir / "neus-dev.jsonl")}
    scorer = rouge_scorer.RougeScorer(list(KEYS), use_stemmer=True)
    memo: dict[str, list[str]] = {}

    def tokens(text: str) -> list[str]:
        if text not in memo:
            memo[text] = scorer._tokenizer.tokenize(text)  # the scorer's own stemmed tokens
        return memo[text]

    writer = ExtractiveWriter()
    lexrank = LexRank([a.text for a in by_id.values()])
    rows = ["extractive writer", "LexRank (length-matched)", "lead-1, every article",
            "lead-1, first two articles", "oracle: best two lead sentences",
            "oracle: best pair of candidates", "oracle: best 1-3 of 8 candidates"]
    sums = {r: dict.fromkeys(KEYS, 0.0) for r in rows}
    words = dict.fromkeys(rows, 0)
    start = time.perf_counter()
    for ref in refs:
        members = [by_id[i] for i in ref["article_ids"] if i in by_id]
        story = [StoryArticle(id=a.id, title=a.title, text=a.text, outlet=a.source,
                              published=a.published) for a in members]
        ours = summary_text(writer.write(story))
        sents = [_sentences(a) for a in story]
        leads = [s[0] for s in sents if s]
        cands = [s for per in sents for s in per if _usable(s)] or leads
        gold = Counter(tokens(ref["reference_summary"]))
        outputs = {
            rows[0]: ours,
            rows[1]: lexrank.summarize([a.text for a in members], len(ours.split())),
            rows[2]: " ".join(leads),
            rows[3]: " ".join(leads[:2]),
            rows[4]: _best(gold, list(itertools.combinations(leads, 2)) or [leads], tokens),
            rows[5]: _best(gold, list(itertools.combinations(cands, 2)) or [cands], tokens),
            rows[6]: _best(gold, [c for k in (1, 2, 3)
                                  for c in itertools.combinations(cands[:8], k)], tokens),
        }
        for row, text in outputs.items():
            for k, v in scorer.score(ref["reference_summary"], text).items():
                sums[row][k] += v.fmeasure
            words[row] += len(text.split())
    n = max(len(refs), 1)
    print(f"NeuS dev, {len(refs)} stories ({time.perf_counter() - start:.0f} s); "
          f"reference {sum(len(r['reference_summary'].split()) for r in refs) / n:.0f} "
          f"words on average")
    print(f"{'':36s} {'R-1':>5s} {'R-2':>5s} {'R-L':>5s} {'words':>6s}")
    for row in rows:
        r = sums[row]
        print(f"{row:36s} {100 * r['rouge1'] / n:5.1f} {100 * r['rouge2'] / n:5.1f} "
              f"{100 * r['rougeL'] / n:5.1f} {words[row] / n:6.0f}")


if __name__ == "__main__":
    main()
