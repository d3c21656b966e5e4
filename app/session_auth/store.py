"""The server-side session store: Flask-Session's backends, traced and made read-cheap.

Flask-Session does the storing. This module picks the backend (`SESSION_STORE`), and adds three
things on top of it:

* the SQL backend uses the `sessions` table that our migrations own (`app.models.SessionRecord`)
  instead of defining a model and creating the table at every `create_app()` (Flask-Session #245);
* a session cookie that cannot be a session ID is rejected before it reaches the store;
* each lookup and write is timed into the request trace, and what the store holds for this
  request (key, expiry) is kept on `g` so the pages can show it without asking the store again.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from datetime import timedelta as TimeDelta
from typing import Any

import msgspec
from cachelib import SimpleCache
from flask import Flask, current_app, g
from flask_session._utils import total_seconds
from flask_session.base import MsgSpecSerializer, ServerSideSession, ServerSideSessionInterface
from flask_session.cachelib import CacheLibSessionInterface
from flask_session.redis import RedisSessionInterface
from flask_session.sqlalchemy import SqlAlchemySessionInterface
from itsdangerous import want_bytes
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from app.config import ConfigurationError
from app.errors.handlers import replace_with_unavailable
from app.extensions import db
from app.models import SessionRecord
from app.tracing import current_trace, server_timing_header

# What a broken store raises: the request goes on without a session instead of failing.
STORE_ERRORS = (SQLAlchemyError, RedisError)
REFRESHED_AT = "_refreshed_at"

SESSION_ID_BYTES = 32
# Routes that never read the session: the JWT API, and the bare endpoints the benchmark uses as
# its ceiling (so that "bare" really is Flask alone, not Flask plus an empty session).
SESSIONLESS_PREFIXES = ("/jwt/api/", "/static/", "/healthz", "/api/ping")
# Request-scoped flags this module keeps on `g` (reset at the start of every request).
REQUEST_FLAGS = (
    "_lab_trace",
    "session_skipped",
    "session_store_unavailable",
    "session_store_expiry",
    "session_refresh_only",
)
# secrets.token_urlsafe(32) is 43 characters of the URL-safe base64 alphabet.
SESSION_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")


def now() -> float:
    """Wall-clock seconds; a function of its own so tests can move time forward."""
    return time.time()


def _naive_utcnow() -> datetime:
    # Flask-Session stores naive UTC datetimes; compare like with like.
    return datetime.fromtimestamp(now(), UTC).replace(tzinfo=None)


class UnreadableSession(ValueError):
    """A stored session whose bytes are not a msgpack map: treated as no session at all."""


class StrictMsgpackSerializer(MsgSpecSerializer):
    """Flask-Session's msgpack serializer without its fallbacks.

    Flask-Session 0.8 tries JSON and then `pickle.loads` on data msgpack cannot read, so anyone
    able to write to the store could run code in the app. Here a record is a msgpack map or it
    is unreadable, and an unreadable record is a miss.
    """

    def decode(self, serialized_data: bytes) -> dict:
        try:
            value = self.decoder.decode(serialized_data)
        except (msgspec.DecodeError, TypeError) as exc:
            raise UnreadableSession("session record is not msgpack") from exc
        if not isinstance(value, dict):
            raise UnreadableSession("session record is not a map")
        return value


class TracedStoreMixin:
    """Checks the cookie's shape, times store access, and remembers what the store returned."""

    store_kind = "unknown"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.serializer = StrictMsgpackSerializer(app=self.app, format="msgpack")

    def open_session(self, app: Flask, request) -> ServerSideSession:
        # The first hook of every request. An app context pushed around several requests
        # (tests, scripts) would otherwise carry these flags from one request to the next.
        for flag in REQUEST_FLAGS:
            g.pop(flag, None)
        trace = current_trace()
        if request.path.startswith(SESSIONLESS_PREFIXES):
            # These routes never use the session. Flask opens it eagerly, so without this a
            # JWT request from a browser that also holds a session cookie would pay a store
            # lookup it does not need, and the measured comparison would be wrong.
            g.session_skipped = True
            return self.session_class(sid=self._generate_sid(self.sid_length))
        raw = request.cookies.get(app.config["SESSION_COOKIE_NAME"])
        if raw is not None:
            trace.add("cookie", "Cookie received", detail=f"{len(raw)} characters")
            if not SESSION_ID_PATTERN.fullmatch(raw):
                trace.add("id_check", "Session ID checked", detail="malformed: ignored")
                # Treat it as no cookie at all: a new anonymous session with a fresh ID.
                sid = self._generate_sid(self.sid_length)
                return self.session_class(sid=sid, permanent=self.permanent)
            trace.add("id_check", "Session ID checked", detail="well-formed")
        try:
            return super().open_session(app, request)
        except STORE_ERRORS:
            # The store is down. Carry on without a session so that pages which do not need one
            # still work; session pages answer 503 (see require_session_store) and nothing is saved.
            app.logger.exception("session store unavailable")
            db.session.rollback()
            g.session_skipped = True
            g.session_store_unavailable = True
            return self.session_class(sid=self._generate_sid(self.sid_length))

    def _timed_store_call(self, action: str, func, *args):
        """Run one store operation, counting it and adding its time once.

        A call made inside another (deleting an expired record while reading it) is counted,
        but its time is already inside the outer call's.
        """
        trace = current_trace()
        if trace is None:
            return func(*args)
        trace.store_kind = self.store_kind
        if action == "read":
            trace.store_reads += 1
        else:
            trace.store_writes += 1
        if trace.store_depth:
            return func(*args)
        trace.store_depth += 1
        started = time.perf_counter()
        try:
            return func(*args)
        finally:
            trace.store_ms += (time.perf_counter() - started) * 1000
            trace.store_depth -= 1

    def _read_or_discard(self, store_id: str) -> dict | None:
        try:
            return super()._retrieve_session_data(store_id)
        except UnreadableSession:
            # Corrupt or foreign data under a valid-looking ID: forget it, start afresh.
            (self.app or current_app).logger.warning("discarded an unreadable session record")
            self._delete_session(store_id)
            return None

    def _retrieve_session_data(self, store_id: str) -> dict | None:
        trace = current_trace()
        if trace is None:
            return self._read_or_discard(store_id)
        store_ms_before = trace.store_ms
        data = self._timed_store_call("read", self._read_or_discard, store_id)
        # The lookup is the outermost store call: its time is what it added to store_ms.
        elapsed = trace.store_ms - store_ms_before
        trace.auth_ms += elapsed
        trace.add(
            "store_lookup",
            "Session looked up in the store",
            elapsed,
            f"{self.store_kind} store, {'hit' if data is not None else 'miss'}",
        )
        return data

    def _upsert_session(self, session_lifetime: TimeDelta, session, store_id: str) -> None:
        self._timed_store_call(
            "write", super()._upsert_session, session_lifetime, session, store_id
        )
        g.session_store_expiry = _naive_utcnow() + session_lifetime

    def _delete_session(self, store_id: str) -> None:
        self._timed_store_call("write", super()._delete_session, store_id)

    def save_session(self, app: Flask, session, response) -> None:
        if session is None or g.get("session_skipped"):
            return
        self._slide_expiry(app, session)
        trace = current_trace()
        before = (trace.store_writes, trace.sql_count)
        try:
            super().save_session(app, session, response)
        except STORE_ERRORS:
            # The page was built, but what it relies on (a login, a CSRF token) was not stored.
            # Answering 200 would be a lie: turn it into the same 503 a failed lookup gives.
            app.logger.exception("session store unavailable while saving")
            db.session.rollback()
            replace_with_unavailable(response)
            return
        # Session writes happen after `after_request`; re-render the header so it counts them.
        if (trace.store_writes, trace.sql_count) != before and "Server-Timing" in response.headers:
            response.headers["Server-Timing"] = server_timing_header(trace)

    def _slide_expiry(self, app: Flask, session) -> None:
        """Sliding expiry without a write per request.

        A session that is written anyway gets a fresh timestamp for free. One that is only read
        is rewritten (pushing its expiry forward) at most once per SESSION_REFRESH_INTERVAL, so
        a read-only request costs exactly one store read and no write.
        """
        if not session:
            return
        current = now()
        if session.modified:
            session[REFRESHED_AT] = int(current)
            return
        last = session.get(REFRESHED_AT)
        interval = app.config["SESSION_REFRESH_INTERVAL"].total_seconds()
        # A timestamp from the future (a clock that jumped back) counts as due, too.
        if not isinstance(last, int | float) or not 0 <= current - last < interval:
            session[REFRESHED_AT] = int(current)
            # Only the expiry moves: the store must extend the record if it still exists and
            # never re-create it, or a refresh racing a logout would bring the session back.
            g.session_refresh_only = True

    def describe_record(self, sid: str) -> dict:
        """What the store holds for this request's session, as already loaded (no new query)."""
        return {
            "store": self.store_kind,
            "key": self._get_store_id(sid),
            "expiry": g.get("session_store_expiry"),
        }


