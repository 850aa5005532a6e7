"""The in-memory story engine and the metrics, on synthetic data (no model files)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from storyline.cluster.engine import ClusterEngine, EngineConfig
from storyline.cluster.features import FEATURES
from storyline.cluster.model import Forest, PairModel
from storyline.cluster.represent import ArticleRep, TermStats, terms_of
from storyline.cluster.state import StoryState
from storyline.evaluate.clustering import bcubed, pairwise

DIM = 16


def linear_model(threshold: float = 0.5, merge: float = 2.0) -> PairModel:
    """P rises with centroid similarity only: P = 0.5 at cosine 0.8."""
    coef = np.zeros(len(FEATURES))
    coef[FEATURES.index("dense_centroid")] = 40.0
    return PairModel(threshold=threshold, merge_threshold=merge, version="test", coef=coef,
                     intercept=-32.0, mean=np.zeros(len(FEATURES)),
                     scale=np.ones(len(FEATURES)))


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


def rep(i: int, vec: np.ndarray, time: float | None = None, **kw: object) -> ArticleRep:
    return ArticleRep(id=i, dense=vec, title_dense=vec, terms={"w": 1}, time=time, **kw)  # type: ignore[arg-type]


def make_topics(n_topics: int, per_topic: int, noise: float, seed: int = 0
                ) -> tuple[list[ArticleRep], dict[str, str]]:
    rng = np.random.default_rng(seed)
    centres = [unit(rng.normal(size=DIM)) for _ in range(n_topics)]
    reps, gold = [], {}
    for k in range(n_topics * per_topic):
        topic = k % n_topics
        reps.append(rep(k, unit(centres[topic] + noise * rng.normal(size=DIM))))
        gold[str(k)] = f"t{topic}"
    return reps, gold


def test_metrics_on_known_partitions() -> None:
    gold = {"a": "x", "b": "x", "c": "y", "d": "y"}
    assert bcubed(gold, gold)["f1"] == 1.0
    lumped = dict.fromkeys(gold, "z")
    assert bcubed(lumped, gold) == pytest.approx({"precision": 0.5, "recall": 1.0,
                                                  "f1": 2 / 3})
    singletons = {k: k for k in gold}
    assert bcubed(singletons, gold)["recall"] == 0.5
    assert pairwise(lumped, gold) == pytest.approx({"precision": 2 / 6, "recall": 1.0,
                                                    "f1": 0.5})


def test_engine_recovers_separated_events() -> None:
    reps, gold = make_topics(n_topics=6, per_topic=8, noise=0.08)
    engine = ClusterEngine(linear_model(), EngineConfig(dim=DIM))
    for r in reps:
        engine.assign(r)
    pred = {str(r.id): str(engine.resolve(engine.article_story[r.id])) for r in reps}
    assert bcubed(pred, gold)["f1"] > 0.97
    assert len(set(pred.values())) == 6


def test_duplicates_join_their_original_story_and_time_window_applies() -> None:
    rng = np.random.default_rng(1)
    a, b = unit(rng.normal(size=DIM)), unit(rng.normal(size=DIM))
    engine = ClusterEngine(linear_model(), EngineConfig(dim=DIM, window_days=3))
    first = engine.assign(rep(1, a, time=100.0))
    dup = engine.assign(rep(2, b, time=100.1, duplicate_of=1))  # unlike, but a copy
    assert dup.story_id == first.story_id and dup.reason == "duplicate"
    later = engine.assign(rep(3, a, time=110.0))  # same content, outside the window
    assert later.created and later.story_id != first.story_id
    same = engine.assign(rep(4, a, time=111.0))
    assert same.story_id == later.story_id and same.reason == "model"


def test_active_index_stays_bounded_by_the_window() -> None:
    rng = np.random.default_rng(2)
    engine = ClusterEngine(linear_model(), EngineConfig(dim=DIM, window_days=1,
                                                        consolidate_every=50))
    for day in range(200):
        for k in range(5):
            engine.assign(rep(day * 10 + k, unit(rng.normal(size=DIM)), time=float(day)))
    assert engine.active_count < 20  # ~3 days of stories, not 200 days
    engine.forget_expired()
    assert len(engine.stories) < 40


def test_consolidation_merges_converged_stories_and_splits_misfits() -> None:
    rng = np.random.default_rng(3)
    centre = unit(rng.normal(size=DIM))
    engine = ClusterEngine(linear_model(threshold=0.99, merge=0.3),
                           EngineConfig(dim=DIM, consolidate_every=10**6))
    # A high join threshold makes near-identical articles start separate stories...
    for k in range(4):
        engine.assign(rep(k, unit(centre + 0.12 * rng.normal(size=DIM))))
    assert len(engine.stories) > 1
    report = engine.consolidate()  # ...and consolidation merges them.
    assert len(engine.stories) == 1 and report.merged
    story = next(iter(engine.stories.values()))
    # A misfit forced into the story is split off on the next pass.
    outlier = rep(99, unit(-centre))
    engine._join(outlier, {}, story.id, None, "forced")
    report = engine.consolidate()
    assert (99, story.id, engine.article_story[99]) in report.split
    assert engine.article_story[99] != story.id and 99 not in story.members


def test_forest_evaluates_like_its_trees() -> None:
    # Two stumps on feature 0 and a depth-2 tree on features 0 and 1.
    forest = Forest.from_json({"baseline": -1.0, "depth": 3, "trees": [
        {"feature": [0, -1, -1], "threshold": [0.5, 0, 0], "left": [1, 0, 0],
         "right": [2, 0, 0], "value": [0, -1.0, 2.0]},
        {"feature": [0, 1, -1, -1, -1], "threshold": [0.5, 0.2, 0, 0, 0],
         "left": [1, 3, 0, 0, 0], "right": [2, 4, 0, 0, 0],
         "value": [0, 0, 0.5, -0.25, 0.75]},
    ]})
    x = np.array([[0.1, 0.1], [0.1, 0.9], [0.9, 0.0]])
    assert forest.raw(x).tolist() == [-1 - 1 - 0.25, -1 - 1 + 0.75, -1 + 2 + 0.5]


def test_terms_drop_stopwords_and_fold_plurals() -> None:
    terms = terms_of("The talks in Geneva: negotiators said the talks lasted 6 hours.")
    assert terms["talk"] == 2 and terms["geneva"] == 1 and terms["6"] == 1
    assert "the" not in terms and "said" not in terms


def test_substories_group_distinct_angles() -> None:
    from storyline.cluster.substories import group_members

    rng = np.random.default_rng(4)
    base = unit(rng.normal(size=DIM))
    angle_a = unit(base + 1.2 * unit(rng.normal(size=DIM)))
    angle_b = unit(base + 1.2 * unit(rng.normal(size=DIM)))
    vecs = np.stack([unit(angle_a + 0.05 * rng.normal(size=DIM)) for _ in range(4)]
                    + [unit(angle_b + 0.05 * rng.normal(size=DIM)) for _ in range(3)]
                    + [unit(rng.normal(size=DIM))])  # one off-angle article
    groups = group_members(vecs)
    assert groups == [[0, 1, 2, 3], [4, 5, 6]]
    assert group_members(vecs[:5]) == []  # too small a story for sub-stories
    assert group_members(np.stack([angle_a] * 7)) == []  # a single angle is no dive deeper


def test_model_reads_the_features_it_names(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A model file names the features it was trained on, a subset of FEATURES in its own
    order; scoring picks those columns. A name the code does not compute is refused."""
    import json

    from storyline.cluster.model import ModelError

    doc = {"version": "t", "kind": "linear", "features": ["title_mean", "dense_centroid"],
           "threshold": 0.5, "merge_threshold": 2.0, "coef": [0.0, 40.0],
           "intercept": -32.0, "mean": [0.0, 0.0], "scale": [1.0, 1.0]}
    path = tmp_path / "m.json"
    path.write_text(json.dumps(doc))
    model = PairModel.load(path)
    x = np.zeros((2, len(FEATURES)))
    x[0, FEATURES.index("dense_centroid")] = 0.8
    x[1, FEATURES.index("dense_centroid")] = 0.9
    x[:, FEATURES.index("title_mean")] = 5.0  # weight 0: must not matter
    assert model.score(x) == pytest.approx([0.5, 1 / (1 + np.exp(-4.0))])
    doc["features"] = ["dense_centroid", "story_of_three"]
    path.write_text(json.dumps(doc))
    with pytest.raises(ModelError, match="story_of_three"):
        PairModel.load(path)


