"""Full-text search over articles (title, text, outlet) and written stories (headline and
summary sentences), kept current by the database itself.

SQLite: two FTS5 tables. ``articles_fts`` is an external-content index of ``articles``
(the text is not stored twice) kept in sync by triggers; ``stories_fts`` holds each
summary's headline and sentence text (pulled out of the summary JSON by the triggers on
``story_summaries``), keyed by story id. PostgreSQL: a stored generated ``search_tsv``
column on each table with a GIN index. Existing rows are indexed here (backfill).

Note for later migrations: a batch ("move and copy") migration of ``articles`` or
``story_summaries`` on SQLite drops these triggers with the old table; recreate them.

Revision ID: 0004_search
Revises: 0003_summaries
Create Date: 2026-11-23
"""

from alembic import op

revision = "0004_search"
down_revision = "0003_summaries"
branch_labels = None
depends_on = None

# The sentence texts of a summary (sections[].sentences[].text), space-separated.
_SQLITE_SUMMARY_TEXT = """
    CASE WHEN json_valid({row}.summary) THEN (
        SELECT group_concat(json_extract(sentence.value, '$.text'), ' ')
        FROM json_each({row}.summary, '$.sections') AS section,
             json_each(section.value, '$.sentences') AS sentence
    ) END"""

SQLITE_UP = [
    """CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, text, outlet,
        content='articles', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, text, outlet)
        VALUES (new.id, new.title, new.text, new.outlet);
    END""",
    """CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text, outlet)
        VALUES ('delete', old.id, old.title, old.text, old.outlet);
    END""",
    """CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, text, outlet ON articles
    BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text, outlet)
        VALUES ('delete', old.id, old.title, old.text, old.outlet);
        INSERT INTO articles_fts(rowid, title, text, outlet)
        VALUES (new.id, new.title, new.text, new.outlet);
    END""",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
    """CREATE VIRTUAL TABLE stories_fts USING fts5(
        headline, body,
        tokenize='porter unicode61 remove_diacritics 2')""",
    f"""CREATE TRIGGER story_summaries_fts_insert AFTER INSERT ON story_summaries BEGIN
        INSERT INTO stories_fts(rowid, headline, body)
        VALUES (new.story_id, new.headline, {_SQLITE_SUMMARY_TEXT.format(row='new')});
    END""",
    """CREATE TRIGGER story_summaries_fts_delete AFTER DELETE ON story_summaries BEGIN
        DELETE FROM stories_fts WHERE rowid = old.story_id;
    END""",
    f"""CREATE TRIGGER story_summaries_fts_update AFTER UPDATE ON story_summaries BEGIN
        DELETE FROM stories_fts WHERE rowid = old.story_id;
        INSERT INTO stories_fts(rowid, headline, body)
        VALUES (new.story_id, new.headline, {_SQLITE_SUMMARY_TEXT.format(row='new')});
    END""",
    f"""INSERT INTO stories_fts(rowid, headline, body)
        SELECT story_id, headline, {_SQLITE_SUMMARY_TEXT.format(row='story_summaries')}
        FROM story_summaries""",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS story_summaries_fts_update",
    "DROP TRIGGER IF EXISTS story_summaries_fts_delete",
    "DROP TRIGGER IF EXISTS story_summaries_fts_insert",
    "DROP TABLE IF EXISTS stories_fts",
    "DROP TRIGGER IF EXISTS articles_fts_update",
    "DROP TRIGGER IF EXISTS articles_fts_delete",
    "DROP TRIGGER IF EXISTS articles_fts_insert",
    "DROP TABLE IF EXISTS articles_fts",
]

# Title weighs most, then text, then outlet. Very long texts are indexed up to 200,000
# characters (a tsvector is capped at 1 MB; positions beyond 16,383 are not kept anyway).
POSTGRES_UP = [
    """ALTER TABLE articles ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, left(coalesce(text, ''), 200000)), 'B')
        || setweight(to_tsvector('english'::regconfig, coalesce(outlet, '')), 'C')
    ) STORED""",
    "CREATE INDEX ix_articles_search ON articles USING gin (search_tsv)",
    """ALTER TABLE story_summaries ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(headline, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, jsonb_path_query_array(
               summary::jsonb, '$.sections[*].sentences[*].text')), 'B')
    ) STORED""",
    "CREATE INDEX ix_story_summaries_search ON story_summaries USING gin (search_tsv)",
]

POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_story_summaries_search",
    "ALTER TABLE story_summaries DROP COLUMN IF EXISTS search_tsv",
    "DROP INDEX IF EXISTS ix_articles_search",
    "ALTER TABLE articles DROP COLUMN IF EXISTS search_tsv",
]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_UP)
    elif dialect == "postgresql":
        _run(POSTGRES_UP)
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"full-text search is not implemented for {dialect}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_DOWN)
    elif dialect == "postgresql":
        _run(POSTGRES_DOWN)
