"""Table definitions (SQLAlchemy Core). Migrations in ``migrations/versions`` create them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always hands back timezone-aware UTC datetimes (SQLite and PostgreSQL)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData()

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False, unique=True),
    Column("title", Text),
    Column("site_name", Text),
    Column("site_url", Text),
    Column("status", String(16), nullable=False, default="active"),  # active|error|disabled
    Column("etag", Text),
    Column("last_modified", Text),
    Column("error_count", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("last_checked", UTCDateTime),
    Column("last_success", UTCDateTime),
    Column("next_check", UTCDateTime),
    Column("ttl_seconds", Integer),
    Column("created_at", UTCDateTime, nullable=False),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("identity", String(80), nullable=False, unique=True),
    Column("url", Text),
    Column("original_url", Text),
    Column("guid", Text),
    Column("external_id", Text),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="SET NULL")),
    Column("outlet", Text),
    Column("title", Text, nullable=False),
    Column("byline", Text),
    Column("published", UTCDateTime),
    Column("fetched_at", UTCDateTime, nullable=False),
    Column("language", String(16)),
    Column("image_url", Text),
    Column("image_caption", Text),
    Column("image_credit", Text),
    Column("text", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("extraction_method", String(32), nullable=False),
    Column("inferred_fields", Text, nullable=False, default="[]"),  # JSON list
    Column("links", Text, nullable=False, default="[]"),  # JSON list
    Column("minhash", LargeBinary),
    Column("duplicate_of", Integer, ForeignKey("articles.id", ondelete="SET NULL")),
    Column("duplicate_kind", String(16)),  # exact | near
    Column("similarity", Float),
    Column("is_flagged", Boolean, nullable=False, default=False),
    Index("ix_articles_content_hash", "content_hash"),
    Index("ix_articles_published", "published"),
    Index("ix_articles_source", "source_id"),
    Index("ix_articles_duplicate_of", "duplicate_of"),
    Index("ix_articles_url", "url"),
)

# LSH band buckets of each article's MinHash, for near-duplicate candidate lookup.
article_bands = Table(
    "article_bands",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("band", Integer, nullable=False),
    Column("bucket", BigInteger, nullable=False),
    Index("ix_article_bands_lookup", "band", "bucket"),
    Index("ix_article_bands_article", "article_id"),
)

# Identities of deleted articles so that a re-fetch does not resurrect them.
tombstones = Table(
    "tombstones",
    metadata,
    Column("identity", String(80), primary_key=True),
    Column("deleted_at", UTCDateTime, nullable=False),
)

fetch_log = Table(
    "fetch_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE")),
    Column("kind", String(16), nullable=False),  # feed | page | import
    Column("url", Text),
    Column("status", Integer),
    Column("ok", Boolean, nullable=False),
    Column("error", Text),
    Column("elapsed_ms", Integer),
    Column("new_articles", Integer, nullable=False, default=0),
    Index("ix_fetch_log_source_at", "source_id", "at"),
)

# --- story engine (migration 0002) -------------------------------------------------

# Per-article representations, computed once per content hash and model version.
article_vectors = Table(
    "article_vectors",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"),
           primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("model", String(120), nullable=False),
    Column("dense", LargeBinary, nullable=False),  # float32 title+lead embedding
    Column("title_dense", LargeBinary, nullable=False),  # float32 title embedding
    Column("signals_version", String(120), nullable=False),
    Column("entities", Text, nullable=False),  # JSON list
    Column("numbers", Text, nullable=False),  # JSON list
    Column("terms", Text, nullable=False),  # JSON {term: count} of title+lead
)

storylines = Table(
    "storylines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("first_time", UTCDateTime),
    Column("last_time", UTCDateTime),
    Column("story_count", Integer, nullable=False),
    Column("title", Text),
    Column("centroid", LargeBinary),
    Column("entities", Text, nullable=False),  # JSON {entity: weight}
)

stories = Table(
    "stories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("first_time", UTCDateTime),
    Column("last_time", UTCDateTime),
    Column("article_count", Integer, nullable=False),
    Column("outlet_count", Integer, nullable=False),
    Column("title", Text),
    Column("status", String(16), nullable=False),  # active | merged
    Column("merged_into", Integer, ForeignKey("stories.id", ondelete="SET NULL")),
    Column("storyline_id", Integer, ForeignKey("storylines.id", ondelete="SET NULL")),
    Column("members_hash", String(64)),  # changes whenever the member set changes
    Index("ix_stories_last_time", "last_time"),
    Index("ix_stories_storyline", "storyline_id"),
    Index("ix_stories_status", "status"),
    Index("ix_stories_updated_at", "updated_at"),  # migration 0005
)

substories = Table(
    "substories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
    Column("label", Text, nullable=False),
    Column("article_count", Integer, nullable=False),
    Index("ix_substories_story", "story_id"),
)

story_members = Table(
    "story_members",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"),
           primary_key=True),
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
    Column("score", Float),
    Column("assigned_at", UTCDateTime, nullable=False),
    Column("substory_id", Integer, ForeignKey("substories.id", ondelete="SET NULL")),
    # The TF-IDF weights the article added to its story when it joined (float32, in the
    # order of its vectors' terms): a restarted clusterer sums these, not weights
    # recomputed from later document frequencies. NULL for rows older than 0011.
    Column("weights", LargeBinary),
    Index("ix_story_members_story", "story_id"),
)

# Document frequencies of title+lead terms, for online TF-IDF.
term_stats = Table(
    "term_stats",
    metadata,
    Column("term", String(64), primary_key=True),
    Column("df", Integer, nullable=False),
)

engine_state = Table(
    "engine_state",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# --- story writer (migration 0003) ------------------------------------------------

story_summaries = Table(
    "story_summaries",
    metadata,
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True),
    Column("members_hash", String(64), nullable=False),  # the members it was written from
    Column("writer", String(32), nullable=False),
    Column("headline", Text, nullable=False),
    Column("support_rate", Float, nullable=False),
    Column("summary", Text, nullable=False),  # StorySummary as JSON
    Column("written_at", UTCDateTime, nullable=False),
    # The story page rendered on write (migration 0005, storyline/write/page.py); NULL,
    # or another page_version than the running code's, means "render on request".
    Column("page_html", Text),
    Column("page_json", Text),
    Column("page_version", String(32)),
    Column("page_own_substories", Boolean),
    # What a visit of the page sees (migration 0010): the articles it lists and its
    # sentences' keys (JSON lists, storyline/write/page.py); NULL: take them from summary.
    Column("visit_articles", Text),
    Column("visit_sentences", Text),
    Index("ix_story_summaries_written_at", "written_at"),
)

# --- accounts, read state, folders and muting (migration 0007_accounts) --------------

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),  # stored lower-case
    Column("password_hash", Text, nullable=False),  # argon2id, PHC string
    Column("created_at", UTCDateTime, nullable=False),
    Column("password_changed_at", UTCDateTime, nullable=False),
    # Goes up with every change of the user's read articles, story visits, mutes,
    # subscriptions or folders (triggers, migration 0009_state_version): the key of
    # the web reader's cache of the user's pages.
    Column("state_version", Integer, nullable=False, server_default="0"),
)

# Signed-in browser sessions: only the SHA-256 of the cookie's value is stored.
user_sessions = Table(
    "user_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_user_sessions_user", "user_id"),
)

# Per-user API tokens (kind "api": Bearer; "greader": what ClientLogin hands out).
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("label", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used", UTCDateTime),
    Index("ix_api_tokens_user", "user_id"),
)

# The articles a user has read; a story is read when all its articles are.
article_reads = Table(
    "article_reads",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"),
           primary_key=True),
    Column("read_at", UTCDateTime, nullable=False),
)

# Starred items: kind "article" or "story".
stars = Table(
    "stars",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(8), primary_key=True),
    Column("item_id", Integer, primary_key=True),
    Column("starred_at", UTCDateTime, nullable=False),
)

# The last time a user opened a story page, and what it showed then ("new since your
# last visit"): a fingerprint of its members and summary, article ids and sentence keys (JSON lists).
story_visits = Table(
    "story_visits",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE"),
           primary_key=True),
    Column("visited_at", UTCDateTime, nullable=False),
    Column("fingerprint", String(64), nullable=False),  # members + summary version
    Column("seen_articles", Text, nullable=False),
    Column("seen_sentences", Text, nullable=False),
    Column("previous_at", UTCDateTime),  # the visit before this one
    Column("new_articles", Text, nullable=False),  # what was new at this visit (JSON)
    Column("new_sentences", Text, nullable=False),
)

# Muted outlets and words (kind "outlet" | "word"); value lower-cased.
mutes = Table(
    "mutes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("value", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ux_mutes", "user_id", "kind", "value", unique=True),
)

# Folders (OPML outlines without xmlUrl): a feed can be in several.
categories = Table(
    "categories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
)

source_categories = Table(
    "source_categories",
    metadata,
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"),
           primary_key=True),
    Column("category_id", Integer, ForeignKey("categories.id", ondelete="CASCADE"),
           primary_key=True),
    Index("ix_source_categories_category", "category_id"),
)

# --- per-user subscriptions (migration 0008_subscriptions) ----------------------------

# Each reader's own feeds (a feed URL stays one ``sources`` row, fetched once for all),
# with the reader's own title for it and their own folders.
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"),
           primary_key=True),
    Column("title", Text),  # the reader's title; None: the feed's own
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_subscriptions_source", "source_id"),
)

subscription_folders = Table(
    "subscription_folders",
    metadata,
    Column("user_id", Integer, primary_key=True),
    Column("source_id", Integer, primary_key=True),
    Column("name", Text, primary_key=True),
    ForeignKeyConstraint(["user_id", "source_id"],
                         ["subscriptions.user_id", "subscriptions.source_id"],
                         ondelete="CASCADE"),
)

# --- distributed pipeline (migration 0006, issue 15) ---------------------------------

# Feed entries a poll found new, waiting for the extract stage (fetch the page, extract,
# store). Unique by the article identity the entry will have, so a re-poll adds nothing.
pending_entries = Table(
    "pending_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("identity", String(80), nullable=False, unique=True),
    Column("entry", Text, nullable=False),  # the FeedEntry as JSON
    Column("feed_title", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
)

# The ready sequence: a number per article, given when its vectors are stored (it is
# ready to cluster), in commit order; the clusterer's checkpoint is a number of it.
article_sequence = Table(
    "article_sequence",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"),
           primary_key=True),
    Column("seq", BigInteger, nullable=False, unique=True),
    Column("ready_at", UTCDateTime, nullable=False),
)

# One row per clustering shard: the fencing epoch (raised by every new holder of the
# shard's lock) and the checkpoint (every article of a lower or equal seq is clustered).
cluster_shards = Table(
    "cluster_shards",
    metadata,
    Column("shard", String(32), primary_key=True),
    Column("epoch", BigInteger, nullable=False, default=0),
    Column("checkpoint", BigInteger, nullable=False, default=0),
    Column("owner", Text),
    Column("acquired_at", UTCDateTime),
    Column("updated_at", UTCDateTime),
)

# When a message was last sent for an item of a stage (the sweep re-sends old ones).
work_marks = Table(
    "work_marks",
    metadata,
    Column("stage", String(16), primary_key=True),
    Column("key", BigInteger, primary_key=True),
    Column("enqueued_at", UTCDateTime, nullable=False),
)

worker_heartbeats = Table(
    "worker_heartbeats",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("host", Text, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("queues", Text, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("seen_at", UTCDateTime, nullable=False),
    Column("tasks", Integer, nullable=False, default=0),
)

# One row per task batch a worker ran: the status command's throughput per stage.
stage_runs = Table(
    "stage_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("stage", String(16), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("items", Integer, nullable=False),
    Column("elapsed_ms", Integer, nullable=False),
    Column("worker", Text),
    Index("ix_stage_runs_stage_at", "stage", "at"),
)
