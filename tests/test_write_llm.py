"""The LLM writer against a real loopback OpenAI-compatible server replaying recorded
answers (tests/fixtures/llm/*.json) for the four seed articles: verified sentences,
dropped unsupported and self-talk sentences, and the extractive fallback on invalid
JSON and HTTP errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from storyline.extract.plaintext import parse_plain_text
from storyline.write import ExtractiveWriter, StoryArticle, StorySummary
from storyline.write.llm import LLMConfig, LLMError, LLMWriter, parse_answer
from tests.helpers import SEED_FILES, SEEDS, require_shared
from tests.httpserver import LocalHTTPServer, Request, Response

ANSWERS = Path(__file__).parent / "fixtures" / "llm"
ROUTE = "/v1/chat/completions"

UNSUPPORTED = "Russia agreed to withdraw all troops from Ukraine by March 2026."
SELF_TALK = "As an AI language model, I summarised the sources."


@pytest.fixture(scope="module")
def seed_articles() -> list[StoryArticle]:
    require_shared()
    articles = []
    for i, name in enumerate(SEED_FILES):
        parsed = parse_plain_text((SEEDS / name).read_text(encoding="utf-8"))
        articles.append(StoryArticle(
            id=i, title=parsed.title, text=parsed.text, outlet=parsed.outlet or f"Outlet {i}",
            published=datetime(2026, 2, 18, 9, tzinfo=UTC),
            title_inferred="title" in parsed.inferred))
    return articles


@pytest.fixture(scope="module")
def extractive() -> ExtractiveWriter:
    return ExtractiveWriter()  # one embedder/verifier for the module


@pytest.fixture
def bodies(http_server: LocalHTTPServer) -> Callable[[], list[dict[str, Any]]]:
    """Returns the JSON bodies of the POST requests the loopback server has received."""
    return lambda: [json.loads(r.body or b"null") for r in http_server.requests
                    if r.method == "POST"]


def _replay(name: str) -> Callable[[Request], Response]:
    body = (ANSWERS / f"{name}.json").read_bytes()
    return lambda _request: Response(200, {"Content-Type": "application/json"}, body)


def _write(server: LocalHTTPServer, articles: list[StoryArticle], extractive: ExtractiveWriter,
           api_key: str = "") -> StorySummary:
    config = LLMConfig(base_url=server.url("/v1"), model="replay", api_key=api_key,
                       timeout_s=10)
    return LLMWriter(config, extractive=extractive).write(articles)


def _texts(summary: StorySummary) -> list[str]:
    return [s.text for sec in summary.sections for s in sec.sentences]


def test_good_answer_is_kept_and_verified(http_server: LocalHTTPServer, bodies: Callable[[], list[Any]],
                                          seed_articles: list[StoryArticle],
                                          extractive: ExtractiveWriter) -> None:
    http_server.add(ROUTE, handler=_replay("good"))
    summary = _write(http_server, seed_articles, extractive)

    assert summary.writer == "llm", summary.dropped
    assert summary.headline == ("Ukraine and Russia report progress at Geneva peace talks as "
                                "second day begins")
    assert [s.title for s in summary.sections] == ["Progress in Geneva", "Tense talks",
                                                   "Zelensky's position"]
    assert summary.checked_sentences == summary.supported_sentences == 9
    assert summary.support_rate == 1.0 and summary.dropped == []
    for sec in summary.sections:
        for sent in sec.sentences:
            assert sent.citations and all(1 <= c <= 4 for c in sent.citations)
    # Shared with the extractive writer.
    assert len(summary.sources) == 4 and summary.article_count == 4
    assert summary.updated_at == datetime(2026, 2, 18, 9, tzinfo=UTC)
    assert summary.timeline

    (request,) = http_server.requests_to(ROUTE)
    assert request.method == "POST" and "authorization" not in request.headers
    (payload,) = bodies()
    assert payload["model"] == "replay"
    assert payload["response_format"] == {"type": "json_object"}
    roles = [m["role"] for m in payload["messages"]]
    assert roles == ["system", "user"]
    user = payload["messages"][1]["content"]
    # The fact clusters: numbered facts, each with the sources that report it.
    assert "[F1]" in user and "(sources 1, 2, 3, 4)" in user and len(user.split()) <= 6500


def test_api_key_is_sent_as_bearer(http_server: LocalHTTPServer, bodies: Callable[[], list[Any]],
                                   seed_articles: list[StoryArticle],
                                   extractive: ExtractiveWriter) -> None:
    http_server.add(ROUTE, handler=_replay("good"))
    summary = _write(http_server, seed_articles, extractive, api_key="sk-test")
    assert summary.writer == "llm"
    (request,) = http_server.requests_to(ROUTE)
    assert request.headers["authorization"] == "Bearer sk-test"


def test_unsupported_and_self_talk_are_dropped(http_server: LocalHTTPServer,
                                               bodies: Callable[[], list[Any]],
                                               seed_articles: list[StoryArticle],
                                               extractive: ExtractiveWriter) -> None:
    http_server.add(ROUTE, handler=_replay("unsupported"))
    summary = _write(http_server, seed_articles, extractive)

    assert summary.writer == "llm"
    texts = _texts(summary)
    assert UNSUPPORTED not in texts and SELF_TALK not in texts
    assert len(summary.dropped) == 2
    assert summary.dropped[0].startswith(UNSUPPORTED)
    assert summary.dropped[1].startswith(SELF_TALK) and "self-talk" in summary.dropped[1]
    assert summary.checked_sentences == 11  # nine good + the two dropped
    assert summary.supported_sentences == 9 == len(texts)
    assert summary.support_rate == pytest.approx(9 / 11)
    kept_rate = len(texts) / summary.supported_sentences
    assert kept_rate == 1.0  # every printed sentence is a supported one
    assert [len(s.sentences) for s in summary.sections] == [3, 3, 3]


def test_invalid_json_falls_back_to_extractive(http_server: LocalHTTPServer,
                                               bodies: Callable[[], list[Any]],
                                               seed_articles: list[StoryArticle],
                                               extractive: ExtractiveWriter) -> None:
    http_server.add(ROUTE, handler=_replay("invalid"))
    summary = _write(http_server, seed_articles, extractive)
    assert summary.writer.startswith("extractive (llm failed")
    assert "invalid JSON" in summary.writer and "\n" not in summary.writer
    assert summary.sections and summary.support_rate == 1.0
    assert len(bodies()) == 1


def test_http_error_falls_back_to_extractive(http_server: LocalHTTPServer,
                                             bodies: Callable[[], list[Any]],
                                             seed_articles: list[StoryArticle],
                                             extractive: ExtractiveWriter) -> None:
    http_server.add(ROUTE, status=500, body=b"upstream exploded\n",
                    headers={"Content-Type": "text/plain"})
    summary = _write(http_server, seed_articles, extractive)
    assert summary.writer.startswith("extractive (llm failed")
    assert "HTTP 500" in summary.writer and "\n" not in summary.writer
    assert summary.sections and summary.sources


def test_parse_answer_validation() -> None:
    long = "A very long headline " * 10
    draft = parse_answer(json.dumps({
        "headline": long,
        "sections": [{"title": "T", "sentences": [
            {"text": "One sentence here.", "citations": [1, "2", "[3.4]", 9, True]}]}],
    }), n_sources=3)
    assert len(draft.headline) <= 90 and not draft.headline.endswith(" ")
    assert long.startswith(draft.headline + " ")  # cut at a word boundary
    assert draft.sections[0][1] == [("One sentence here.", [1, 2, 3])]
    for bad in ('{"headline": 3, "sections": []}', "[1, 2]", '{"headline": "x"}',
                '{"headline": "x", "sections": [{"title": "t", "sentences": ["s"]}]}'):
        with pytest.raises(LLMError):
            parse_answer(bad, n_sources=3)


def test_thin_section_is_replaced_by_extractive(http_server: LocalHTTPServer,
                                                bodies: Callable[[], list[Any]],
                                                seed_articles: list[StoryArticle],
                                                extractive: ExtractiveWriter) -> None:
    http_server.add(ROUTE, handler=_replay("thin"))
    summary = _write(http_server, seed_articles, extractive)
    base = extractive.write(seed_articles)

    assert summary.writer == "llm"
    titles = [s.title for s in summary.sections]
    assert titles[:3] == ["Progress in Geneva", "Tense talks", "Zelensky's position"]
    assert "Medinsky's delegation" not in titles and len(titles) == 4
    replacement = summary.sections[3]
    # an extractive section (the best-matching unused one), not a model section
    assert replacement.title not in titles[:3] and len(replacement.sentences) >= 2
    assert replacement in base.sections
    assert any("cede the Donetsk region" in d for d in summary.dropped)
    # Its other sentence restates the "Tense talks" section's delegation sentence: the
    # page's repeat test drops it, as the extractive writer would.
    assert any("repeats an earlier sentence" in d and "Medinsky" in d for d in summary.dropped)
    assert summary.checked_sentences == 11 + len(replacement.sentences)
    assert summary.supported_sentences == 9 + len(replacement.sentences)