def test_missing_values_follow_the_trees_missing_branch() -> None:
    """A feature that is missing (NaN: no time, no numbers) goes where training sent
    missing values, which is not where a small value goes."""
    tree = {"feature": [0, -1, -1], "threshold": [0.5, 0.0, 0.0], "left": [1, 0, 0],
            "right": [2, 0, 0], "value": [0.0, -1.0, 3.0]}
    x = np.array([[0.2], [0.9], [np.nan]])
    right = Forest.from_json({"baseline": 0.0, "depth": 2,
                              "trees": [{**tree, "missing_left": [0, 0, 0]}]})
    left = Forest.from_json({"baseline": 0.0, "depth": 2,
                             "trees": [{**tree, "missing_left": [1, 0, 0]}]})
    assert right.raw(x).tolist() == [-1.0, 3.0, 3.0]
    assert left.raw(x).tolist() == [-1.0, 3.0, -1.0]


def test_pair_features_computes_only_what_the_model_reads() -> None:
    """With ``wanted`` the features a model names come out exactly as in the full
    computation; the others are not computed (0). Unknown time and numbers are 0 in the
    old features and missing in their *_known twins."""
    from storyline.cluster.features import pair_features
    from storyline.cluster.represent import TermStats
    from storyline.cluster.state import StoryState

    rng = np.random.default_rng(3)
    stats = TermStats()
    story = StoryState(id=1, dim=DIM)
    for i in range(4):
        r = ArticleRep(id=i, dense=unit(rng.normal(size=DIM)),
                       title_dense=unit(rng.normal(size=DIM)), terms={"fire": 2, f"w{i}": 1},
                       entities=frozenset({"Wasilla", f"E{i}"}), numbers=frozenset({"22"}),
                       time=100.0 + i)
        stats.observe(r.terms, r.entities)
        story.add(r, stats.tfidf(r.terms))
    art = ArticleRep(id=9, dense=unit(rng.normal(size=DIM)),
                     title_dense=unit(rng.normal(size=DIM)), terms={"fire": 1, "church": 1},
                     entities=frozenset({"Wasilla", "Palin"}), time=None)
    stats.observe(art.terms, art.entities)
    tfidf = stats.tfidf(art.terms)
    full = pair_features(art, tfidf, story, stats)
    assert len(full) == len(FEATURES)
    named = ("dense_nearest", "lexical", "entity_coverage", "time_gap")
    some = pair_features(art, tfidf, story, stats, wanted=frozenset(named))
    for name in FEATURES:
        i = FEATURES.index(name)
        if name in named:
            assert some[i] == full[i], name
    assert full[FEATURES.index("entity_coverage")] > 0  # "Wasilla" is shared
    assert some[FEATURES.index("dense_fit")] == 0.0 != full[FEATURES.index("dense_fit")]
    assert some[FEATURES.index("title_nearest")] == 0.0 != full[FEATURES.index("title_nearest")]
    assert full[FEATURES.index("time_gap")] == 0.0
    assert np.isnan(full[FEATURES.index("time_gap_known")])
    assert full[FEATURES.index("number_jaccard")] == 0.0
    assert np.isnan(full[FEATURES.index("number_known")])
    art.time, art.numbers = 110.0, frozenset({"22"})
    again = pair_features(art, tfidf, story, stats)
    assert again[FEATURES.index("time_gap_known")] == pytest.approx(np.log1p(7.0))
    assert again[FEATURES.index("number_known")] == 1.0


