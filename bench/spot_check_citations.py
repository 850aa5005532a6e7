"""Spot check of a written database: random summary sentences beside the best matching
sentence of each source they cite, flagged where that sentence says otherwise, and where
the summary sentence is a teaser, a headline, a tip line or furniture.

    STORYLINE_DATA_DIR=... .venv/bin/python bench/spot_check_citations.py [--n 30] \
        [--seed 13] [--min-articles 3]

Reads the pages through the same code as ``storyline stories summary --json`` and the
cited articles' stored text; the best match is by MiniLM cosine over the source's
sentences. A line is flagged ``CONTRADICTS`` when ``write.polarity.contradicts`` finds the
two opposite, ``NOT A REPORT`` when ``write.furniture.not_report`` refuses the sentence.
Prints a count of flags last (a reader's check, not a test).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=30, help="sentences to sample (default 30)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--min-articles", type=int, default=3)
    args = parser.parse_args()

    import numpy as np

    from storyline.nlp.encoder import Embedder
    from storyline.settings import load_settings
    from storyline.storage import summaries as summary_store
    from storyline.storage.db import open_database
    from storyline.text.sentences import split_sentences
    from storyline.write.furniture import not_report
    from storyline.write.polarity import contradicts
    from storyline.write.service import articles_to_write

    settings = load_settings()
    engine = open_database(settings, None)
    with engine.connect() as conn:
        pages = summary_store.written(conn, min_articles=args.min_articles)
    picks = [(story, p, s) for story, p in pages for sec in p["sections"]
             for s in sec["sentences"]]
    rng = random.Random(args.seed)
    sample = rng.sample(picks, min(args.n, len(picks)))
    embedder = Embedder()
    texts: dict[int, dict[int, str]] = {}
    flags = 0
    for n, (story, page, sent) in enumerate(sample, 1):
        if story not in texts:
            with engine.connect() as conn:
                by_id = {a.id: a.text for a in articles_to_write(conn, story)}
            texts[story] = {src["index"]: by_id.get(src["article_id"], "")
                            for src in page["sources"]}
        reason = not_report(sent["text"])
        print(f"\n[{n}] story {story}: {sent['text']}")
        if reason:
            flags += 1
            print(f"    NOT A REPORT ({reason})")
        vec = embedder.encode([sent["text"]])[0]
        for c in sent["citations"]:
            body = texts[story].get(c, "")
            sents = [" ".join(body[a:b].split()) for a, b in split_sentences(body)]
            sents = [s for s in sents if s] or [""]
            sims = np.asarray(embedder.encode(sents)) @ vec
            best = sents[int(np.argmax(sims))]
            against = contradicts(sent["text"], best) and best != sent["text"]
            flags += against
            src = page["sources"][c - 1]
            print(f"    [{c}] {src.get('outlet') or ''} {float(sims.max()):.2f}"
                  f"{'  CONTRADICTS' if against else ''}: {best[:220]}")
    print(f"\n{len(sample)} sentences checked, {flags} flagged")


if __name__ == "__main__":
    main()
