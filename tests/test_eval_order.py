"""The evaluation harness's processing order: undated articles in a fixed random order,
never in the file's story-grouped order (which gives the gold stories away)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storyline.evaluate.harness import EvalArticle, mixed_order, processing_order


def _arts(n_stories: int, per_story: int, dated: int = 0) -> list[EvalArticle]:
    """``n_stories`` stories of ``per_story`` undated articles, grouped by story as the
    dev files list them, then ``dated`` dated articles listed newest first."""
    arts = [EvalArticle(id=f"s{s}_{k}", story=f"s{s}", title="t", text="x",
                        published=None, source=None)
            for s in range(n_stories) for k in range(per_story)]
    arts += [EvalArticle(id=f"d{k}", story=f"d{k}", title="t", text="x",
                         published=datetime(2020, 1, 28 - k, tzinfo=UTC), source=None)
             for k in range(dated)]
    return arts


def _same_story_neighbours(arts: list[EvalArticle], order: list[int]) -> float:
    pairs = list(zip(order, order[1:], strict=False))
    return sum(arts[a].story == arts[b].story for a, b in pairs) / len(pairs)


def test_undated_articles_are_shuffled_the_same_way_every_run() -> None:
    arts = _arts(300, 3, dated=5)
    order = processing_order(arts)
    assert sorted(order) == list(range(len(arts)))
    assert order == processing_order(arts)  # fixed seed: the same in every run
    undated, dated = order[:900], order[900:]
    assert sorted(undated) == list(range(900))
    # Dated articles follow, oldest first.
    assert [arts[i].id for i in dated] == ["d4", "d3", "d2", "d1", "d0"]
    # File order: two of every three neighbours share a story; shuffled: about one in
    # 450 (a story's other two articles among 899 places), well under 2 %.
    assert _same_story_neighbours(arts, processing_order(arts, "file")[:900]) == \
        pytest.approx(600 / 899)
    assert _same_story_neighbours(arts, undated) < 0.02


def test_mixed_stream_spreads_each_files_shuffled_undated_articles() -> None:
    a, b = _arts(100, 3), _arts(100, 3, dated=10)
    b = [EvalArticle(id="b" + x.id, story="b" + x.story, title=x.title, text=x.text,
                     published=x.published, source=None) for x in b]
    arts, files = a + b, [0] * len(a) + [1] * len(b)
    order = mixed_order(arts, files)
    assert sorted(order) == list(range(len(arts)))

    def first_file(o: list[int]) -> list[int]:
        return [i for i in o if files[i] == 0]

    # The two files' undated articles alternate; within each, file order would keep a
    # story's articles together, the shuffled order does not.
    assert _same_story_neighbours(arts, first_file(order)) < 0.03
    assert _same_story_neighbours(arts, first_file(mixed_order(arts, files, "file"))) == \
        pytest.approx(200 / 299)
    # Dated articles stay in date order within the stream.
    dated = [arts[i].published for i in order if arts[i].published is not None]
    assert dated == sorted(dated)


def test_unknown_undated_order_is_refused() -> None:
    with pytest.raises(ValueError, match="undated order"):
        processing_order(_arts(2, 3), "by-story")
