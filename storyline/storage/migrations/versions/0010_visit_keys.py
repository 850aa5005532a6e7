"""What a visit of a story page sees, kept with the summary: the articles its page lists
(``visit_articles``) and the keys of its sentences (``visit_sentences``), both JSON lists,
computed when the summary is saved (``storyline.write.page.render_for_storage``), so that
a reader's first visit of a story records them without decoding the summary. NULL (rows
saved before this migration, until ``render_missing`` stores their pages again) means
"take them from the summary".

Revision ID: 0010_visit_keys
Revises: 0009_state_version
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_visit_keys"
down_revision = "0009_state_version"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("story_summaries") as batch:
        batch.add_column(sa.Column("visit_articles", sa.Text))
        batch.add_column(sa.Column("visit_sentences", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("story_summaries") as batch:
        batch.drop_column("visit_sentences")
        batch.drop_column("visit_articles")
