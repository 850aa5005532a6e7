"""Full-text search over articles and stories (SQLite FTS5 / PostgreSQL full text)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import Connection, Engine, func, insert, select, update

from storyline.ingest.store import ingest
from storyline.models import ArticleIn
from storyline.settings import Settings
from storyline.storage import articles as article_store
from storyline.storage.db import _alembic_config, head_revision, make_engine, migrate
from storyline.storage.schema import articles, stories, story_members, story_summaries
from storyline.storage.search import ArticleHit, StoryHit, parse_query, search
from storyline.text.jsonio import json_default
from storyline.write.schema import Section, Sentence, SourceRef, StorySummary
from storyline.write.service import save_summary

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

BRIDGE = (
    "A motorway viaduct collapsed in Genoa on Tuesday during a violent storm, sending "
    "dozens of vehicles into the riverbed below. Rescue teams worked through the night "
    "searching the rubble for survivors, the regional fire service said."
)
VOLCANO = (
    "The Cumbre Vieja volcano on La Palma erupted again overnight, forcing the evacuation "
    "of three more villages. Lava flows reached the coast and a new vent opened on the "
    "northern flank, according to the island's volcanology institute."
)
RATES = (
    "The central bank raised interest rates by a quarter point on Thursday, its third "
    "increase this year, citing stubborn inflation in services. Markets had expected the "
    "move and bond yields barely changed after the announcement."
)


def add_article(conn: Connection, title: str, body: str, outlet: str, n: int,
                hours: int = 0) -> int:
    res = ingest(conn, ArticleIn(title=title, text=body, outlet=outlet,
                                 url=f"https://news{n}.example/a/{n}",
                                 published=T0 + timedelta(hours=hours)))
    assert res.article_id is not None
    return res.article_id


def add_story(conn: Connection, article_ids: list[int], headline: str,
              sentences: list[str], hours: int = 0) -> int:
    when = T0 + timedelta(hours=hours)
    sid = conn.execute(insert(stories).values(
        created_at=when, updated_at=when, first_time=when, last_time=when,
        article_count=len(article_ids), outlet_count=len(article_ids), title=headline,
        status="active", members_hash=f"h{article_ids}")).inserted_primary_key[0]
    conn.execute(insert(story_members), [{"article_id": a, "story_id": sid, "score": 1.0,
                                          "assigned_at": when} for a in article_ids])
    summary = StorySummary(
        headline=headline, updated_at=when, article_count=len(article_ids), outlets=[],
        sections=[Section(title="What happened",
                          sentences=[Sentence(text=s, citations=[1]) for s in sentences])],
        sources=[SourceRef(1, article_ids[0], None, headline, None, when)], timeline=[])
    # Written as the summary row of any schema revision holds it (the migration test
    # writes at 0003, before stored pages exist).
    conn.execute(insert(story_summaries).values(
        story_id=sid, members_hash=f"h{article_ids}", writer="extractive", headline=headline,
        support_rate=1.0, written_at=when,
        summary=json.dumps(summary.to_dict(), default=json_default, ensure_ascii=False)))
    return int(sid)


def corpus(engine: Engine) -> dict[str, int]:
    ids: dict[str, int] = {}
    with engine.begin() as conn:
        ids["bridge"] = add_article(conn, "Viaduct collapses in Genoa storm", BRIDGE,
                                    "Riviera Post", 1)
        ids["volcano"] = add_article(conn, "La Palma volcano erupts again", VOLCANO,
                                     "Canary Times", 2, hours=1)
        ids["rates"] = add_article(conn, "Central bank tightens policy", RATES,
                                   "Finance Daily", 3, hours=2)
        ids["s_bridge"] = add_story(conn, [ids["bridge"]], "Genoa viaduct collapses in storm",
                                    [BRIDGE.split(". ")[0] + ".",
                                     "Rescue teams searched the rubble for survivors."])
        ids["s_volcano"] = add_story(conn, [ids["volcano"]], "La Palma eruption forces "
                                     "evacuations", [VOLCANO.split(". ")[0] + "."], hours=1)
        ids["s_rates"] = add_story(conn, [ids["rates"]], "Central bank lifts borrowing costs",
                                   [RATES.split(". ")[0] + "."], hours=2)
    return ids


def run(engine: Engine, q: str, limit: int = 20) -> tuple[list[StoryHit], list[ArticleHit]]:
    with engine.connect() as conn:
        res = search(conn, q, limit=limit)
    assert res.query == q
    return res.stories, res.articles


def test_words_and_phrases_find_stories_and_articles(engine) -> None:  # type: ignore[no-untyped-def]
    ids = corpus(engine)
    found_stories, found_articles = run(engine, "rubble")
    assert [s.story_id for s in found_stories] == [ids["s_bridge"]]
    assert [a.article_id for a in found_articles] == [ids["bridge"]]
    story, art = found_stories[0], found_articles[0]
    assert story.headline == "Genoa viaduct collapses in storm"
    assert story.article_count == 1 and story.last_time == T0
    assert "rubble" in story.snippet and "rubble" in art.snippet
    assert art.title == "Viaduct collapses in Genoa storm" and art.outlet == "Riviera Post"
    assert art.url == "https://news1.example/a/1" and art.published == T0
    assert art.story_id == ids["s_bridge"]
    # Snippets are plain text; the marks point at the matched words.
    for hit in (story, art):
        assert not any(c in hit.snippet for c in "\x02\x03<>")
        assert hit.marks and all(hit.snippet[a:b].lower().startswith("rubble")
                                 for a, b in hit.marks)

    # Stemming: "erupted" finds "erupts"/"erupted"; case does not matter.
    assert [a.article_id for a in run(engine, "ERUPTING")[1]] == [ids["volcano"]]
    # A phrase must appear as written; the same words in another order do not match.
    s_hits, a_hits = run(engine, '"interest rates"')
    assert [s.story_id for s in s_hits] == [ids["s_rates"]]
    assert [a.article_id for a in a_hits] == [ids["rates"]]
    assert run(engine, '"rates interest"') == ([], [])
    # Every word is required; the outlet is searchable too.
    assert [a.article_id for a in run(engine, "storm Genoa")[1]] == [ids["bridge"]]
    assert run(engine, "storm volcano") == ([], [])
    assert [a.article_id for a in run(engine, "canary")[1]] == [ids["volcano"]]
    # or, exclusion, prefix.
    assert {a.article_id for a in run(engine, "viaduct or lava")[1]} == {ids["bridge"],
                                                                        ids["volcano"]}
    assert [a.article_id for a in run(engine, "-genoa lava")[1]] == [ids["volcano"]]
    assert run(engine, "rubble -genoa") == ([], [])
    assert [a.article_id for a in run(engine, "volcanol*")[1]] == [ids["volcano"]]
    assert [a.article_id for a in run(engine, "NOT lava storm")[1]] == [ids["bridge"]]


def test_better_match_ranks_first(engine) -> None:  # type: ignore[no-untyped-def]
    filler = ("Officials met on Monday to discuss budgets, staffing and the schedule for "
              "the coming months, and agreed to meet again in the spring. ") * 3
    with engine.begin() as conn:
        weak = add_article(conn, "Council budget meeting", filler + "A glacier was mentioned "
                           "in passing.", "Town Crier", 1)
        strong = add_article(conn, "Glacier retreat speeds up", "The glacier lost a record "
                             "amount of ice this summer; glacier scientists say the glacier "
                             "could vanish by 2050.", "Alpine News", 2)
        s_weak = add_story(conn, [weak], "Council agrees budget",
                           [filler.strip(), "A glacier was mentioned in passing."])
        s_strong = add_story(conn, [strong], "Glacier retreat speeds up",
                             ["The glacier lost a record amount of ice this summer."])
    found_stories, found_articles = run(engine, "glacier")
    assert [a.article_id for a in found_articles] == [strong, weak]
    assert [s.story_id for s in found_stories] == [s_strong, s_weak]
    assert found_articles[0].rank > found_articles[1].rank
    assert found_stories[0].rank > found_stories[1].rank
    # limit applies to each list.
    found_stories, found_articles = run(engine, "glacier", limit=1)
    assert [a.article_id for a in found_articles] == [strong]
    assert [s.story_id for s in found_stories] == [s_strong]


ODD = ['', ' ', '"', '""', '"""', '" "', 'AND', 'OR', 'NOT', 'or or', '*', '**', '-', '--',
       '- -', 'viaduct AND', 'AND viaduct', 'viaduct OR', 'OR viaduct', '-viaduct',
       'NOT NOT', 'NEAR(viaduct lava)', 'viaduct:*', "viaduct' & !lava | (", "'", "\\",
       '(', ')', '()', '{}', '^viaduct', 'title:viaduct', 'a:b', '🙂', '🔥🌋', 'lava 🌋',
       'genova café naïve', 'Genoa\x00', '\x00', '\ud800lava', '\u200b', '東京', 'Γένοβα', '_', '__init__', '%',
       "'; DROP TABLE articles; --", '-"viaduct collapsed"', '"unterminated phrase',
       'x' * 5000, ' '.join(['viaduct'] * 300), 'the of and', '"the of"', 'viaduct*rubble',
       '-*', '*-', '"-"', '"*"', 'NOT', 'lava NOT', 'a-b-c-d', 'U.S.', '1.5%', '#hashtag',
       '@user', '&&', '||', '!!', '<->', ':*', "''", 'viaduct\nlava', 'viaduct\tOR\tlava']


