"""Per-user subscriptions: each reader's own list of feeds, with a title of their own and
folders of their own, while a feed URL stays one ``sources`` row, fetched once for all.

On upgrade every existing user is subscribed to every existing feed, in the folders the
feed is in (``source_categories``), so that no one loses a feed or a folder they saw.

Revision ID: 0008_subscriptions
Revises: 0007_accounts
Create Date: 2026-12-02
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from storyline.storage.schema import UTCDateTime

revision = "0008_subscriptions"
down_revision = "0007_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("title", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_subscriptions_source", "subscriptions", ["source_id"])
    op.create_table(
        "subscription_folders",
        sa.Column("user_id", sa.Integer, primary_key=True),
        sa.Column("source_id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, primary_key=True),
        sa.ForeignKeyConstraint(["user_id", "source_id"],
                                ["subscriptions.user_id", "subscriptions.source_id"],
                                ondelete="CASCADE"),
    )
    bind = op.get_bind()
    bind.execute(sa.text(
        "INSERT INTO subscriptions (user_id, source_id, title, created_at) "
        "SELECT users.id, sources.id, NULL, :now FROM users CROSS JOIN sources")
        .bindparams(sa.bindparam("now", type_=UTCDateTime)), {"now": datetime.now(UTC)})
    bind.execute(sa.text(
        "INSERT INTO subscription_folders (user_id, source_id, name) "
        "SELECT users.id, source_categories.source_id, categories.name "
        "FROM users CROSS JOIN source_categories "
        "JOIN categories ON categories.id = source_categories.category_id"))


def downgrade() -> None:
    op.drop_table("subscription_folders")
    op.drop_index("ix_subscriptions_source", table_name="subscriptions")
    op.drop_table("subscriptions")
