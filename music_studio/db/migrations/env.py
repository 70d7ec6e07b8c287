"""Alembic environment: the URL comes from the caller (music_studio.db.migrate)."""

from __future__ import annotations

from alembic import context

from music_studio.db.connection import create_engine
from music_studio.db.tables import metadata

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "music_studio.db.migrate sets sqlalchemy.url"

engine = create_engine(url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Several processes may start at once: one migrates, the others wait, then see head.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7423001)")
        context.run_migrations()
engine.dispose()
