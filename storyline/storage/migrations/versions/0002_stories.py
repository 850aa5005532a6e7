"""Story engine: article vectors and signals, stories, memberships, storylines,
sub-stories, and the online term statistics.

Revision ID: 0002_stories
Revises: 0001_initial
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from storyline.storage.schema import UTCDateTime

revision = "0002_stories"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article_vectors",
        sa.Column("article_id", sa.Integer,
                  sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("model", sa.String(120), nullable=False),
        sa.Column("dense", sa.LargeBinary, nullable=False),
        sa.Column("title_dense", sa.LargeBinary, nullable=False),
        sa.Column("signals_version", sa.String(120), nullable=False),
        sa.Column("entities", sa.Text, nullable=False),
        sa.Column("numbers", sa.Text, nullable=False),
        sa.Column("terms", sa.Text, nullable=False),
    )
    op.create_table(
        "storylines",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("first_time", UTCDateTime),
        sa.Column("last_time", UTCDateTime),
        sa.Column("story_count", sa.Integer, nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("centroid", sa.LargeBinary),
        sa.Column("entities", sa.Text, nullable=False),
    )
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("first_time", UTCDateTime),
        sa.Column("last_time", UTCDateTime),
        sa.Column("article_count", sa.Integer, nullable=False),
        sa.Column("outlet_count", sa.Integer, nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("merged_into", sa.Integer, sa.ForeignKey("stories.id", ondelete="SET NULL")),
        sa.Column("storyline_id", sa.Integer,
                  sa.ForeignKey("storylines.id", ondelete="SET NULL")),
        sa.Column("members_hash", sa.String(64)),
    )
    op.create_index("ix_stories_last_time", "stories", ["last_time"])
    op.create_index("ix_stories_storyline", "stories", ["storyline_id"])
    op.create_index("ix_stories_status", "stories", ["status"])
    op.create_table(
        "substories",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("story_id", sa.Integer, sa.ForeignKey("stories.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("article_count", sa.Integer, nullable=False),
    )
    op.create_index("ix_substories_story", "substories", ["story_id"])
    op.create_table(
        "story_members",
        sa.Column("article_id", sa.Integer,
                  sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("story_id", sa.Integer, sa.ForeignKey("stories.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("assigned_at", UTCDateTime, nullable=False),
        sa.Column("substory_id", sa.Integer,
                  sa.ForeignKey("substories.id", ondelete="SET NULL")),
    )
    op.create_index("ix_story_members_story", "story_members", ["story_id"])
    op.create_table(
        "term_stats",
        sa.Column("term", sa.String(64), primary_key=True),
        sa.Column("df", sa.Integer, nullable=False),
    )
    op.create_table(
        "engine_state",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("engine_state", "term_stats", "story_members", "substories", "stories",
                  "storylines", "article_vectors"):
        op.drop_table(table)
