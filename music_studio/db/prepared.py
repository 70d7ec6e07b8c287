"""A hot single-row SELECT run on the pooled DBAPI connection, skipping SQLAlchemy's per-execution work.

The polling route (GET job) runs one fixed SELECT per request. Through `Connection.execute` it
pays, on every call, for the compiled-cache lookup, execution-context set-up, `Row` building and,
on SQLite, the `begin` event that emits a `BEGIN` (see db/connection.py) and the `ROLLBACK` that
ends it. A read of one row needs none of that: in autocommit mode (how our SQLite connections run,
`isolation_level = None`) a single SELECT is its own consistent snapshot, and on PostgreSQL the
driver's implicit transaction is ended by the pool's reset-on-return as usual.

What stays SQLAlchemy's, so results are the same as through `Connection.execute`:
- the SQL text and parameter order, compiled once per dialect from the same `Select`;
- the pool (checkout, `pool_pre_ping` on PostgreSQL, reset on return);
- each column's result processor for the dialect (`UTCDateTime`, `JSON`, `Boolean` on SQLite).
tests/unit/test_prepared.py checks the mapping equals `Row._mapping` on SQLite and PostgreSQL.

Bind values are passed to the driver as given: use it for statements whose parameters are plain
strings (no bind processing needed).
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

Processor = Callable[[Any], Any] | None


class _Plan:
    def __init__(self, statement: sa.Select[Any], dialect: sa.Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.positional: Sequence[str] | None = compiled.positiontup if dialect.positional else None
        self.columns = list(statement.selected_columns)
        self.keys = tuple(str(column.key) for column in self.columns)
        self.dialect = dialect
        self.processors: tuple[Processor, ...] | None = None

    def processors_for(self, description: Sequence[Sequence[Any]]) -> tuple[Processor, ...]:
        """Each column's result processor, given the driver's type codes (as SQLAlchemy asks for them)."""
        if self.processors is None:
            self.processors = tuple(
                column.type.dialect_impl(self.dialect).result_processor(self.dialect, described[1])
                for column, described in zip(self.columns, description, strict=True)
            )
        return self.processors


class PreparedRead:
    """A fixed SELECT's rows as dicts keyed like `Row._mapping`: `first()` (or None) and `all()`."""

    def __init__(self, statement: sa.Select[Any]) -> None:
        self._statement = statement
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect: sa.Dialect) -> _Plan:
        key = f"{dialect.name}+{dialect.driver}"
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = _Plan(self._statement, dialect)
        return plan

    def first(self, engine: sa.Engine, params: dict[str, Any]) -> dict[str, Any] | None:
        rows = self._run(engine, params, many=False)
        return rows[0] if rows else None

    def all(self, engine: sa.Engine, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every row, as first() gives one."""
        return self._run(engine, params, many=True)

    def _run(self, engine: sa.Engine, params: dict[str, Any], *, many: bool) -> list[dict[str, Any]]:
        plan = self._plan(engine.dialect)
        args: Any = params if plan.positional is None else tuple(params[name] for name in plan.positional)
        held = _held_sqlite_connection(engine)
        connection = held or engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(plan.sql, args)
                if many:
                    raw = cursor.fetchall()
                else:
                    one = cursor.fetchone()
                    raw = [] if one is None else [one]
                processors = plan.processors_for(cursor.description)
            finally:
                cursor.close()
        finally:
            if held is None:
                connection.close()  # back to the pool, which resets (rolls back) it
        keys = plan.keys
        return [
            {
                key: value if process is None or value is None else process(value)
                for key, process, value in zip(keys, processors, row, strict=True)
            }
            for row in raw
        ]


_held: weakref.WeakKeyDictionary[sa.Engine, threading.local] = weakref.WeakKeyDictionary()


def _held_sqlite_connection(engine: sa.Engine) -> Any:
    """The event loop thread's own SQLite connection for this engine, or None to use the pool.

    On SQLite the API reads inline on the event loop (handlers/deps.read), one statement at a
    time, in autocommit mode: each SELECT is its own snapshot and ends its read transaction when
    its cursor closes, so one long-lived connection serves every such read. It is taken from the
    pool once and detached (it no longer counts against the pool's size, and is closed when the
    thread or the engine goes away). Any other thread, and every other database, uses the pool.
    """
    if engine.dialect.name != "sqlite":
        return None
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # a worker thread or synchronous code: the pool
        return None
    local = _held.get(engine)
    if local is None:
        local = _held.setdefault(engine, threading.local())
    connection = getattr(local, "connection", None)
    if connection is None:
        pooled = engine.raw_connection()  # made by the pool: the engine's connect-time pragmas ran
        pooled.detach()
        # Only the driver's connection is kept: nothing of SQLAlchemy's, so the engine can be
        # collected (and this entry with it), and closing it is the driver's own on collection.
        connection = local.connection = pooled.dbapi_connection
    return connection