_SELECT_RECORD = select(SessionRecord.data, SessionRecord.expiry).where(
    SessionRecord.session_id == bindparam("session_id")
)


class MigratedSqlAlchemySessionInterface(SqlAlchemySessionInterface):
    """Flask-Session's SQLAlchemy backend on the app's own database and migrated table.

    The storage methods are the backend's own, made cheaper: a read is one SELECT of the two
    columns it needs, and a write is one UPDATE (or one INSERT for a new session) instead of a
    SELECT followed by a write.
    """

    def __init__(self, app: Flask, **options: Any) -> None:
        # Skip SqlAlchemySessionInterface.__init__: it defines a new model class and creates
        # the table itself. Everything else it sets up is the base class's job.
        self.client = db
        self.sql_session_model = SessionRecord
        self._autocommit_engines: dict = {}
        ServerSideSessionInterface.__init__(self, app, **options)

    def _retrieve_session_data(self, store_id: str) -> dict | None:
        # A Core connection rather than the ORM session: this runs on every request, and the
        # ORM's unit-of-work machinery would cost more than the query itself.
        try:
            with self._read_engine().connect() as conn:
                row = conn.execute(_SELECT_RECORD, {"session_id": store_id}).first()
        except (TypeError, ValueError) as exc:  # a value the column type cannot read back
            raise UnreadableSession("session record has a corrupt column") from exc
        if row is None:
            return None
        if row.expiry is None or row.expiry <= _naive_utcnow():
            # SQL has no TTL: an expired record reads as a miss and is removed.
            self._delete_session(store_id)
            return None
        g.session_store_expiry = row.expiry
        return self.serializer.decode(want_bytes(row.data))

    def _read_engine(self):
        """The engine for the per-request read: in autocommit mode on server databases.

        A lone SELECT needs no transaction. Without this, PostgreSQL would see BEGIN, SELECT and
        ROLLBACK: three round trips for one read. SQLite's driver opens no transaction for a
        SELECT anyway, so it keeps the plain engine.
        """
        engine = db.engine
        if engine.dialect.name == "sqlite":
            return engine
        autocommit = self._autocommit_engines.get(engine)
        if autocommit is None:
            autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
            self._autocommit_engines[engine] = autocommit
        return autocommit

    def _upsert_session(self, session_lifetime: TimeDelta, session, store_id: str) -> None:
        expiry = _naive_utcnow() + session_lifetime
        payload = self.serializer.encode(session)
        statement = update(SessionRecord).where(SessionRecord.session_id == store_id)
        refresh_only = g.get("session_refresh_only", False)
        if refresh_only:
            # Concurrent requests may all find the refresh due; the first one moves the expiry
            # past this threshold and the others then match no row.
            # A record expiring later than this refresh would set it was written by a clock that
            # has since gone back: let that one through too, or it would stop sliding.
            interval = current_app.config["SESSION_REFRESH_INTERVAL"]
            statement = statement.where(
                or_(SessionRecord.expiry < expiry - interval, SessionRecord.expiry > expiry)
            )
        try:
            result = db.session.execute(statement.values(data=payload, expiry=expiry))
            if result.rowcount == 0 and not refresh_only:
                db.session.add(SessionRecord(session_id=store_id, data=payload, expiry=expiry))
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            raise

    def _delete_session(self, store_id: str) -> None:
        try:
            db.session.execute(delete(SessionRecord).where(SessionRecord.session_id == store_id))
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            raise

    def _delete_expired_sessions(self) -> None:
        db.session.execute(delete(SessionRecord).where(SessionRecord.expiry <= _naive_utcnow()))
        db.session.commit()