def _story_of_leads(leads: list[str], seed: int
                    ) -> tuple[StoryState, TermStats, Callable[[int, str], ArticleRep]]:
    """A story of one member per lead (random vectors, the leads' terms), the term
    statistics that saw them, and the function that makes another article of a text."""
    rng = np.random.default_rng(seed)
    stats = TermStats()

    def rep(i: int, text: str) -> ArticleRep:
        return ArticleRep(id=i, dense=unit(rng.normal(size=DIM)),
                          title_dense=unit(rng.normal(size=DIM)), terms=dict(terms_of(text)))

    story = StoryState(id=1, dim=DIM)
    for i, text in enumerate(leads):
        r = rep(i, text)
        stats.observe(r.terms, r.entities)
        story.add(r, stats.tfidf(r.terms))
    return story, stats, rep


def test_weekday_feature_counts_the_members_naming_the_articles_day() -> None:
    """``weekday``: of the story's members that name a weekday, the share naming one the
    article names; missing when either side names none. Members leave the counts when
    they are split off, and a merged story carries both sides' counts."""
    from storyline.cluster.features import pair_features
    from storyline.cluster.state import StoryState, weekdays_of

    story, stats, rep = _story_of_leads([
        "Trump asked Comey on Tuesday to drop the Flynn probe",
        "The memo says Trump on Tuesday asked Comey to end the probe",
        "Comey wrote a memo about the Flynn probe",  # names no day
        "Trump denied on Thursday that he asked Comey"], seed=5)
    assert story.weekday_members == 3 and story.weekdays == {"tuesday": 2, "thursday": 1}
    col = FEATURES.index("weekday")

    def weekday(text: str, st: StoryState = story) -> float:
        art = rep(99, text)
        assert weekdays_of(art) <= {"tuesday", "thursday", "friday"}
        return pair_features(art, stats.tfidf(art.terms), st, stats,
                             wanted=frozenset({"weekday"}))[col]

    assert weekday("Comey testified on Tuesday") == pytest.approx(2 / 3)
    assert weekday("Comey testified on Thursday") == pytest.approx(1 / 3)
    assert weekday("Comey testified on Friday") == 0.0
    assert np.isnan(weekday("Comey testified about the memo"))
    story.remove(3)  # Thursday's denial is split off
    assert story.weekday_members == 2 and story.weekdays == {"tuesday": 2}
    assert weekday("Comey testified on Thursday") == 0.0
    other = StoryState(id=2, dim=DIM)
    other.add(rep(7, "On Friday the White House disputed the report"), {})
    story.absorb(other)
    assert story.weekday_members == 3
    assert weekday("Comey testified on Friday") == pytest.approx(1 / 3)
    assert np.isnan(weekday("Comey testified on Friday", StoryState(id=3, dim=DIM)))


