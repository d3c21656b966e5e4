"""The per-request lookups (a session record, a revoked `jti`): one SELECT of at most one row,
run as cheaply as each database allows, and counted into the request's trace.

On SQLite the statement goes straight to the driver: through SQLAlchemy Core it costs about
80 µs, on the driver about 11 µs (`make profile`), and Core's per-statement work was most of a
session request's extra cost. On server databases it goes through Core on an autocommit
connection: a lone SELECT needs no transaction, and without that PostgreSQL would see BEGIN,
SELECT and ROLLBACK, three round trips for one read.
"""

from __future__ import annotations

import time

from sqlalchemy import Select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from app.tracing import record_sql


class HotRead:
    """One SELECT returning at most one row, with its parameters given by name."""

    def __init__(self, statement: Select) -> None:
        self.statement = statement
        self._compiled: dict[Engine, tuple[str, tuple[str, ...]]] = {}
        self._autocommit: dict[Engine, Engine] = {}

    def first(self, engine: Engine, params: dict) -> tuple | None:
        if engine.dialect.name == "sqlite":
            return self._on_driver(engine, params)
        return self._on_core(engine, params)

    def _on_driver(self, engine: Engine, params: dict) -> tuple | None:
        """`engine.raw_connection()` still takes a connection from the engine's pool and gives
        it back; only the statement skips Core, so it is added to the trace here."""
        compiled = self._compiled.get(engine)
        if compiled is None:
            statement = self.statement.compile(dialect=engine.dialect)
            compiled = self._compiled[engine] = (str(statement), tuple(statement.positiontup))
        sql, names = compiled
        started = time.perf_counter()
        try:
            connection = engine.raw_connection()
            try:
                cursor = connection.cursor()
                try:
                    cursor.execute(sql, tuple(params[name] for name in names))
                    row = cursor.fetchone()
                finally:
                    cursor.close()
            finally:
                connection.close()  # back to the pool
        except engine.dialect.loaded_dbapi.Error as exc:
            # The pool hands back the driver's own errors: name them as SQLAlchemy would, so
            # that a failed read is one kind of failure everywhere.
            raise OperationalError(sql, None, exc) from exc
        record_sql(sql, (time.perf_counter() - started) * 1000)
        return row

    def _on_core(self, engine: Engine, params: dict) -> tuple | None:
        # A Core connection rather than the ORM session: this runs on every request, and the
        # ORM's unit-of-work machinery would cost more than the query itself.
        autocommit = self._autocommit.get(engine)
        if autocommit is None:
            autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
            self._autocommit[engine] = autocommit
        with autocommit.connect() as conn:
            row = conn.execute(self.statement, params).first()
        return None if row is None else tuple(row)
