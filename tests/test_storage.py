from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, text

from storyline.ingest.store import ingest
from storyline.models import ArticleIn
from storyline.settings import Settings
from storyline.storage import articles as article_store
from storyline.storage import head_revision, open_database
from storyline.storage.db import DatabaseError, current_revision

WIRE = (
    "GENEVA (AP) - Negotiators from Ukraine and Russia resumed a second round of peace talks "
    "in Geneva on Wednesday, as the United States expressed cautious optimism about efforts "
    "to end Europe's deadliest conflict since World War II. The talks lasted six hours and "
    "were described as tense by a source close to the Russian delegation, who spoke on "
    "condition of anonymity. Ukraine's delegation was led by Rustem Umerov and Russia's by "
    "Vladimir Medinsky, a former culture minister. European partners were consulted."
)


def test_new_database_is_migrated_to_head(engine) -> None:  # type: ignore[no-untyped-def]
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"sources", "articles", "article_bands", "tombstones", "fetch_log"} <= tables


def test_old_schema_is_refused_with_the_fix(engine, settings: Settings, db_url: str) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000_older'"))
    with pytest.raises(DatabaseError, match="run `storyline db migrate`"):
        open_database(settings, db_url)


def test_datetimes_come_back_aware_utc(engine) -> None:  # type: ignore[no-untyped-def]
    cet = timezone(timedelta(hours=2))
    with engine.begin() as conn:
        res = ingest(conn, ArticleIn(title="t", text=WIRE, url="https://a.example/1",
                                     published=datetime(2026, 2, 18, 11, 30, tzinfo=cet)))
        row = article_store.get(conn, res.article_id)  # type: ignore[arg-type]
    assert row is not None
    assert row["published"] == datetime(2026, 2, 18, 9, 30, tzinfo=UTC)
    assert row["published"].tzinfo is not None and row["fetched_at"].tzinfo is not None


def test_dedup_exact_near_and_idempotent(engine) -> None:  # type: ignore[no-untyped-def]
    when = datetime(2026, 2, 18, tzinfo=UTC)
    edited = WIRE.replace("GENEVA (AP) - ", "").replace("tense", "very tense") + \
        " Expectations remain low."
    with engine.begin() as conn:
        first = ingest(conn, ArticleIn(title="Talks resume", text=WIRE, outlet="AP",
                                       url="https://ap.example/talks", published=when))
        again = ingest(conn, ArticleIn(title="Talks resume", text=WIRE, outlet="AP",
                                       url="https://ap.example/talks", published=when))
        exact = ingest(conn, ArticleIn(title="Talks resume in Geneva", text=WIRE,
                                       outlet="Daily", url="https://daily.example/x",
                                       published=when))
        near = ingest(conn, ArticleIn(title="Ukraine talks", text=edited, outlet="Herald",
                                      url="https://herald.example/y", published=when))
        other = ingest(conn, ArticleIn(title="Other", text=" ".join(reversed(WIRE.split())),
                                       url="https://other.example/z", published=when))
        far = ingest(conn, ArticleIn(title="Later copy", text=edited + " More.",
                                     url="https://late.example/z",
                                     published=when + timedelta(days=60)))
    assert first.status == "new"
    assert again.status == "exists" and again.article_id == first.article_id
    assert exact.status == "duplicate" and exact.duplicate_of == first.article_id
    assert near.status == "near-duplicate" and near.duplicate_of == first.article_id
    assert near.similarity is not None and 0.6 <= near.similarity < 1.0
    assert other.status == "new"  # same words, different text
    assert far.status == "new"  # outside the near-duplicate time window
    with engine.connect() as conn:
        assert article_store.count(conn) == 5
        assert article_store.count(conn, duplicates=True) == 2


def test_delete_leaves_tombstone_and_repoints_copies(engine) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2026, 2, 18, tzinfo=UTC)
    art = ArticleIn(title="Talks", text=WIRE, url="https://ap.example/talks", published=now)
    with engine.begin() as conn:
        a = ingest(conn, art)
        b = ingest(conn, ArticleIn(title="Copy", text=WIRE, url="https://b.example/1",
                                   published=now))
        c = ingest(conn, ArticleIn(title="Copy 2", text=WIRE, url="https://c.example/1",
                                   published=now))
        assert article_store.delete_article(conn, a.article_id, now)  # type: ignore[arg-type]
    with engine.begin() as conn:
        again = ingest(conn, ArticleIn(title="Talks", text=WIRE,
                                       url="https://ap.example/talks", published=now))
        assert again.status == "tombstoned"
        rows = {r["id"]: r for r in article_store.list_articles(conn)}
    assert set(rows) == {b.article_id, c.article_id}
    assert rows[b.article_id]["duplicate_of"] is None
    assert rows[c.article_id]["duplicate_of"] == b.article_id


def test_upgrade_from_first_release_keeps_data(tmp_path, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    from storyline.storage import make_engine, migrate

    url = f"sqlite:///{tmp_path / 'old.db'}"
    eng = make_engine(url)
    migrate(eng, "0001_initial")
    with eng.begin() as conn:
        ingest(conn, ArticleIn(title="Old", text=WIRE, url="https://a.example/old"))
    with pytest.raises(DatabaseError, match="schema is at revision 0001_initial"):
        open_database(settings, url)
    assert migrate(eng) == ("0001_initial", head_revision())
    with eng.connect() as conn:
        assert [a["title"] for a in article_store.list_articles(conn)] == ["Old"]
        assert "stories" in inspect(eng).get_table_names()
    eng.dispose()
