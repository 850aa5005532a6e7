"""The clustering stage end to end: real encoder, real model, real database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import EVAL, SEED_FILES, SEEDS, import_talk_rounds, lines

pytestmark = pytest.mark.needs_shared


def ecb_subset(tmp_path: Path, topics: tuple[str, ...]) -> Path:
    """ECB+ topics (each: two look-alike events) with dates dropped: an undated imported
    article's time is unknown, so time tells the look-alike events nothing apart."""
    rows = [json.loads(x) for x in (EVAL / "ecbplus-dev.jsonl").read_text().splitlines()]
    keep = [{**r, "published": None} for r in rows
            if r["story"].split(":")[1].split("_")[0] in topics]
    path = tmp_path / "ecb.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in keep))
    return path


def test_seeds_form_one_story_apart_from_other_events(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for name in SEED_FILES:
        cli("import", str(SEEDS / name), "--published", "2026-02-18T08:00:00Z")
    cli("import", str(ecb_subset(tmp_path, ("1", "3"))))
    out = cli("cluster").output
    assert "Clustered" in out and "articles" in out
    assert "Clustered 0 articles" in cli("cluster").output  # idempotent

    arts = lines(cli("articles", "list", "--json").output)
    seed_ids = {a["id"] for a in arts if a["published"] == "2026-02-18T08:00:00+00:00"}
    assert len(seed_ids) == 4
    stories = lines(cli("stories", "list", "--json", "--limit", "500").output)
    members = {}
    for s in stories:
        story = json.loads(cli("stories", "show", str(s["id"]), "--json").output)
        members[s["id"]] = {a["id"] for a in story["articles"]}
        assert story["article_count"] == len(story["articles"])
    seed_story = [sid for sid, m in members.items() if m & seed_ids]
    assert len(seed_story) == 1, "the four seed articles must share one story"
    assert members[seed_story[0]] == seed_ids  # and nothing else joined them
    assert sum(len(m) for m in members.values()) == len(arts)  # everyone has a story

    shown = json.loads(cli("stories", "show", str(seed_story[0]), "--json").output)
    assert shown["outlets"] == ["TRT World"] or len(shown["articles"]) == 4
    assert shown["storyline"] is not None
    human = cli("stories", "show", str(seed_story[0])).output
    assert "4 articles" in human and "Storyline" in human
    assert cli("storylines", "list").output.strip()


def test_an_undated_story_takes_undated_articles_in_a_later_run(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A story of undated articles has no last time: a later run, which loads only the
    stories recent enough to take articles, must load it too."""
    rows = [json.loads(x) for x in (EVAL / "ecbplus-dev.jsonl").read_text().splitlines()]
    dated = tmp_path / "dated.jsonl"
    dated.write_text(json.dumps(next(r for r in rows if r["published"])) + "\n")
    cli("import", str(dated))
    cli("import", str(SEEDS / SEED_FILES[0]))  # undated
    cli("cluster")
    cli("import", str(SEEDS / SEED_FILES[1]))  # undated, the same talks
    assert "Clustered 1 article:" in cli("cluster").output
    counts = sorted(s["article_count"] for s in
                    lines(cli("stories", "list", "--json").output))
    assert counts == [1, 2]


def test_ecb_topics_are_separated(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from storyline.evaluate.clustering import bcubed

    path = ecb_subset(tmp_path, ("1", "2", "4"))
    gold = {json.loads(x)["id"]: json.loads(x)["story"] for x in path.read_text().splitlines()}
    cli("import", str(path))
    cli("cluster")
    arts = {a["id"]: a["external_id"] for a in lines(cli("articles", "list", "--json").output)}
    pred = {}
    for s in lines(cli("stories", "list", "--json", "--limit", "500").output):
        for a in json.loads(cli("stories", "show", str(s["id"]), "--json").output)["articles"]:
            pred[arts[a["id"]]] = str(s["id"])
    assert set(pred) == set(gold)
    assert bcubed(pred, gold)["f1"] >= 0.85


def test_eval_cluster_harness(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = ecb_subset(tmp_path, ("2", "4"))
    out_tsv = tmp_path / "pred.tsv"
    res = cli("eval", "cluster", str(path), "--out", str(out_tsv))
    for label in ("BCubed", "pairwise", "stories:", "articles/s"):
        assert label in res.output
    rows = [line.split("\t") for line in out_tsv.read_text().splitlines()]
    ids = [json.loads(x)["id"] for x in path.read_text().splitlines()]
    assert sorted(r[0] for r in rows) == sorted(ids)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "story": "s", "title": "t", "text": "x"}\nnot json\n')
    err = cli("eval", "cluster", str(bad), ok=False)
    assert err.exit_code == 1 and "bad.jsonl:2: not JSON" in err.output


def test_fetch_clusters_what_it_fetched(cli, http_server) -> None:  # type: ignore[no-untyped-def]
    from tests.feedgen import Item, rss

    raw = [(SEEDS / n).read_text(encoding="utf-8") for n in SEED_FILES[:2]]
    for i, text in enumerate(raw):
        paras = "".join(f"<p>{p}</p>" for p in text.splitlines() if len(p.split()) > 12)
        http_server.add(f"/s/{i}.html", f"<html><body><article><h1>Geneva talks {i}</h1>"
                        f"{paras}</article></body></html>")
    http_server.add("/s.rss", rss([Item(link=http_server.url(f"/s/{i}.html"),
                                        title=f"Geneva talks {i}", guid=str(i))
                                   for i in range(2)]))
    cli("feeds", "add", http_server.url("/s.rss"))
    out = cli("fetch", env={"STORYLINE_CLUSTER_AFTER_FETCH": "true"}).output
    assert "2 new articles" in out and "Clustered 2 articles" in out
    stories = lines(cli("stories", "list", "--json").output)
    assert [s["article_count"] for s in stories] == [2]


def test_storyline_links_rounds_of_talks_weeks_apart(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import_talk_rounds(cli, tmp_path)
    cli("import", str(ecb_subset(tmp_path, ("3",))))
    cli("cluster")
    stories = lines(cli("stories", "list", "--json", "--limit", "500").output)
    shown = [json.loads(cli("stories", "show", str(s["id"]), "--json").output) for s in stories]
    abu = [s for s in shown if any("Abu Dhabi" in a["title"] for a in s["articles"])]
    geneva = [s for s in shown if any(a["published"] and a["published"].startswith(
        "2026-02-18") for a in s["articles"])]
    assert len(abu) == 1 and len(geneva) == 1, "each round is its own story"
    assert abu[0]["id"] != geneva[0]["id"]
    assert abu[0]["storyline_id"] == geneva[0]["storyline_id"] is not None
    others = [s for s in shown if s not in abu and s not in geneva]
    assert others and all(s["storyline_id"] != abu[0]["storyline_id"] for s in others)
    line = json.loads(cli("storylines", "show", str(abu[0]["storyline_id"]),
                          "--json").output)
    assert [s["id"] for s in line["stories"]] == [abu[0]["id"], geneva[0]["id"]]


@pytest.mark.slow
def test_sample_corpus_lohan_rehab_is_one_story(cli) -> None:  # type: ignore[no-untyped-def]
    """The demo corpus (ECB+ topics 1-22): the reports of Lindsay Lohan checking into the
    Betty Ford Center on 2-3 May 2013 are one story (issue 14: they were two, of 12 and 5
    articles). Consolidation merges the smaller into a story made in the same batch, so
    the merged-away story must be written after the one it points at."""
    out = cli("import", "--sample").output
    assert "451 new articles" in out
    assert "Clustered 462 articles" in cli("cluster").output
    arts = lines(cli("articles", "list", "--json", "--limit", "1000").output)
    lohan = {a["id"] for a in arts if "lohan" in (a["title"] or "").lower()
             and (a["published"] or "").startswith(("2013-05-02", "2013-05-03"))}
    assert len(lohan) >= 15
    stories = lines(cli("stories", "list", "--json", "--limit", "500").output)
    holding = {}
    for s in stories:
        story = json.loads(cli("stories", "show", str(s["id"]), "--json").output)
        shared = {a["id"] for a in story["articles"]} & lohan
        if shared:
            holding[s["id"]] = len(shared)
    assert len(holding) == 1, f"the Lohan rehab reports are in {len(holding)} stories: {holding}"