def test_odd_input_never_raises(engine) -> None:  # type: ignore[no-untyped-def]
    ids = corpus(engine)
    for q in ODD:
        found_stories, found_articles = run(engine, q)
        assert all(isinstance(h, StoryHit) for h in found_stories), q
        assert all(isinstance(h, ArticleHit) for h in found_articles), q
    # Nothing searchable: no hits, not everything.
    for q in ['', '"', 'AND', '*', '-', '🙂', '-viaduct', 'NOT lava', 'the of and']:
        assert run(engine, q) == ([], []), q
    # Operators typed as text are only text; the words around them still count.
    assert [a.article_id for a in run(engine, "viaduct AND")[1]] == [ids["bridge"]]
    assert [a.article_id for a in run(engine, "lava 🌋")[1]] == [ids["volcano"]]
    assert [a.article_id for a in run(engine, "viaduct' & !lava | (")[1]] == []
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(articles)).scalar() == 3
    # Random junk from an alphabet of every operator both engines know.
    rng = random.Random(5)
    alphabet = list('"\'*-:()&|!<>^{}+~.,;% \\\t\n') + ["AND", "OR", "NOT", "NEAR", "or",
                                                       "lava", "viaduct", "🙂", "é", "東"]
    for _ in range(150):
        q = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        run(engine, q)


