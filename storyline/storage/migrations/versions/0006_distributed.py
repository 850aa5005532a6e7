"""The distributed pipeline (issue 15): feed entries waiting for extraction, the ready
sequence of articles, the clusterer's fencing epoch and checkpoint, the sweep's marks,
worker heartbeats and per-stage throughput.

Every article already stored gets a ready number (in publication order), so the
clusterer's first run finds the unclustered ones among them and skips the rest.

Revision ID: 0006_distributed
Revises: 0005_story_pages
Create Date: 2026-12-01
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from storyline.storage.schema import UTCDateTime

revision = "0006_distributed"
down_revision = "0005_story_pages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("identity", sa.String(80), nullable=False, unique=True),
        sa.Column("entry", sa.Text, nullable=False),
        sa.Column("feed_title", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
    )
    op.create_table(
        "article_sequence",
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False, unique=True),
        sa.Column("ready_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "cluster_shards",
        sa.Column("shard", sa.String(32), primary_key=True),
        sa.Column("epoch", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("checkpoint", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("owner", sa.Text),
        sa.Column("acquired_at", UTCDateTime),
        sa.Column("updated_at", UTCDateTime),
    )
    op.create_table(
        "work_marks",
        sa.Column("stage", sa.String(16), primary_key=True),
        sa.Column("key", sa.BigInteger, primary_key=True),
        sa.Column("enqueued_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "worker_heartbeats",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("host", sa.Text, nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("queues", sa.Text, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("seen_at", UTCDateTime, nullable=False),
        sa.Column("tasks", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "stage_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("items", sa.Integer, nullable=False),
        sa.Column("elapsed_ms", sa.Integer, nullable=False),
        sa.Column("worker", sa.Text),
    )
    op.create_index("ix_stage_runs_stage_at", "stage_runs", ["stage", "at"])
    # Backfill: the articles already stored are ready, in publication order.
    conn = op.get_bind()
    articles = sa.table("articles", sa.column("id", sa.Integer),
                        sa.column("published", UTCDateTime),
                        sa.column("fetched_at", UTCDateTime))
    sequence = sa.table("article_sequence", sa.column("article_id", sa.Integer),
                        sa.column("seq", sa.BigInteger), sa.column("ready_at", UTCDateTime))
    ids = [r.id for r in conn.execute(
        sa.select(articles.c.id).order_by(
            sa.func.coalesce(articles.c.published, articles.c.fetched_at), articles.c.id))]
    now = datetime.now(UTC)
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        conn.execute(sa.insert(sequence), [
            {"article_id": aid, "seq": start + i + 1, "ready_at": now}
            for i, aid in enumerate(chunk)])


def downgrade() -> None:
    op.drop_index("ix_stage_runs_stage_at", table_name="stage_runs")
    for name in ("stage_runs", "worker_heartbeats", "work_marks", "cluster_shards",
                 "article_sequence", "pending_entries"):
        op.drop_table(name)
