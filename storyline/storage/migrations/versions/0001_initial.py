"""Initial schema: sources, articles, near-duplicate bands, tombstones, fetch log.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from storyline.storage.schema import UTCDateTime

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.Text, nullable=False, unique=True),
        sa.Column("title", sa.Text),
        sa.Column("site_name", sa.Text),
        sa.Column("site_url", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("error_count", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("last_checked", UTCDateTime),
        sa.Column("last_success", UTCDateTime),
        sa.Column("next_check", UTCDateTime),
        sa.Column("ttl_seconds", sa.Integer),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("identity", sa.String(80), nullable=False, unique=True),
        sa.Column("url", sa.Text),
        sa.Column("original_url", sa.Text),
        sa.Column("guid", sa.Text),
        sa.Column("external_id", sa.Text),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id", ondelete="SET NULL")),
        sa.Column("outlet", sa.Text),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("byline", sa.Text),
        sa.Column("published", UTCDateTime),
        sa.Column("fetched_at", UTCDateTime, nullable=False),
        sa.Column("language", sa.String(16)),
        sa.Column("image_url", sa.Text),
        sa.Column("image_caption", sa.Text),
        sa.Column("image_credit", sa.Text),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("extraction_method", sa.String(32), nullable=False),
        sa.Column("inferred_fields", sa.Text, nullable=False),
        sa.Column("links", sa.Text, nullable=False),
        sa.Column("minhash", sa.LargeBinary),
        sa.Column("duplicate_of", sa.Integer, sa.ForeignKey("articles.id", ondelete="SET NULL")),
        sa.Column("duplicate_kind", sa.String(16)),
        sa.Column("similarity", sa.Float),
        sa.Column("is_flagged", sa.Boolean, nullable=False),
    )
    op.create_index("ix_articles_content_hash", "articles", ["content_hash"])
    op.create_index("ix_articles_published", "articles", ["published"])
    op.create_index("ix_articles_source", "articles", ["source_id"])
    op.create_index("ix_articles_duplicate_of", "articles", ["duplicate_of"])
    op.create_index("ix_articles_url", "articles", ["url"])
    op.create_table(
        "article_bands",
        sa.Column(
            "article_id",
            sa.Integer,
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("band", sa.Integer, nullable=False),
        sa.Column("bucket", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_article_bands_lookup", "article_bands", ["band", "bucket"])
    op.create_index("ix_article_bands_article", "article_bands", ["article_id"])
    op.create_table(
        "tombstones",
        sa.Column("identity", sa.String(80), primary_key=True),
        sa.Column("deleted_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "fetch_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id", ondelete="CASCADE")),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("status", sa.Integer),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("elapsed_ms", sa.Integer),
        sa.Column("new_articles", sa.Integer, nullable=False),
    )
    op.create_index("ix_fetch_log_source_at", "fetch_log", ["source_id", "at"])


def downgrade() -> None:
    op.drop_table("fetch_log")
    op.drop_table("tombstones")
    op.drop_table("article_bands")
    op.drop_table("articles")
    op.drop_table("sources")
