from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from tests.helpers import BENCH, SEEDS

ARTICLE_SEEDS = ["000_62d237a55083a967.txt", "001_19651799f73e0808.txt",
                 "003_6fb147435889008f.txt", "004_c568a9170720648a.txt"]
BOILERPLATE = [
    "Galatasaray defeat 10-man Juventus", "Jesse Jackson, veteran US civil rights leader",
    "Explore", "RECOMMENDED", "RelatedTRT World", "SOURCE:AFP", "6 hours ago", "2 min read",
    "Cricketer Hassan Ali",
]


def _articles(cli) -> list[dict]:  # type: ignore[no-untyped-def]
    return [json.loads(line) for line in cli("articles", "list", "--json").output.splitlines()]


def _report_paragraphs(raw: str) -> list[str]:
    """The report's own paragraphs: long lines ending like a sentence."""
    out = []
    for line in raw.splitlines():
        line = line.strip()
        if len(line.split()) >= 15 and re.search(r"[.!?\"”’)]$", line) \
                and not line.startswith(("Related", "SOURCE")):
            out.append(line)
    return out


@pytest.mark.needs_shared
def test_seed_articles_import_clean_and_aggregator_is_skipped(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("import", str(SEEDS))
    assert "Imported 5 files: 4 new articles" in res.output
    assert "002_15857deaf6e4b233.txt: skipped: an aggregator page" in res.output
    arts = _articles(cli)
    assert len(arts) == 4
    by_title = {a["title"]: a for a in arts}
    assert "'Meaningful progress' made in Ukraine war talks: Witkoff" in by_title
    for art, name in zip(arts, ARTICLE_SEEDS, strict=True):
        raw = (SEEDS / name).read_text(encoding="utf-8")
        for para in _report_paragraphs(raw):
            assert para in art["text"], f"{name} lost: {para[:60]}"
        for junk in BOILERPLATE:
            assert junk not in art["text"], f"{name} kept boilerplate {junk!r}"
            assert junk not in art["title"]
        assert art["extraction_method"] == "plain-text"
    trt = by_title["'Meaningful progress' made in Ukraine war talks: Witkoff"]
    assert trt["outlet"] == "TRT World" and "outlet" in trt["inferred_fields"]
    # Re-running is idempotent: same articles, nothing new.
    again = cli("import", str(SEEDS))
    assert "0 new articles" in again.output and "4 already stored" in again.output
    assert len(_articles(cli)) == 4


def test_plain_text_with_explicit_metadata(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "note.txt"
    f.write_text("Council approves budget\n\nThe city council approved the 2027 budget on "
                 "Tuesday after a four-hour debate, raising spending on transit and schools "
                 "by six percent while holding property taxes flat.\n")
    cli("import", str(f), "--outlet", "City Paper", "--url",
        "https://www.citypaper.example/news/budget/?utm_source=x#top",
        "--published", "2026-03-03T18:00:00+01:00")
    (art,) = _articles(cli)
    assert art["title"] == "Council approves budget"
    assert art["outlet"] == "City Paper"
    assert art["url"] == "https://citypaper.example/news/budget"
    assert art["published"] == "2026-03-03T17:00:00+00:00"
    assert art["inferred_fields"] == []
    bad = cli("import", str(f), "--published", "the day after never", ok=False)
    assert bad.exit_code == 1 and "cannot understand the date" in bad.output


def test_jsonl_import_reports_bad_lines_and_goes_on(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lines = [
        {"id": "x:1", "story": "x:s1", "title": "Quake hits coast",
         "text": "Quake hits coast\nA magnitude 6.1 earthquake struck the coast on Monday.",
         "published": "2013-05-02", "source": "wire.example", "url": None, "lang": "en"},
        "{not json",
        ["a", "list"],
        {"id": "x:2", "title": "Rescue teams deployed", "text": "Teams reached the area.",
         "published": None, "source": None, "url": "http://news.example/q?utm_medium=rss",
         "lang": "en"},
    ]
    f = tmp_path / "in.jsonl"
    f.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n\n")
    res = cli("import", str(f))
    assert f"{f}:2: not JSON" in res.output
    assert f"{f}:3: not a JSON object" in res.output
    assert "2 new articles" in res.output and "2 errors" in res.output
    arts = _articles(cli)
    assert [a["external_id"] for a in arts] == ["x:1", "x:2"]
    assert arts[0]["text"] == "A magnitude 6.1 earthquake struck the coast on Monday."
    assert arts[0]["published"] == "2013-05-02T00:00:00+00:00"
    assert arts[0]["outlet"] == "wire.example"
    assert arts[1]["url"] == "http://news.example/q"
    assert "0 new articles" in cli("import", str(f)).output


@pytest.mark.needs_shared
def test_html_import_extracts_like_a_fetch(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    truth = json.loads((BENCH / "ground-truth.json").read_text())
    page_id = next(k for k in sorted(truth) if len(truth[k]["articleBody"].split()) > 300)
    page = tmp_path / f"{page_id}.html"
    page.write_bytes(gzip.decompress((BENCH / "html" / f"{page_id}.html.gz").read_bytes()))
    cli("import", str(page), "--url", truth[page_id]["url"])
    (art,) = _articles(cli)
    assert art["extraction_method"] == "trafilatura"
    words = truth[page_id]["articleBody"].split()
    assert " ".join(words[5:15]) in " ".join(art["text"].split())


def test_sample_corpus_imports(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("import", "--sample")
    m = re.search(r"(\d+) new articles, (\d+) duplicates", res.output)
    assert m, res.output
    assert int(m.group(1)) + int(m.group(2)) == 462
    assert "0 errors" in res.output


def test_import_user_mistakes(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    res = cli("import", str(tmp_path / "nope.txt"), ok=False)
    assert res.exit_code == 1 and "no such file or folder" in res.output
    odd = tmp_path / "x.pdf"
    odd.write_bytes(b"%PDF")
    assert "unsupported file type" in cli("import", str(odd), ok=False).output
    assert "nothing to import" in cli("import", ok=False).output
