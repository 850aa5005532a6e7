"""The TF-IDF weights each member added to its story when it joined
(``story_members.weights``, float32 in the order of the article's terms), so that a
clusterer restarted from the database rebuilds each story's term vector exactly as the
live one had it, not from today's document frequencies. NULL (rows assigned before this
migration) means "recompute from the current frequencies", as before.

Revision ID: 0011_member_weights
Revises: 0010_visit_keys
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_member_weights"
down_revision = "0010_visit_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("story_members") as batch:
        batch.add_column(sa.Column("weights", sa.LargeBinary))


def downgrade() -> None:
    with op.batch_alter_table("story_members") as batch:
        batch.drop_column("weights")