def test_parse_query_shapes() -> None:
    groups = parse_query('Genoa "motorway viaduct" -storm or lava* NOT rubble')
    assert [[(a.words, a.prefix, a.negated) for a in g] for g in groups] == [
        [(("genoa",), False, False), (("motorway", "viaduct"), False, False),
         (("storm",), False, True)],
        [(("lava",), True, False), (("rubble",), False, True)],
    ]
    assert parse_query("-only -negative") == []
    assert parse_query("🙂 * \" -") == []


def test_deleted_and_changed_rows_leave_the_index(engine) -> None:  # type: ignore[no-untyped-def]
    ids = corpus(engine)
    with engine.begin() as conn:
        assert article_store.delete_article(conn, ids["bridge"], datetime.now(UTC))
    assert run(engine, "viaduct")[1] == []
    # Its story is still found by its summary until the summary changes.
    assert [s.story_id for s in run(engine, "viaduct")[0]] == [ids["s_bridge"]]

    # A changed title is found by its new words only.
    with engine.begin() as conn:
        conn.execute(update(articles).where(articles.c.id == ids["rates"])
                     .values(title="Central bank surprises with a jumbo hike"))
    assert [a.article_id for a in run(engine, "jumbo")[1]] == [ids["rates"]]
    assert run(engine, "tightens")[1] == []

    # A rewritten summary replaces the old one in the story index.
    with engine.begin() as conn:
        summary = StorySummary(
            headline="Volcano quietens", updated_at=T0, article_count=1, outlets=[],
            sections=[Section(title="Now", sentences=[Sentence("Tremors eased.", [1])])],
            sources=[], timeline=[])
        save_summary(conn, ids["s_volcano"], "h2", summary)
    assert [s.story_id for s in run(engine, "tremors")[0]] == [ids["s_volcano"]]
    assert [s.headline for s in run(engine, "quietens")[0]] == ["Volcano quietens"]
    assert run(engine, "evacuations")[0] == []

    # Merged stories are not search results; deleted stories leave the index.
    with engine.begin() as conn:
        conn.execute(update(stories).where(stories.c.id == ids["s_rates"])
                     .values(status="merged", merged_into=ids["s_volcano"]))
    assert run(engine, "borrowing")[0] == []
    with engine.begin() as conn:
        conn.execute(stories.delete().where(stories.c.id == ids["s_bridge"]))
    assert run(engine, "viaduct") == ([], [])


def test_migration_backfills_existing_rows_and_downgrades(db_url: str) -> None:
    eng = make_engine(db_url)
    try:
        migrate(eng, "0003_summaries")
        ids = corpus(eng)  # written before the search index exists
        assert migrate(eng) == ("0003_summaries", head_revision())
        found_stories, found_articles = run(eng, "rubble")
        assert [s.story_id for s in found_stories] == [ids["s_bridge"]]
        assert [a.article_id for a in found_articles] == [ids["bridge"]]
        assert "rubble" in found_stories[0].snippet

        cfg = _alembic_config(eng)
        with eng.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0003_summaries")
        with eng.begin() as conn:  # writes still work without the index
            add_article(conn, "Lava reaches the sea", VOLCANO + " Lava hissed.", "Wire", 9)
        migrate(eng)
        assert len(run(eng, "lava")[1]) == 2
    finally:
        eng.dispose()


def test_search_command(cli, engine, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    ids = corpus(engine)
    out = cli("search", "viaduct").output
    assert "Genoa viaduct collapses in storm" in out and "Viaduct collapses in Genoa storm" in out
    rows = [json.loads(x) for x in cli("search", "viaduct", "--json").output.splitlines()]
    kinds = {(r["kind"], r["id"]) for r in rows}
    assert kinds == {("story", ids["s_bridge"]), ("article", ids["bridge"])}
    article = next(r for r in rows if r["kind"] == "article")
    assert article["story_id"] == ids["s_bridge"] and "viaduct" in article["snippet"].lower()
    assert article["published"] == T0.isoformat()
    assert "No matches" in cli("search", '"').output
    assert len(cli("search", "viaduct or lava", "--limit", "1", "--json").output
               .splitlines()) == 2  # one story, one article
