"""Issue 4's seed acceptance: the four seed articles imported, clustered and written
through the CLI give the story page the aggregator's page (seed 002) shows."""

from __future__ import annotations

import json
import re

import pytest

from tests.helpers import SEEDS, SHARED

pytestmark = pytest.mark.needs_shared

UNDATED = ["000_62d237a55083a967.txt", "001_19651799f73e0808.txt", "004_c568a9170720648a.txt"]
DATED = "003_6fb147435889008f.txt"  # "Feb 17, 2026" in its own text
BOILERPLATE = ["Explore", "RECOMMENDED", "RelatedTRT", "SOURCE:", "min read", "hours ago",
               "Hassan Ali", "Galatasaray", "Kenya airport", "GENEVA:"]


@pytest.fixture
def seed_summary(cli):  # type: ignore[no-untyped-def]
    # The torch encoder, whose vectors are the same on every CPU: the int8 build's differ
    # between CPUs with and without VNNI (docs/clustering.md), and this page's bars sit
    # close enough to the writer's cosine thresholds to follow such a difference.
    cli.env["STORYLINE_EMBED_BACKEND"] = "torch"
    for name in UNDATED:  # the three undated reports are of the second day
        cli("import", str(SEEDS / name), "--published", "2026-02-18T08:00:00Z")
    cli("import", str(SEEDS / DATED))
    cli("cluster")
    out = cli("write").output
    assert "100.0%" in out
    stories = [json.loads(line) for line in cli("stories", "list", "--json").output.splitlines()]
    assert len(stories) == 1 and stories[0]["article_count"] == 4
    return json.loads(cli("stories", "summary", str(stories[0]["id"]), "--json").output)


def _section_text(section: dict) -> str:  # type: ignore[type-arg]
    return " ".join(s["text"] for s in section["sentences"])


@pytest.mark.needs_shared(gate="citation support rate")
def test_seed_story_page(seed_summary, models) -> None:  # type: ignore[no-untyped-def]
    s = seed_summary
    # A neutral headline about the Geneva talks and Witkoff's progress claim.
    headline = s["headline"]
    assert len(headline) <= 90
    assert "Geneva" in headline and "progress" in headline.lower() and "Witkoff" in headline
    assert not re.search(r"TRT|AFP|Reuters|!", headline)

    # Four numbered sources; every citation resolves to one of them.
    assert [src["index"] for src in s["sources"]] == [1, 2, 3, 4]
    assert s["article_count"] == 4
    sentences = [x for sec in s["sections"] for x in sec["sentences"]]
    assert all(x["citations"] and set(x["citations"]) <= {1, 2, 3, 4} for x in sentences)
    assert s["support_rate"] == 1.0 and s["checked_sentences"] == s["supported_sentences"]

    # 3-6 titled sections of 2-4 sentences, one per theme the aggregator page has.
    assert 3 <= len(s["sections"]) <= 6
    for sec in s["sections"]:
        assert sec["title"] and sec["title"] != "Details"
        assert 2 <= len(sec["sentences"]) <= 4
    # A section for each of the aggregator page's five angles, on content.
    angles = {
        "progress claim, format and mediators": lambda t: "meaningful progress" in
        t.lower() and bool(re.search(r"Kushner|Medinsky|Umerov|round|format|delegation", t)),
        "territory vs security guarantees": lambda t: bool(
            re.search(r"Donbas|Donetsk|territor", t)) and "security guarantees" in t,
        "strikes and drones during the talks": lambda t: "drones" in t and bool(
            re.search(r"missile|strike|attack|assault", t)),
        "Zelensky's criticism of the pressure": lambda t: "Zelensky" in t and bool(
            re.search(r"question|fair|accus|criticis|pressur|concession", t)),
        "tense six-hour opening session": lambda t: bool(
            re.search(r"six hours|six-hour", t)) and "tense" in t,
    }
    for angle, covers in angles.items():
        assert any(covers(_section_text(sec)) for sec in s["sections"]), angle
    # The opening session, told by all four outlets, cites all four.
    session = [x for sec in s["sections"] for x in sec["sentences"]
               if re.search(r"six hours|six-hour", x["text"]) and "tense" in x["text"]]
    assert session and max(len(x["citations"]) for x in session) == 4, session
    # No fact twice: no two sentences of the page with most of their words in common.
    words = [set(re.findall(r"[a-z]{4,}", x["text"].lower())) for x in sentences]
    for i in range(len(words)):
        for j in range(i + 1, len(words)):
            shared = len(words[i] & words[j]) / max(1, min(len(words[i]), len(words[j])))
            assert shared < 0.6, (sentences[i]["text"], sentences[j]["text"])
    # Section titles are headlines: 4-12 words, some of them words the section writes in
    # lower case (a verb or a relation: never a bare name such as "President Volodymyr
    # Zelensky"), none repeats the page headline.
    for sec in s["sections"]:
        words = sec["title"].split()
        assert 4 <= len(words) <= 12 and sec["title"] != headline, sec["title"]
        lower = set(re.findall(r"\b[a-z][a-z-]{3,}\b", _section_text(sec)))
        assert any(w.lower() in lower for w in words), sec["title"]
    # The Ukrainian negotiator's account of the opening session (four outlets tell it, one
    # of them after "Meanwhile,"), cited by more than the outlet it is from; no sentence
    # opens with a connective that points at a sentence the page does not have.
    practical = [x for x in sentences if "practical" in x["text"]]
    assert practical and max(len(x["citations"]) for x in practical) >= 3, practical
    assert not any(x["text"].startswith(("Meanwhile", "Prior to that", "However"))
                   for x in sentences)
    every = " ".join(_section_text(sec) for sec in s["sections"])
    for person in ("Witkoff", "Kushner", "Medinsky", "Umerov"):
        assert person in every, person
    for junk in BOILERPLATE:
        assert junk not in every and junk not in headline, junk

    # The timeline: the invasion and the second day.
    timeline = s["timeline"]
    keys = [(e["date"], e["precision"]) for e in timeline]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    by_date = {e["date"][:10]: e for e in timeline}
    assert by_date["2022-02-24"]["precision"] == "day"
    assert "invasion" in by_date["2022-02-24"]["text"]
    assert "2026-02-18" in by_date
    assert all(e["citations"] for e in timeline)
    # Events only: every entry is a sentence of a report that gives its date, never a
    # photo caption, a credit or a teaser.
    for e in timeline:
        assert e["text"].endswith((".", "”", '"')) and not e["text"].endswith("…"), e
        assert not re.search(r"(?i)photo|getty|reuters/|afp/|caption", e["text"]), e

    # Against the aggregator's own page for this event (a reference for what a page
    # covers, not for its wording): at least 10 of its 20 summary sentences have a
    # counterpart on ours (cosine >= 0.6, the measure of shared/tools/seed_coverage.py with
    # the same encoder) and its five section titles match ours at a mean best cosine of
    # at least 0.50 (issue 13: 5 and 0.36 before).
    ref = json.loads((SHARED / "data" / "reference" / "seed-page.json").read_text("utf-8"))
    enc = models.encoder("torch")
    theirs = enc.encode([x["text"] for sec in ref["sections"] for x in sec["sentences"]])
    ours = enc.encode([x["text"] for x in sentences])
    best = (theirs @ ours.T).max(axis=1)
    assert len(best) == 20 and int((best >= 0.6).sum()) >= 10, sorted(best)
    titles = (enc.encode([sec["title"] for sec in ref["sections"]])
              @ enc.encode([sec["title"] for sec in s["sections"]]).T).max(axis=1)
    assert float(titles.mean()) >= 0.50, titles

    # Every article is listed under "All related articles", each as its source.
    assert sorted(r["source"] for r in s["related"]) == [1, 2, 3, 4]
    assert s["story_id"] is not None


