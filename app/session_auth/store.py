"""The server-side session: where records are kept, and how a visitor's session is opened and saved.

Flask-Session provides the contract, `ServerSideSessionInterface` (session IDs, the msgpack
serializer, the `flask session_cleanup` command), and each store implements its storage methods:
the SQL table our migrations own, Redis, or this process's memory (`SESSION_STORE`).

On top of that contract, `LabSessionInterface` adds what the site teaches:

* A visitor who has not signed in has no server-side session. The CSRF token their forms need
  is kept until sign-in in a cookie signed by Flask's own session serializer, so anonymous
  traffic never writes to the store, and any worker can check the token.
* Signing in and out write and delete the record inside the view (`store_new_session`,
  `delete_session_record`). A store failure there is an ordinary error answered with a 503,
  never a page that claims a sign-in that was not stored.
* A cookie that cannot be a session ID never reaches the store.
* Expiry slides at most once per SESSION_REFRESH_INTERVAL, so a read-only request costs exactly
  one store read and no write; each store call is counted and timed into the request's trace.
* Each store also knows which sessions belong to which user (a column in SQL, a set in Redis, a
  map in memory), so that a user's sessions can be listed and ended: the device list, and a
  password change that ends every other session.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import timedelta as TimeDelta
from typing import Any

import msgspec
from cachelib import SimpleCache
from flask import Flask, Response, current_app, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _
from flask_babel import lazy_ngettext
from flask_session.base import ServerSideSession, ServerSideSessionInterface
from flask_session.cachelib import CacheLibSessionInterface
from flask_session.redis import RedisSessionInterface
from itsdangerous import BadSignature
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from app.config import ConfigurationError
from app.extensions import db
from app.hot_reads import HotRead
from app.models import SessionRecord
from app.redis_client import log_store_failure, redis_health
from app.sessionless import is_sessionless
from app.tracing import current_trace, store_call, store_label, store_name

# What a broken store raises: the request goes on without a session instead of failing.
STORE_ERRORS = (SQLAlchemyError, RedisError)
REFRESHED_AT = "_refreshed_at"
# When this session signed in (Unix seconds): the absolute timeout counts from it.
SIGNED_IN_AT = "_signed_in_at"
SESSION_ID_BYTES = 32
# secrets.token_urlsafe(32) is 43 characters of the URL-safe base64 alphabet.
SESSION_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")

# Flask-Login's key for who the session belongs to.
USER_ID_KEY = "_user_id"
# What the store keeps of the browser that signed in, for the device list.
USER_AGENT_KEY = "user_agent"
USER_AGENT_MAX_LENGTH = 256

# Keys of a session that are bookkeeping only before sign-in, never sent in the pre-login cookie.
PRE_LOGIN_NOISE = frozenset({"_fresh", "_permanent"})

_record_decoder = msgspec.msgpack.Decoder()


def _seconds(session, key: str) -> float | None:
    value = session.get(key)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _absolute_end(session) -> float | None:
    """When the absolute timeout ends the session (Unix seconds), if it says when it began."""
    started = _seconds(session, SIGNED_IN_AT)
    if started is None:
        return None
    return started + current_app.config["SESSION_ABSOLUTE_TIMEOUT"].total_seconds()


def record_lifetime(session) -> TimeDelta:
    """How long the record may live from now: the idle timeout, but never past the absolute
    timeout counted from sign-in. Zero or less once the absolute timeout has come."""
    idle = current_app.permanent_session_lifetime
    end = _absolute_end(session)
    if end is None:
        return idle
    return min(idle, TimeDelta(seconds=int(end - time.time())))


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


def deadlines(session) -> dict:
    """When each timeout ends this session (naive UTC): `idle` (the record's expiry, set at the
    last refresh) and `absolute`, and whether the absolute one comes first."""
    refreshed, absolute = _seconds(session, REFRESHED_AT), _absolute_end(session)
    idle = (
        refreshed + current_app.permanent_session_lifetime.total_seconds()
        if refreshed is not None
        else None
    )
    absolute_first = absolute is not None and idle is not None and absolute <= idle
    return {
        "idle": _utc(idle) if idle is not None else None,
        "absolute": _utc(absolute) if absolute is not None else None,
        "absolute_first": absolute_first,
    }


def naive_utcnow() -> datetime:
    # The sessions table stores naive UTC datetimes, as Flask-Session does; compare like with like.
    return datetime.now(UTC).replace(tzinfo=None)


def owner_of(data) -> int | None:
    """The user a session (or a stored record's data) belongs to, if it names one."""
    value = data.get(USER_ID_KEY)
    if isinstance(value, str) and value.isdecimal() and len(value) < 19:
        return int(value)
    return None


def public_handle(store_id: str) -> str:
    """A name for one session that can be shown and sent back (the device list's `id`): it
    points at the session but cannot be turned back into its ID, which is 256 random bits."""
    return hashlib.blake2b(store_id.encode(), digest_size=8, person=b"lab-device").hexdigest()


@dataclass(frozen=True)
class UserSession:
    """One live session of a user, as the device list reads it from the store."""

    store_id: str
    data: dict

    @property
    def handle(self) -> str:
        return public_handle(self.store_id)


class UnreadableSession(ValueError):
    """A stored session whose bytes are not a msgpack map: treated as no session at all."""


def decode_record(raw: bytes) -> dict:
    """A stored record, decoded strictly.

    Flask-Session 0.8's own serializer falls back to JSON and then to `pickle.loads` for data
    msgpack cannot read, so anyone able to write to the store could run code in the app. Here a
    record is a msgpack map or it is unreadable, and an unreadable record is a miss.
    """
    try:
        value = _record_decoder.decode(raw)
    except (msgspec.DecodeError, TypeError) as exc:
        raise UnreadableSession("session record is not msgpack") from exc
    if not isinstance(value, dict):
        raise UnreadableSession("session record is not a map")
    return value


@dataclass(frozen=True)
class StoredRecord:
    data: dict
    expiry: datetime | None  # naive UTC; None where the store keeps the expiry itself (a TTL)


class LabSession(ServerSideSession):
    """One visitor's session, and what this request learned about it.

    Until the visitor signs in, `stored` is False: the session has no ID and no record, and the
    little it holds (the CSRF token) travels in the pre-login cookie.
    """

    def __init__(self, initial=None, sid=None, permanent=None, *, stored: bool = False) -> None:
        super().__init__(initial, sid, permanent)
        self.stored = stored
        self.store_expiry: datetime | None = None
        self.store_unavailable = False  # the store could not be read for this request
        self.sessionless = False  # a path that never uses the session (see app.sessionless)
        self.refresh_only = False  # this write only pushes the expiry forward
        self.ended = False  # signed out during this request: the record is gone
        self.cookie_due = False  # the session cookie must be (re)sent with this response
        # What became of the session cookie the browser sent: "none" (it sent none), "malformed"
        # (not a session ID), "unchecked" (the store could not be asked), "unknown" (the store
        # has no such session) or "found"; "planted" when this response sets it (the browser
        # lab's fixation demo), so it must not be tidied away.
        self.cookie_state = "none"
        self.pre_login_cookie_sent = False
        self.pre_login_loaded: dict | None = None  # what that cookie held, if it was genuine


class PreLoginCookie(SecureCookieSessionInterface):
    """Flask's signed-cookie serializer, for what a visitor holds before signing in.

    The cookie can be read by anyone who has it (it is base64 JSON) but not changed: the
    signature uses SECRET_KEY, which every worker shares.
    """

    salt = "session-vs-jwt-lab pre-login cookie"

    def load(self, app: Flask, value: str) -> dict | None:
        # A sign-in form may stay open as long as a session may last.
        max_age = int(app.config["SESSION_ABSOLUTE_TIMEOUT"].total_seconds())
        try:
            data = self.get_signing_serializer(app).loads(value, max_age=max_age)
        except BadSignature:
            return None
        return data if isinstance(data, dict) else None

    def dump(self, app: Flask, data: dict) -> str:
        return self.get_signing_serializer(app).dumps(data)


class LabSessionInterface(ServerSideSessionInterface):
    """Flask-Session's interface with the site's rules on top; see the module docstring."""

    session_class = LabSession
    store_kind = "unknown"
    # Whether every worker sees the same records. Only then does a miss mean the session is
    # gone, so that the browser's cookie may be deleted; in one worker's memory, a miss may
    # only mean that another worker holds it.
    shared = True

    def __init__(self, app: Flask, **options: Any) -> None:
        super().__init__(app, **options)
        self.pre_login = PreLoginCookie()

    def health(self) -> str | None:
        """For /healthz: "ok", or in a few words why the store cannot be used; None when the
        store is the database's, whose health /healthz reports already."""
        return None

    def init_app(self, app: Flask) -> None:
        app.session_interface = self
        # Registered after the tracing hook, so it runs before it: the trace counts the write.
        app.after_request(self._persist_changes)

    # What Flask calls at the start and the end of every request.

    def open_session(self, app: Flask, request) -> LabSession:
        if is_sessionless(app, request.path):
            skipped = self.session_class()
            skipped.sessionless = True
            return skipped
        raw = request.cookies.get(self.get_cookie_name(app))
        if raw is None:
            return self._open_pre_login(app, request, "none")
        trace = current_trace()
        length = lazy_ngettext("%(num)d character", "%(num)d characters", len(raw))
        trace.add("cookie", _("Cookie received"), detail=length)
        if not SESSION_ID_PATTERN.fullmatch(raw):
            ignored = _("malformed: ignored")
            trace.add("id_check", _("Session ID checked"), detail=ignored)
            return self._open_pre_login(app, request, "malformed")
        trace.add("id_check", _("Session ID checked"), detail=_("well-formed"))
        try:
            record = self.load_session_record(raw)
        except STORE_ERRORS as exc:
            log_store_failure(app.logger, logging.WARNING, exc)
            db.session.rollback()
            looked_up, down = _("Session looked up in the store"), _("store down")
            trace.add("store_lookup", looked_up, detail=down, failed=True)
            unavailable = self._open_pre_login(app, request, "unchecked")
            unavailable.store_unavailable = True
            return unavailable
        if record is None:
            return self._open_pre_login(app, request, "unknown")
        opened = self.session_class(record.data, sid=raw, stored=True)
        opened.cookie_state = "found"
        opened.store_expiry = record.expiry
        return opened

    def save_session(self, app: Flask, session: LabSession, response: Response) -> None:
        if session.sessionless:
            return
        if session.accessed:
            response.vary.add("Cookie")
        if session.stored:
            self._send_session_cookie(app, session, response)
            return
        if USER_ID_KEY in session:
            return  # a sign-in whose record could not be stored: it must leave no trace
        stale = session.cookie_state == "malformed" or (
            session.cookie_state == "unknown" and self.shared
        )
        if session.ended or stale:
            self._delete_cookie(app, response, self.get_cookie_name(app))
        self._send_pre_login_cookie(app, session, response)

    # What the views call: signing in and out happen inside the request, not after it.

    def store_new_session(self, session: LabSession) -> None:
        """Give a session that has just signed in a new ID and a record in the store.

        The ID is new whatever the browser sent before, so an ID planted on the visitor is
        worth nothing (session fixation). A store failure raises here, inside the view.
        """
        if session.stored:
            # Signing in again while signed in: the old record goes, the new one is inserted.
            # The session stops being the old one first, so that if the delete fails, the new
            # identity can never be written under the old ID.
            old_record = self._get_store_id(session.sid)
            session.stored = False
            self._delete_record(old_record)
        session.sid = self._generate_sid(self.sid_length)
        session.permanent = True
        session[REFRESHED_AT] = session[SIGNED_IN_AT] = int(time.time())
        lifetime = record_lifetime(session)
        self._write_record(lifetime, session, self._get_store_id(session.sid))
        session.stored = True
        session.cookie_due = True
        session.store_expiry = naive_utcnow() + lifetime
        session.modified = False

    def delete_session_record(self, session: LabSession) -> None:
        """Delete the record now, so the old cookie authenticates no one; called by sign-out."""
        if session.stored:
            owner, store_id = owner_of(session), self._get_store_id(session.sid)
            if owner is None:
                self._delete_record(store_id)
            else:
                self.end_user_session(owner, store_id)
        session.clear()
        # From here on this is a visitor who has not signed in: a notice for the next page
        # (a flash) travels in the pre-login cookie, and the store hears nothing more.
        session.stored = False
        session.ended = True

    def describe_record(self, session: LabSession) -> dict:
        """What the store holds for this request's session, as already loaded (no new query)."""
        return {
            "store": self.store_kind,
            "store_name": store_name(self.store_kind),
            "key": self._get_store_id(session.sid) if session.stored else None,
            "expiry": session.store_expiry,
            "deadlines": deadlines(session) if session.stored else None,
        }

    # A user's sessions: the device list, and ending them.

    def store_id_of(self, session: LabSession) -> str | None:
        """The key of this session's record, if it has one (the device list marks it)."""
        return self._get_store_id(session.sid) if session.stored else None

    def signed_in_record(self, sid: str) -> StoredRecord | None:
        """The record this ID opens, if it opens a signed-in session now: what a copied (or
        planted) session cookie is worth. One store read; STORE_ERRORS propagate."""
        if not SESSION_ID_PATTERN.fullmatch(sid):
            return None
        record = self.load_session_record(sid)
        return record if record is not None and USER_ID_KEY in record.data else None

    def plant_cookie(self, app: Flask, session: LabSession, response: Response, sid: str) -> None:
        """Set the session cookie to `sid`, an ID this server never issued, with the real cookie's
        attributes: the browser lab's fixation demo. This response's own cookie is then left as
        it is, not tidied away as an unknown one."""
        response.set_cookie(
            self.get_cookie_name(app),
            sid,
            httponly=self.get_cookie_httponly(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
        )
        session.cookie_state = "planted"

    @store_call("read")
    def user_sessions(self, user_id: int) -> list[UserSession]:
        """Every live session of the user, read in one go (one query; in Redis, SMEMBERS and
        MGET, and an SREM for members that have expired)."""
        return self._user_records(user_id)

    def end_user_session(self, user_id: int, store_id: str) -> None:
        """Delete one of the user's records: its cookie then authenticates no one."""
        self._delete_record(store_id)
        self._forget_owner(user_id, store_id)

    def _user_records(self, user_id: int) -> list[UserSession]:
        raise NotImplementedError

    def _forget_owner(self, user_id: int, store_id: str) -> None:
        """Drop the record from the user's index, where the store keeps one apart."""

    # Reading, with the trace.

    def load_session_record(self, sid: str) -> StoredRecord | None:
        """Look the session up: the one store read every session request pays for."""
        trace = current_trace()
        before = trace.store_ms if trace is not None else 0.0
        record = self._read_or_discard(self._get_store_id(sid))
        if trace is not None:
            elapsed = trace.store_ms - before
            trace.auth_ms += elapsed
            outcome = (
                _("%(kind)s store, hit", kind=store_label(self.store_kind))
                if record is not None
                else _("%(kind)s store, miss", kind=store_label(self.store_kind))
            )
            trace.add("store_lookup", _("Session looked up in the store"), elapsed, outcome)
        return record

    def read_record(self, store_id: str) -> StoredRecord | None:
        """The record and, where the store knows it cheaply, its expiry."""
        data = self._retrieve_session_data(store_id)
        return None if data is None else StoredRecord(data, None)

    @store_call("read")
    def _read_or_discard(self, store_id: str) -> StoredRecord | None:
        try:
            return self.read_record(store_id)
        except UnreadableSession:
            # Corrupt or foreign data under a valid-looking ID: forget it, start afresh.
            current_app.logger.warning("discarded an unreadable session record")
            self._delete_record(store_id)
            return None

    @store_call("write")
    def _write_record(self, lifetime: TimeDelta, session: LabSession, store_id: str) -> None:
        self._upsert_session(lifetime, session, store_id)

    @store_call("write")
    def _delete_record(self, store_id: str) -> None:
        self._delete_session(store_id)

    # After the view: sliding expiry, and changes made to a signed-in session.

    def _persist_changes(self, response: Response) -> Response:
        try:
            current = session._get_current_object()
        except AssertionError:  # the session could not even be opened: nothing to persist
            return response
        if not isinstance(current, LabSession) or not current.stored or current.ended:
            return response
        if current.modified:
            current.refresh_only = False
        elif self._refresh_due(current):
            # Only the expiry moves: the store must extend the record if it still exists and
            # never re-create it, or a refresh racing a sign-out would bring the session back.
            current.refresh_only = True
        else:
            return response
        lifetime = record_lifetime(current)
        if lifetime.total_seconds() < 1:
            # The absolute timeout is here: the record expires when it does, unrefreshed.
            return response
        current[REFRESHED_AT] = int(time.time())
        try:
            self._write_record(lifetime, current, self._get_store_id(current.sid))
        except STORE_ERRORS as exc:
            # The page is right as it is; the record keeps its old expiry. Say so, in one line.
            log_store_failure(
                current_app.logger, logging.WARNING, exc, "session store write failed"
            )
            db.session.rollback()
            return response
        current.cookie_due = True
        current.store_expiry = naive_utcnow() + lifetime
        return response

    @staticmethod
    def _refresh_due(current: LabSession) -> bool:
        last = current.get(REFRESHED_AT)
        interval = current_app.config["SESSION_REFRESH_INTERVAL"].total_seconds()
        # A timestamp from the future (a clock that jumped back) counts as due, too.
        return not isinstance(last, int | float) or not 0 <= time.time() - last < interval

    # Cookies.

    def _open_pre_login(self, app: Flask, request, cookie_state: str) -> LabSession:
        raw = request.cookies.get(app.config["PRE_LOGIN_COOKIE_NAME"])
        data = self.pre_login.load(app, raw) if raw else None
        opened = self.session_class(data or {})
        opened.pre_login_cookie_sent = raw is not None
        opened.pre_login_loaded = data
        opened.cookie_state = cookie_state
        return opened

    def _send_session_cookie(self, app: Flask, session: LabSession, response: Response) -> None:
        name = self.get_cookie_name(app)
        if session.ended:
            self._delete_cookie(app, response, name)
            return
        if session.pre_login_cookie_sent:
            # Signed in now: the CSRF token lives in the record, the pre-login cookie is done.
            self._delete_cookie(app, response, app.config["PRE_LOGIN_COOKIE_NAME"])
        if not session.cookie_due:
            return
        # The cookie expires with the record: at the idle or the absolute timeout.
        expires = session.store_expiry
        response.set_cookie(
            name,
            session.sid,
            expires=expires.replace(tzinfo=UTC)
            if expires
            else self.get_expiration_time(app, session),
            httponly=self.get_cookie_httponly(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
        )

    def _send_pre_login_cookie(self, app: Flask, session: LabSession, response: Response) -> None:
        name = app.config["PRE_LOGIN_COOKIE_NAME"]
        # Flask-Login marks every session it cannot tie to a sign-in as not fresh; before
        # sign-in that says nothing, so it is not worth a cookie.
        data = {k: v for k, v in session.items() if k not in PRE_LOGIN_NOISE}
        if not data:
            if session.pre_login_cookie_sent:
                self._delete_cookie(app, response, name)
            return
        if data == session.pre_login_loaded:
            return  # the browser already holds exactly this
        # No Expires: a browser-session cookie, gone when the browser closes.
        response.set_cookie(
            name,
            self.pre_login.dump(app, data),
            httponly=True,
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
        )

    def _delete_cookie(self, app: Flask, response: Response, name: str) -> None:
        response.delete_cookie(
            name,
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            httponly=True,
            samesite=self.get_cookie_samesite(app),
        )


# The one read every session request makes (see app/hot_reads.py for how it runs).
_READ_RECORD = HotRead(
    select(SessionRecord.data, SessionRecord.expiry).where(
        SessionRecord.session_id == bindparam("session_id")
    )
)


class SqlSessionStore(LabSessionInterface):
    """The default store: the `sessions` table of the app's own database.

    The table belongs to our migrations (`app.models.SessionRecord`). A read is one SELECT of
    the two columns it needs; a write is one UPDATE, or one INSERT for a new session.
    """

    store_kind = "sql"
    # SQL has no TTL. Flask-Session then offers `flask session_cleanup`; on top of it, each new
    # record removes up to SESSION_SWEEP_BATCH expired ones, so no scheduler is needed.
    ttl = False

    def read_record(self, store_id: str) -> StoredRecord | None:
        row = _READ_RECORD.first(db.engine, {"session_id": store_id})
        if row is None:
            return None
        data, expiry = row
        if isinstance(expiry, str):  # SQLite keeps DateTime as ISO text
            try:
                expiry = datetime.fromisoformat(expiry)
            except ValueError:
                expiry = None
        if not isinstance(expiry, datetime) or not isinstance(data, bytes | memoryview):
            raise UnreadableSession("session record has a corrupt column")
        if expiry <= naive_utcnow():
            self._delete_record(store_id)  # an expired record reads as a miss, and goes
            return None
        return StoredRecord(decode_record(bytes(data)), expiry)

    def _retrieve_session_data(self, store_id: str) -> dict | None:
        record = self.read_record(store_id)
        return None if record is None else record.data

    def _upsert_session(self, session_lifetime: TimeDelta, session, store_id: str) -> None:
        expiry = naive_utcnow() + session_lifetime
        payload = self.serializer.encode(session)
        # Its own connection and transaction: a session write never commits the view's work.
        with db.engine.begin() as conn:
            if not session.stored:
                conn.execute(
                    insert(SessionRecord).values(
                        session_id=store_id, user_id=owner_of(session), data=payload, expiry=expiry
                    )
                )
                self._sweep_expired(conn, current_app.config["SESSION_SWEEP_BATCH"])
                return
            statement = update(SessionRecord).where(SessionRecord.session_id == store_id)
            if session.refresh_only:
                # Concurrent requests may all find the refresh due; the first one moves the
                # expiry past this threshold and the others then match no row. A record expiring
                # later than this refresh would set was written by a clock that has since gone
                # back: let that one through too, or it would stop sliding.
                interval = current_app.config["SESSION_REFRESH_INTERVAL"]
                statement = statement.where(
                    or_(SessionRecord.expiry < expiry - interval, SessionRecord.expiry > expiry)
                )
            conn.execute(statement.values(data=payload, expiry=expiry))

    def _delete_session(self, store_id: str) -> None:
        with db.engine.begin() as conn:
            conn.execute(delete(SessionRecord).where(SessionRecord.session_id == store_id))

    def _user_records(self, user_id: int) -> list[UserSession]:
        query = select(SessionRecord.session_id, SessionRecord.data).where(
            SessionRecord.user_id == user_id, SessionRecord.expiry > naive_utcnow()
        )
        with db.engine.connect() as conn:
            rows = conn.execute(query).all()
        return _readable(rows)

    def _delete_expired_sessions(self) -> None:
        """Every expired record at once: `flask session_cleanup`, for an operator to run."""
        with db.engine.begin() as conn:
            conn.execute(delete(SessionRecord).where(SessionRecord.expiry <= naive_utcnow()))

    @staticmethod
    def _sweep_expired(conn, limit: int) -> None:
        oldest_expired = (
            select(SessionRecord.id)
            .where(SessionRecord.expiry <= naive_utcnow())
            .order_by(SessionRecord.expiry)
            .limit(limit)
        )
        conn.execute(delete(SessionRecord).where(SessionRecord.id.in_(oldest_expired)))


class RedisSessionStore(LabSessionInterface, RedisSessionInterface):
    """Sessions in Redis: one GET per request, expiry by Redis's own TTL."""

    store_kind = "redis"

    def health(self) -> str:
        return redis_health(self.client)

    def _retrieve_session_data(self, store_id: str) -> dict | None:
        raw = self.client.get(store_id)
        return None if raw is None else decode_record(raw)

    def _user_index(self, user_id: int) -> str:
        return f"{self.key_prefix}user:{user_id}"

    def _upsert_session(self, session_lifetime: TimeDelta, session, store_id: str) -> None:
        payload = self.serializer.encode(session)
        seconds = int(session_lifetime.total_seconds())
        owner = owner_of(session)
        if session.stored or owner is None:
            # A session already stored is only ever updated (SET ... XX): if a sign-out deleted
            # it meanwhile, a late write from another request must not bring it back.
            self.client.set(store_id, payload, ex=seconds, xx=session.stored)
            return
        # A new sign-in: the record and its place in the user's index in one transaction, so
        # that a listing never finds the one without the other. No member outlives the
        # absolute timeout from now, so neither need the set.
        index = self._user_index(owner)
        absolute = int(current_app.config["SESSION_ABSOLUTE_TIMEOUT"].total_seconds())

        def sign_in(pipe) -> None:
            pipe.set(store_id, payload, ex=seconds)
            pipe.sadd(index, store_id)
            pipe.expire(index, absolute)

        self.client.atomically(sign_in)

    def _user_records(self, user_id: int) -> list[UserSession]:
        index = self._user_index(user_id)
        store_ids = sorted(member.decode() for member in self.client.smembers(index))
        if not store_ids:
            return []
        values = self.client.mget(store_ids)
        gone = [store_id for store_id, raw in zip(store_ids, values, strict=True) if raw is None]
        if gone:
            self.client.srem(index, *gone)  # expired or ended: the index forgets them
        return _readable(
            (store_id, raw)
            for store_id, raw in zip(store_ids, values, strict=True)
            if raw is not None
        )

    def _forget_owner(self, user_id: int, store_id: str) -> None:
        self.client.srem(self._user_index(user_id), store_id)


class MemorySessionStore(LabSessionInterface, CacheLibSessionInterface):
    """Sessions in this process's memory: fast, but each worker sees only its own sessions."""

    store_kind = "memory"
    shared = False

    def __init__(self, app: Flask, **options: Any) -> None:
        super().__init__(app, **options)
        # Threads of one worker share the cache: "still there?" and the write happen under one
        # lock, and so does a sign-out's delete, so that a delete can never fall in between.
        self._write_lock = threading.Lock()
        self._by_user: dict[int, set[str]] = {}

    def health(self) -> str:
        return "ok"

    def _upsert_session(self, session_lifetime: TimeDelta, session, store_id: str) -> None:
        with self._write_lock:
            if session.stored and not self.cache.has(store_id):
                return  # signed out meanwhile: an update must not bring it back
            super()._upsert_session(session_lifetime, session, store_id)
            owner = owner_of(session)
            if not session.stored and owner is not None:
                # The user's sessions that have expired meanwhile go now, so the map holds at
                # most the live sessions and the last sign-in of each user.
                live = {sid for sid in self._by_user.get(owner, ()) if self.cache.has(sid)}
                self._by_user[owner] = live | {store_id}

    def _delete_session(self, store_id: str) -> None:
        with self._write_lock:
            super()._delete_session(store_id)

    def _user_records(self, user_id: int) -> list[UserSession]:
        with self._write_lock:
            store_ids = sorted(self._by_user.get(user_id, ()))
            found = [(store_id, self.cache.get(store_id)) for store_id in store_ids]
            live = {store_id for store_id, raw in found if raw is not None}
            if live:
                self._by_user[user_id] = live
            else:
                self._by_user.pop(user_id, None)
        # This store keeps each session as a dict, not as serialised bytes.
        return [UserSession(store_id, data) for store_id, data in found if isinstance(data, dict)]

    def _forget_owner(self, user_id: int, store_id: str) -> None:
        with self._write_lock:
            self._by_user.get(user_id, set()).discard(store_id)


def _readable(rows) -> list[UserSession]:
    """Records as (store ID, raw bytes), decoded; one that cannot be read is left out."""
    sessions = []
    for store_id, raw in rows:
        try:
            data = decode_record(bytes(raw))
        except (UnreadableSession, TypeError):
            continue
        sessions.append(UserSession(store_id, data))
    return sessions


def create_session_store(app: Flask, redis_client: Redis | None = None) -> LabSessionInterface:
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
        if redis_client is None:
            raise ConfigurationError("SESSION_STORE=redis needs a Redis client (connect_redis)")
        return RedisSessionStore(app, client=redis_client, **options)
    if kind == "memory":
        lifetime = int(app.config["PERMANENT_SESSION_LIFETIME"].total_seconds())
        cache = SimpleCache(threshold=10_000, default_timeout=lifetime)
        return MemorySessionStore(app, client=cache, **options)
    raise ConfigurationError(f"SESSION_STORE must be 'sql', 'redis' or 'memory', got {kind!r}")
