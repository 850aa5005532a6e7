"""`storyline eval …`: measure the fuzzy stages on labelled data and the written pages."""

from __future__ import annotations

from pathlib import Path

import click

from storyline.cli.common import AppContext, UserError, dumps, pass_app


@click.group("eval")
def eval_group() -> None:
    """Measure clustering, summaries and the written story pages.

    `cluster` and `summarize` score labelled JSONL files; `pages` scores the pages
    written in the database."""


@eval_group.command("cluster")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write predictions as id<TAB>story lines.")
@click.option("--window", type=float, metavar="DAYS",
              help="Story time window in days (default: the cluster_window_days setting).")
@click.option("--no-cache", is_flag=True,
              help="Do not reuse or keep vectors in the data directory's cache.")
@click.option("--undated-order", type=click.Choice(["shuffled", "file"]),
              default="shuffled", show_default=True,
              help="Order of the undated articles: a fixed random order, or file order "
                   "(dev files list them grouped by story, which gives the answer away; "
                   "for comparison only).")
@pass_app
def eval_cluster(app: AppContext, files: tuple[Path, ...], out: Path | None,
                 window: float | None, no_cache: bool, undated_order: str) -> None:
    """Cluster FILES with the production engine and score them against their gold stories.

    Each file is JSONL in the evaluation schema ({"id", "story", "title", "text",
    "published", ...}). One file: undated articles are processed first, in a fixed
    random order (the same in every run), with one shared unknown time; dated ones
    follow in date order. Several files are one
    mixed stream: dated articles of all files in date order, undated ones spread evenly
    through it. Prints BCubed and pairwise precision/recall/F1 (and BCubed F1 per file
    for a mixed stream), predicted vs gold story counts, the share of stories with
    exactly 3 articles, and articles per second (vectors are cached between runs unless
    --no-cache).
    """
    from dataclasses import replace

    from storyline.cluster.model import ModelError
    from storyline.cluster.service import engine_config
    from storyline.cluster.vectorize import Vectorizer
    from storyline.evaluate.harness import EvalInputError, evaluate_files
    from storyline.nlp.encoder import Embedder
    from storyline.storage.vectorcache import VectorCache

    settings = app.settings
    config = engine_config(settings)
    if window is not None:
        if window <= 0:
            raise UserError("--window must be a positive number of days")
        config = replace(config, window_days=window)
    cache = VectorCache(None if no_cache else settings.data_path / "cache" / "vectors.sqlite")
    vectorizer = Vectorizer(Embedder(backend=settings.embed_backend), cache=cache)
    try:
        result = evaluate_files(list(files), vectorizer=vectorizer, config=config,
                                undated=undated_order)
    except (EvalInputError, ModelError) as exc:
        raise UserError(str(exc)) from None
    finally:
        cache.close()
    if out is not None:
        out.write_text("".join(f"{i}\t{s}\n" for i, s in result.predicted.items()),
                       encoding="utf-8")
    b, p, c = result.bcubed, result.pairwise, result.counts
    what = str(files[0]) if len(files) == 1 else f"mixed stream of {len(files)} files"
    click.echo(f"file: {what} ({c['items']} articles)")
    click.echo(f"BCubed    P {b['precision']:.4f}  R {b['recall']:.4f}  F1 {b['f1']:.4f}")
    click.echo(f"pairwise  P {p['precision']:.4f}  R {p['recall']:.4f}  F1 {p['f1']:.4f}")
    for name, f1 in result.per_file.items():
        click.echo(f"  {name}: BCubed F1 {f1:.4f}")
    x = result.extra
    click.echo(f"stories: {c['predicted']} predicted, {c['gold']} gold; with exactly 3 "
               f"articles: {100 * x['share_of_3_predicted']:.1f}% predicted, "
               f"{100 * x['share_of_3_gold']:.1f}% gold")
    click.echo(f"speed: {result.articles_per_second:.1f} articles/s end to end "
               f"(vectors {result.seconds_vectorize:.1f} s, clustering "
               f"{result.seconds_cluster:.2f} s = "
               f"{c['items'] / max(result.seconds_cluster, 1e-9):.0f} articles/s)")


