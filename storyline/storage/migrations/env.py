"""Alembic environment: runs on the connection handed over by storyline.storage.db."""

from alembic import context

from storyline.storage.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - we always pass a connection
    raise RuntimeError("storyline migrations run through `storyline db migrate`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
