"""Run Alembic migrations programmatically (no alembic.ini to find)."""

from __future__ import annotations

import fcntl
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation would choke on '%' in passwords.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Migrate to head; safe when several processes start at once (PostgreSQL: advisory lock
    in env.py; SQLite: a lock file beside the database)."""
    database = sa.make_url(url).database if url.startswith("sqlite") else None
    if not database or database == ":memory:":
        command.upgrade(alembic_config(url), "head")
        return
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    with open(f"{database}.migrate-lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        command.upgrade(alembic_config(url), "head")


@cache
def head_revision() -> str | None:
    """The newest migration this code knows (read from the scripts once per process)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def is_current(engine: sa.Engine) -> bool:
    """True when the database is at the newest migration (used by /readyz)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() == head_revision()