def test_storyline_is_named_by_its_biggest_story(cli, seed_summary) -> None:  # type: ignore[no-untyped-def]
    line = seed_summary["storyline_id"]
    assert line is not None
    shown = json.loads(cli("storylines", "show", str(line), "--json").output)
    assert shown["title"] == seed_summary["headline"]


def test_seed_story_markdown_has_every_part(cli, seed_summary) -> None:  # type: ignore[no-untyped-def]
    text = cli("stories", "summary", str(seed_summary["story_id"])).output
    assert text.startswith(f"# {seed_summary['headline']}")
    for part in ("## Sources", "## Timeline", "## All related articles", "Support rate: 100%"):
        assert part in text, part
    assert text.count("\n## ") >= len(seed_summary["sections"]) + 3


def test_undated_seed_files_join_the_dated_report(cli) -> None:  # type: ignore[no-untyped-def]
    """`storyline import` of the seed folder as is: three files say no date, TRT's says
    Feb 17, 2026. An undated file's time is unknown, not the import time (which is
    months later), so the four reports still make one story, dated by TRT's report."""
    out = cli("import", str(SEEDS)).output
    assert "4 new articles" in out and "1 skipped" in out  # 002 is an aggregator page
    cli("cluster")
    assert "100.0%" in cli("write").output
    stories = [json.loads(line) for line in cli("stories", "list", "--json").output.splitlines()]
    assert [s["article_count"] for s in stories] == [4]
    s = json.loads(cli("stories", "summary", str(stories[0]["id"]), "--json").output)
    assert s["updated_at"].startswith("2026-02-17")
    dated = [src for src in s["sources"] if src["published"]]
    assert [src["published"][:10] for src in dated] == ["2026-02-17"]
    assert "Witkoff" in s["headline"] and "progress" in s["headline"].lower()
    listed = json.loads(cli("stories", "list", "--json").output)
    assert listed["headline"] == s["headline"]  # the written headline, not a first line
    # Undated articles give the dates they write in full (the invasion), never one
    # counted from the import time.
    assert all(e["date"] < "2026-03" for e in s["timeline"])
    by_date = {e["date"][:10]: e for e in s["timeline"]}
    assert by_date["2022-02-24"]["precision"] == "day"
    assert not {src["index"] for src in dated} & set(by_date["2022-02-24"]["citations"])
    assert "2026-02-18" in by_date  # the second day (the first is dated only by a caption)
    markdown = cli("stories", "summary", str(stories[0]["id"])).output
    assert "Updated 2026-02-17" in markdown and "(4 articles, 1 outlet)" in markdown
    assert "()" not in markdown  # an undated source shows no empty date
