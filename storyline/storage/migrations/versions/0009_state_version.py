"""A change counter per user: ``users.state_version`` goes up in the same transaction as
any change of what that user's pages show of them (read articles, story visits, mutes,
subscriptions, folders), kept by triggers so that every writer (web, Google Reader API,
CLI, another server process) moves it. The web reader caches a signed-in user's pages
by it (``storyline.web.personal``).

SQLite: a row trigger per table and event. PostgreSQL: one function, run once per
statement over its transition table (a mark-all-read of thousands of articles bumps the
counter once, not once per row).

Revision ID: 0009_state_version
Revises: 0008_subscriptions
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_state_version"
down_revision = "0008_subscriptions"
branch_labels = None
depends_on = None

#: The tables whose rows are a user's state (each has ``user_id``).
TABLES = ("article_reads", "story_visits", "mutes", "subscriptions", "subscription_folders")
EVENTS = ("INSERT", "UPDATE", "DELETE")
FUNCTION = "storyline_bump_state_version"


def _name(table: str, event: str) -> str:
    return f"trg_{table}_{event.lower()}_state"


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("state_version", sa.Integer, nullable=False,
                                   server_default="0"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE users SET state_version = state_version + 1
                WHERE id IN (SELECT DISTINCT user_id FROM changed);
                RETURN NULL;
            END $$""")
        for table in TABLES:
            for event in EVENTS:
                rows = "OLD" if event == "DELETE" else "NEW"
                op.execute(f"CREATE TRIGGER {_name(table, event)} AFTER {event} ON {table} "
                           f"REFERENCING {rows} TABLE AS changed "
                           f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()")
        return
    for table in TABLES:
        for event in EVENTS:
            row = "OLD" if event == "DELETE" else "NEW"
            op.execute(f"CREATE TRIGGER {_name(table, event)} AFTER {event} ON {table} "
                       f"FOR EACH ROW BEGIN UPDATE users SET state_version = "
                       f"state_version + 1 WHERE id = {row}.user_id; END")


def downgrade() -> None:
    for table in TABLES:
        for event in EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS {_name(table, event)}"
                       + (f" ON {table}" if op.get_bind().dialect.name == "postgresql"
                          else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("state_version")