@eval_group.command("summarize")
@click.argument("summaries", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--articles", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              required=True, help="JSONL articles (evaluation schema) the stories refer to.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write {story, headline, summary} lines here.")
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N stories.")
def eval_summarize(summaries: Path, articles: Path, out: Path | None,
                   limit: int | None) -> None:
    """Write each gold story of SUMMARIES with the extractive writer and score it.

    SUMMARIES is JSONL: {"story", "article_ids", "reference_title", "reference_summary"}.
    Prints ROUGE-1/2/L F1 (rouge-score, stemming) of the summary (section sentences
    joined, citations stripped) against reference_summary and of the headline against
    reference_title, the average lengths (length is not forced to match), and the
    support rate of the verified sentences.
    """
    from storyline.evaluate.harness import EvalInputError
    from storyline.evaluate.summaries import evaluate_summaries

    try:
        r = evaluate_summaries(summaries, articles, out, limit=limit)
    except EvalInputError as exc:
        raise UserError(str(exc)) from None
    s, h = r.summary_rouge, r.headline_rouge
    click.echo(f"stories: {r.stories} ({r.seconds:.1f} s)")
    click.echo(f"summary   ROUGE-1 {s['rouge1']:.1f}  ROUGE-2 {s['rouge2']:.1f}  "
               f"ROUGE-L {s['rougeL']:.1f}  (avg {r.summary_words:.0f} words; reference "
               f"{r.reference_words:.0f})")
    click.echo(f"headline  ROUGE-1 {h['rouge1']:.1f}  ROUGE-2 {h['rouge2']:.1f}  "
               f"ROUGE-L {h['rougeL']:.1f}")
    click.echo(f"support rate: {100 * r.support_rate:.1f}% ({r.supported}/{r.sentences} "
               f"sentences)")
    b, t = r.lexrank_rouge, r.central_title_rouge
    click.echo("baselines, same inputs and run:")
    click.echo(f"  LexRank (length-matched)  ROUGE-1 {b['rouge1']:.1f}  ROUGE-2 "
               f"{b['rouge2']:.1f}  ROUGE-L {b['rougeL']:.1f}")
    click.echo(f"  central title (headline)  ROUGE-1 {t['rouge1']:.1f}  ROUGE-2 "
               f"{t['rouge2']:.1f}  ROUGE-L {t['rougeL']:.1f}")


@eval_group.command("pages")
@click.option("--min-articles", type=click.IntRange(min=1), default=1, show_default=True,
              help="Only stories of at least N articles.")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object: {pages: [per-page counts], totals}.")
@pass_app
def eval_pages(app: AppContext, min_articles: int, as_json: bool) -> None:
    """Count what a reader would trip over on every written story page, and in total.

    Per page (pages without summary sentences are skipped):

    \b
    repeats             pairs of summary sentences with MiniLM cosine >= 0.80,
                        or sharing >= 60% of the shorter one's content words
    furniture           summary sentences that are site boilerplate (bylines,
                        "posted in", subscribe prompts, photo credits...)
    off-story           summary sentences with cosine < 0.25 to the headline
                        + the sentences' centroid
    short titles        section titles of at most 2 words
    timeline dupes      timeline entries with cosine >= 0.80 to an earlier one
    timeline furniture  timeline entries that are boilerplate
    outlets/sentence    distinct outlets among a sentence's citations (mean)

    Plain output lists pages worst first (repeats + 2 x furniture + off-story),
    then the totals. Vectors come from the fp32 MiniLM encoder whatever
    embed_backend says; docs/summary.md ("Measuring pages") has the definitions.
    """
    from storyline.evaluate.pages import METRIC_BACKEND, score_database

    encoder = app.pipeline.models.encoder(METRIC_BACKEND)
    report = score_database(app.engine, encoder, min_articles=min_articles)
    totals = report.totals()
    if as_json:
        click.echo(dumps({"pages": [p.to_dict() for p in report.worst_first()],
                          "totals": totals}))
        return
    if not report.pages:
        click.echo("No written story pages: import or fetch articles, then `storyline write`.")
        return
    for p in report.worst_first():
        click.echo(f"story {p.story_id}: repeats {p.repeated_pairs}, furniture "
                   f"{p.furniture}, off-story {p.off_story} of {p.sentences} sentences; "
                   f"short titles {p.short_titles}/{p.titles}; timeline dupes "
                   f"{p.timeline_dupes}, furniture {p.timeline_furniture} of {p.timeline}; "
                   f"outlets/sentence {p.outlets_per_sentence:.2f}  {p.headline}")
    t = totals
    n = max(1, t["pages"])
    sents = max(1, t["sentences"])
    click.echo("")
    click.echo(f"pages {t['pages']}, summary sentences {t['sentences']} "
               f"({t['sentences'] / n:.1f}/page)")
    click.echo(f"repeated sentence pairs {t['repeated_pairs']} ({t['repeats_per_page']:.2f}"
               f"/page; pages with any: {t['pages_with_repeats']} = "
               f"{100 * t['pages_with_repeats'] / n:.0f}%)")
    click.echo(f"furniture sentences {t['furniture']} ({100 * t['furniture'] / sents:.1f}% "
               f"of sentences)")
    click.echo(f"off-story sentences {t['off_story']} ({100 * t['off_story'] / sents:.1f}%)")
    click.echo(f"section titles {t['titles']}, of <= 2 words {t['short_titles']} "
               f"({100 * t['short_title_share']:.0f}%)")
    click.echo(f"timeline entries {t['timeline']} ({t['timeline'] / n:.1f}/page), "
               f"near-duplicate {t['timeline_dupes']}, furniture {t['timeline_furniture']}")
    click.echo(f"outlets cited per sentence {t['outlets_per_sentence']:.2f}")


def register(main: click.Group) -> None:
    main.add_command(eval_group)
