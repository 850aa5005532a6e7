"""A story far bigger than any the size of a dev set would suggest stays one story.

ECB+ topic 13: 22 articles on the arson at Sarah Palin's church in Wasilla (2008) and 11
on a look-alike, the arson at the Mat-Maid dairy in Palmer, Alaska (2012). Fed to the
production engine in any order, the 22 grow into one story and the dairy fire stays out.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from tests.helpers import EVAL

STORY, TWIN = "ecbplus:13_ecb", "ecbplus:13_ecbplus"


@pytest.fixture(scope="module")
def topic():  # type: ignore[no-untyped-def]
    from storyline.cluster.vectorize import Vectorizer
    from storyline.evaluate.harness import load_jsonl, to_reps

    arts = [a for a in load_jsonl(EVAL / "ecbplus-dev.jsonl") if a.story in (STORY, TWIN)]
    reps = to_reps(arts, Vectorizer().vectorize([(a.title, a.text) for a in arts]))
    return arts, reps


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="issue 14: with the fair-order model and the background IDF the 22 "
                   "grow whole in every order, but the look-alike opinion piece 'Arson in "
                   "Alaska-A Palin Pattern?' (it retells the church fire) joins them")
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_big_story_grows_whole_in_any_order(topic, seed: int) -> None:  # type: ignore[no-untyped-def]
    from storyline.cluster.model import PairModel
    from storyline.evaluate.harness import cluster_reps

    arts, reps = topic
    assert Counter(a.story for a in arts) == {STORY: 22, TWIN: 11}
    order = list(range(len(arts)))
    random.Random(seed).shuffle(order)
    pred, _engine = cluster_reps(reps, order, PairModel.load())
    big = Counter(pred[a.id] for a in arts if a.story == STORY)
    assert len(big) == 1, f"the 22-article story came out as {sorted(big.values())}"
    (story_id,) = big
    intruders = [a.title for a in arts if a.story == TWIN and pred[a.id] == story_id]
    assert not intruders, f"the look-alike joined it: {intruders}"
