"""Accounts and what is personal to each reader: users (argon2 password hashes), browser
sessions and API tokens (SHA-256 of the secret only), read articles, stars, story visits
("new since your last visit"), mutes; and folders (categories) of feeds, kept from OPML.

Revision ID: 0007_accounts
Revises: 0006_distributed
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from storyline.storage.schema import UTCDateTime

revision = "0007_accounts"
down_revision = "0006_distributed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("password_changed_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "user_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_user_sessions_user", "user_sessions", ["user_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("last_used", UTCDateTime),
    )
    op.create_index("ix_api_tokens_user", "api_tokens", ["user_id"])
    op.create_table(
        "article_reads",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("article_id", sa.Integer,
                  sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("read_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "stars",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("item_id", sa.Integer, primary_key=True),
        sa.Column("starred_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "story_visits",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("story_id", sa.Integer, sa.ForeignKey("stories.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("visited_at", UTCDateTime, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("seen_articles", sa.Text, nullable=False),
        sa.Column("seen_sentences", sa.Text, nullable=False),
        sa.Column("previous_at", UTCDateTime),
        sa.Column("new_articles", sa.Text, nullable=False),
        sa.Column("new_sentences", sa.Text, nullable=False),
    )
    op.create_table(
        "mutes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ux_mutes", "mutes", ["user_id", "kind", "value"], unique=True)
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
    )
    op.create_table(
        "source_categories",
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("category_id", sa.Integer,
                  sa.ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_index("ix_source_categories_category", "source_categories", ["category_id"])


def downgrade() -> None:
    op.drop_index("ix_source_categories_category", table_name="source_categories")
    op.drop_table("source_categories")
    op.drop_table("categories")
    op.drop_index("ux_mutes", table_name="mutes")
    for name in ("mutes", "story_visits", "stars", "article_reads"):
        op.drop_table(name)
    op.drop_index("ix_api_tokens_user", table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_index("ix_user_sessions_user", table_name="user_sessions")
    op.drop_table("user_sessions")
    op.drop_table("users")