def test_year_feature_counts_the_members_whose_latest_year_is_the_articles() -> None:
    """``year``: of the story's members whose title and lead name a year, the share whose
    latest year is within one of the article's latest; missing when either side names
    none. Split-offs and merges move the counts as they move the weekdays."""
    from storyline.cluster.features import pair_features
    from storyline.cluster.state import StoryState, year_of

    story, stats, rep = _story_of_leads([
        "A strong earthquake jolted southern Iran on March 3, 2013",
        "The 2013 quake near Bushehr killed 37, the worst since 2005",
        "Rescuers searched the rubble near Bushehr",  # names no year
        "The earthquake of 2012 had struck the same province"], seed=7)
    assert year_of(rep(0, "The 2013 quake near Bushehr killed 37, the worst since 2005")) \
        == 2013  # the latest, not the first
    assert year_of(rep(0, "Police found 1,200 rounds and 3000 dollars")) is None
    assert story.year_members == 3 and story.years == {2013: 2, 2012: 1}
    col = FEATURES.index("year")

    def year(text: str, st: StoryState = story) -> float:
        art = rep(99, text)
        return pair_features(art, stats.tfidf(art.terms), st, stats,
                             wanted=frozenset({"year"}))[col]

    assert year("Aftershocks hit Bushehr in 2013") == pytest.approx(1.0)  # 2012 is near
    assert year("Aftershocks hit Bushehr in 2014") == pytest.approx(2 / 3)
    assert year("A quake hit Bam in December 2005") == 0.0
    assert np.isnan(year("Aftershocks hit Bushehr"))
    story.remove(3)
    assert story.year_members == 2 and story.years == {2013: 2}
    assert year("A quake struck the province in 2011") == 0.0
    other = StoryState(id=2, dim=DIM)
    other.add(rep(7, "Iran's 2005 earthquake in Zarand"), {})
    story.absorb(other)
    assert story.year_members == 3
    assert year("A quake hit Zarand in 2005") == pytest.approx(1 / 3)
    assert np.isnan(year("A quake hit Zarand in 2005", StoryState(id=3, dim=DIM)))