class SqlSessionStore(TracedStoreMixin, MigratedSqlAlchemySessionInterface):
    """The default store: sessions in the app's SQL database."""

    store_kind = "sql"


class RedisSessionStore(TracedStoreMixin, RedisSessionInterface):
    """Sessions in Redis: one GET per request, expiry by Redis's own TTL."""

    store_kind = "redis"

    def _upsert_session(self, session_lifetime: TimeDelta, session, store_id: str) -> None:
        if not g.get("session_refresh_only"):
            return super()._upsert_session(session_lifetime, session, store_id)
        # SET ... XX: extend the key only if it still exists (see _slide_expiry).
        data, ttl = self.serializer.encode(session), total_seconds(session_lifetime)
        self._timed_store_call("write", lambda: self.client.set(store_id, data, ex=ttl, xx=True))
        g.session_store_expiry = _naive_utcnow() + session_lifetime


class MemorySessionStore(TracedStoreMixin, CacheLibSessionInterface):
    """Sessions in this process's memory: fast, but each worker sees only its own sessions."""

    store_kind = "memory"

    def _upsert_session(self, session_lifetime: TimeDelta, session, store_id: str) -> None:
        if g.get("session_refresh_only") and not self.cache.has(store_id):
            return None  # logged out meanwhile: do not bring it back
        return super()._upsert_session(session_lifetime, session, store_id)


def create_session_store(app: Flask) -> ServerSideSessionInterface:
    """Build the store named by SESSION_STORE: `sql` (default), `redis` or `memory`."""
    kind = app.config["SESSION_STORE"]
    options = {
        "key_prefix": "session:",
        "sid_length": SESSION_ID_BYTES,
        "permanent": True,
        "serialization_format": "msgpack",
    }
    if kind == "sql":
        return SqlSessionStore(app, **options)
    if kind == "redis":
        client = Redis.from_url(app.config["REDIS_URL"], socket_timeout=2, socket_connect_timeout=2)
        return RedisSessionStore(app, client=client, **options)
    if kind == "memory":
        lifetime = int(app.config["PERMANENT_SESSION_LIFETIME"].total_seconds())
        cache = SimpleCache(threshold=10_000, default_timeout=lifetime)
        return MemorySessionStore(app, client=cache, **options)
    raise ConfigurationError(f"SESSION_STORE must be 'sql', 'redis' or 'memory', got {kind!r}")
