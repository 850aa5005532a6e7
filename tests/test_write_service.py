"""`storyline write` over the database: stale detection, storage, storyline timeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import EVAL, import_talk_rounds, lines


def test_write_stores_verified_summaries_and_is_idempotent(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import_talk_rounds(cli, tmp_path)
    cli("cluster")
    out = cli("write").output
    assert "Wrote 2 stories" in out and "(100.0%)" in out
    assert "Wrote 0 stories" in cli("write").output  # nothing changed
    assert "Wrote 2 stories" in cli("write", "--all").output

    stories = lines(cli("stories", "list", "--json").output)
    geneva = next(s for s in stories if s["article_count"] == 4)
    summary = json.loads(cli("stories", "summary", str(geneva["id"]), "--json").output)
    assert len(summary["sources"]) == 4 and summary["support_rate"] == 1.0
    assert 3 <= len(summary["sections"]) <= 6
    for section in summary["sections"]:
        for sentence in section["sentences"]:
            assert all(1 <= c <= 4 for c in sentence["citations"])
    earlier = [e for e in summary["timeline"] if e.get("story_id")]
    assert earlier and earlier[0]["date"].startswith("2026-02-04")  # the Abu Dhabi round
    dates = [e["date"] for e in summary["timeline"]]
    assert dates == sorted(dates)
    shown = cli("stories", "show", str(geneva["id"])).output.splitlines()
    assert shown[0] == f"Story {geneva['id']}: {summary['headline']}"  # written, not the lead's
    assert shown[1].startswith("4 articles from ")
    assert json.loads(cli("stories", "show", str(geneva["id"]), "--json").output)[
        "headline"] == summary["headline"]
    md = cli("stories", "summary", str(geneva["id"])).output
    assert md.startswith("# ") and "## Sources" in md and "## Timeline" in md and "[1]" in md
    missing = cli("stories", "summary", "999", ok=False)
    assert missing.exit_code == 1 and "no summary for story 999" in missing.output


@pytest.mark.slow
@pytest.mark.needs_shared(gate="citation support rate")
def test_eval_summarize_scores_rouge_and_support(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    refs = (EVAL / "neus-dev-summaries.jsonl").read_text().splitlines()[:5]
    wanted = {i for r in refs for i in json.loads(r)["article_ids"]}
    arts = [x for x in (EVAL / "neus-dev.jsonl").read_text().splitlines()
            if json.loads(x)["id"] in wanted]
    (tmp_path / "refs.jsonl").write_text("\n".join(refs) + "\n")
    (tmp_path / "arts.jsonl").write_text("\n".join(arts) + "\n")
    out = tmp_path / "out.jsonl"
    res = cli("eval", "summarize", str(tmp_path / "refs.jsonl"), "--articles",
              str(tmp_path / "arts.jsonl"), "--out", str(out))
    assert "stories: 5" in res.output and "ROUGE-1" in res.output
    assert "support rate: 100.0%" in res.output
    assert "LexRank (length-matched)  ROUGE-1" in res.output
    assert "central title (headline)  ROUGE-1" in res.output
    written = [json.loads(x) for x in out.read_text().splitlines()]
    assert [w["story"] for w in written] == [json.loads(r)["story"] for r in refs]
    assert all(w["headline"] and w["summary"] and "[" not in w["summary"] for w in written)


def test_llm_writer_misconfiguration_is_one_line(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("write", ok=False, env={"STORYLINE_WRITER": "llm"})
    assert res.exit_code == 1
    assert "writer=llm needs STORYLINE_LLM_BASE_URL and STORYLINE_LLM_MODEL" in res.output
    bad = cli("write", ok=False, env={"STORYLINE_WRITER": "poet"})
    assert "STORYLINE_WRITER='poet': writer must be one of extractive, llm" in bad.output
