"""Story writer output: one summary per story, rebuilt when the story's members change.

Revision ID: 0003_summaries
Revises: 0002_stories
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from storyline.storage.schema import UTCDateTime

revision = "0003_summaries"
down_revision = "0002_stories"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "story_summaries",
        sa.Column("story_id", sa.Integer, sa.ForeignKey("stories.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("members_hash", sa.String(64), nullable=False),
        sa.Column("writer", sa.String(32), nullable=False),
        sa.Column("headline", sa.Text, nullable=False),
        sa.Column("support_rate", sa.Float, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("written_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("story_summaries")
