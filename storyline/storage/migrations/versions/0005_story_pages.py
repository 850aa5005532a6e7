"""Story pages rendered when the summary is written ("render on write"), so a story page
that is not in the web reader's cache costs one indexed query and a string join rather
than a JSON decode and a full template render (see docs/web-performance.md).

``story_summaries`` gains four nullable columns: ``page_html`` (the summary part of the
story page, with slots for what can change without the summary being rewritten),
``page_json`` (the API twin's summary keys), ``page_version`` (the rendering code they
were made with; another version is ignored, and re-rendered by ``storyline serve``'s
background pass) and ``page_own_substories`` (false when the summary had no sub-stories
of its own, so the reader checks the database for new ones). NULL means "render on
request", as before this revision: existing rows need no backfill to stay correct.

Plain ``ALTER TABLE ... ADD COLUMN`` (no batch copy), so SQLite keeps the full-text
triggers of 0004_search. Also indexes for the change check that PostgreSQL runs once a
second (``max(story_summaries.written_at)``, ``max(stories.updated_at)``).

Revision ID: 0005_story_pages
Revises: 0004_search
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_story_pages"
down_revision = "0004_search"
branch_labels = None
depends_on = None

COLUMNS = ("page_html", "page_json", "page_version", "page_own_substories")


def upgrade() -> None:
    op.add_column("story_summaries", sa.Column("page_html", sa.Text, nullable=True))
    op.add_column("story_summaries", sa.Column("page_json", sa.Text, nullable=True))
    op.add_column("story_summaries", sa.Column("page_version", sa.String(32), nullable=True))
    op.add_column("story_summaries", sa.Column("page_own_substories", sa.Boolean,
                                               nullable=True))
    op.create_index("ix_story_summaries_written_at", "story_summaries", ["written_at"])
    op.create_index("ix_stories_updated_at", "stories", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_stories_updated_at", table_name="stories")
    op.drop_index("ix_story_summaries_written_at", table_name="story_summaries")
    # ALTER TABLE ... DROP COLUMN (SQLite >= 3.35), again without a batch copy.
    for name in reversed(COLUMNS):
        op.drop_column("story_summaries", name)
