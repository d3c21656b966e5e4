"""A trace of the auth work each request really did, measured, never written out as fixed text.

The trace belongs to the request (`TracedRequest.trace`), so it is born and dies with it even
when a test or a script keeps one app context open across many requests. SQL statements are
counted by SQLAlchemy engine events; store calls, the user loader and token verification are
timed by decorating them. Every response carries the figures in a `Server-Timing` header, and
recent auth costs are kept, bounded, in memory so the pages can show rolling medians per scheme.
"""

from __future__ import annotations

import functools
import os
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import Flask, Request, Response, has_request_context, request
from flask_babel import lazy_gettext as _
from sqlalchemy import event
from sqlalchemy.engine import Engine

RECENT_LIMIT = 200  # per scheme and per process; old samples fall off the end
MAX_STATEMENTS_SHOWN = 20

# Each session store as the pages name it; `store_kind` stays the configuration's word.
STORE_NAMES = {"sql": _("SQL"), "redis": "Redis", "memory": _("in-memory")}


def store_label(kind: str):
    """The page-language name of a store kind (`sql`, `redis`, `memory`), translated only when
    shown: for trace steps, which most requests never show, so that they translate nothing."""
    return STORE_NAMES.get(kind, kind)


def store_name(kind: str | None) -> str | None:
    """The same name, as text now."""
    return str(store_label(kind)) if kind else None


@dataclass
class TraceStep:
    """One step of a flow that this request went through (or, if `failed`, stopped at)."""

    key: str
    label: str
    ms: float | None = None
    detail: str = ""
    failed: bool = False

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "label": str(self.label),
            "ms": None if self.ms is None else round(self.ms, 3),
            "detail": str(self.detail),
            "failed": self.failed,
        }


# Sending the response is the last step of both usage flows. It happens to every request that
# authenticated, so it is implied by the trace rather than added by each view.
RESPONSE_STEP = TraceStep("response", _("Response sent"))


@dataclass
class RequestTrace:
    """Everything measured about one request's authentication and data access."""

    started: float = field(default_factory=time.perf_counter)
    scheme: str | None = None
    steps: list[TraceStep] = field(default_factory=list)
    sql_reads: int = 0
    sql_writes: int = 0
    sql_ms: float = 0.0
    statements: list[str] = field(default_factory=list)
    store_kind: str | None = None
    store_reads: int = 0
    store_writes: int = 0
    store_ms: float = 0.0
    auth_ms: float = 0.0
    # True once the request proved who it is; only such requests feed the rolling medians.
    authenticated: bool = False
    store_depth: int = 0  # nesting of store calls, so inner calls are not timed twice
    diagnostic: bool = False  # a request that is not one scheme's ordinary use: no medians

    @property
    def store_name(self) -> str | None:
        return store_name(self.store_kind)

    @property
    def sql_count(self) -> int:
        return self.sql_reads + self.sql_writes

    def shown_steps(self) -> list[TraceStep]:
        if self.authenticated and all(step.key != RESPONSE_STEP.key for step in self.steps):
            return [*self.steps, RESPONSE_STEP]
        return list(self.steps)

    def keys(self) -> set[str]:
        return {step.key for step in self.shown_steps()}

    def by_key(self) -> dict[str, TraceStep]:
        return {step.key: step for step in self.shown_steps()}

    def failed_step(self) -> TraceStep | None:
        return next((step for step in self.steps if step.failed), None)

    def add(
        self, key: str, label: str, ms: float | None = None, detail: str = "", failed=False
    ) -> TraceStep:
        step = TraceStep(key, label, ms, detail, failed)
        self.steps.append(step)
        return step

    def to_dict(self) -> dict:
        return {
            "scheme": self.scheme,
            "authenticated": self.authenticated,
            "steps": [step.to_dict() for step in self.shown_steps()],
            "auth_ms": round(self.auth_ms, 3),
            "store": {
                "kind": self.store_kind,
                "name": self.store_name,
                "reads": self.store_reads,
                "writes": self.store_writes,
                "ms": round(self.store_ms, 3),
            },
            "sql": {
                "reads": self.sql_reads,
                "writes": self.sql_writes,
                "count": self.sql_count,
                "ms": round(self.sql_ms, 3),
                "statements": list(self.statements),
            },
        }


class TracedRequest(Request):
    """Flask's request, carrying the trace of the auth work done to answer it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.trace = RequestTrace()


def current_trace() -> RequestTrace | None:
    """This request's trace; None outside a request (a CLI command, a script)."""
    if not has_request_context():
        return None
    return getattr(request._get_current_object(), "trace", None)


def trace_requested() -> bool:
    """JSON bodies carry the trace only when asked (`?trace=1`); Server-Timing always does."""
    return bool(request.query_string) and request.args.get("trace") == "1"


def with_trace(payload: dict) -> dict:
    """Add this request's trace to a JSON payload if the client asked for it."""
    if trace_requested():
        payload["trace"] = current_trace().to_dict()
    return payload


@contextmanager
def traced_step(
    key: str, label: str, detail: str = "", *, auth: bool = False
) -> Iterator[TraceStep]:
    """Time a block and record it as a step; `auth=True` adds its time to the auth cost."""
    trace = current_trace()
    step = TraceStep(key, label, None, detail)
    if trace is not None:
        trace.steps.append(step)
    start = time.perf_counter()
    try:
        yield step
    finally:
        step.ms = (time.perf_counter() - start) * 1000
        if trace is not None and auth:
            trace.auth_ms += step.ms


def traced(
    key: str,
    label: str,
    *,
    scheme: str | None = None,
    describe: Callable[[object], str] | None = None,
) -> Callable:
    """Record each call of the decorated function as one timed step of the trace.

    With `scheme`, the call is that scheme's authentication: its time is auth cost, and a
    result other than None means the request is authenticated.
    """

    def decorator(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            trace = current_trace()
            with traced_step(key, label, auth=scheme is not None) as step:
                result = func(*args, **kwargs)
            if describe is not None:
                step.detail = describe(result)
            if trace is not None and scheme is not None:
                trace.scheme = scheme
                trace.authenticated = result is not None
            return result

        return wrapper

    return decorator


def store_call(kind: str) -> Callable:
    """Count each call of a session-store method as a read or a write, and time it once.

    A call made inside another (deleting an expired record while reading it) is counted, but
    its time is already inside the outer call's.
    """

    def decorator(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(self, *args, **kwargs):
            trace = current_trace()
            if trace is None:
                return func(self, *args, **kwargs)
            trace.store_kind = self.store_kind
            if kind == "read":
                trace.store_reads += 1
            else:
                trace.store_writes += 1
            if trace.store_depth:
                return func(self, *args, **kwargs)
            trace.store_depth += 1
            started = time.perf_counter()
            try:
                return func(self, *args, **kwargs)
            finally:
                trace.store_ms += (time.perf_counter() - started) * 1000
                trace.store_depth -= 1

        return wrapper

    return decorator


class RecentAuthCosts:
    """Bounded, thread-safe memory of recent per-request auth costs, by scheme, in one process."""

    def __init__(self, limit: int = RECENT_LIMIT) -> None:
        self._samples: dict[str, deque[float]] = {}
        self._limit = limit
        self._lock = threading.Lock()

    def add(self, scheme: str, ms: float) -> None:
        with self._lock:
            self._samples.setdefault(scheme, deque(maxlen=self._limit)).append(ms)

    def summary(self) -> dict[str, dict]:
        """Median and count per scheme, with the process that measured them."""
        with self._lock:
            copies = {scheme: list(samples) for scheme, samples in self._samples.items()}
        return {
            scheme: {
                "count": len(values),
                "median_ms": round(statistics.median(values), 3),
                "worker_pid": os.getpid(),
            }
            for scheme, values in copies.items()
            if values
        }


def _is_write(statement: str) -> bool:
    verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
    return verb in {"INSERT", "UPDATE", "DELETE", "REPLACE", "UPSERT", "MERGE"}


def record_sql(statement: str, ms: float) -> None:
    """Count one SQL statement run for this request, and its time, into the trace."""
    trace = current_trace()
    if trace is None:
        return
    trace.sql_ms += ms
    if _is_write(statement):
        trace.sql_writes += 1
    else:
        trace.sql_reads += 1
    if len(trace.statements) < MAX_STATEMENTS_SHOWN:
        trace.statements.append(" ".join(statement.split())[:160])


def watch_engine(engine: Engine) -> None:
    """Count and time every SQL statement this engine runs on behalf of a request.

    A statement run on a raw driver connection (the SQLite session read) passes no engine
    event; whoever runs it calls record_sql() itself.
    """

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        # On the execution context, which lives exactly as long as this one statement.
        context._lab_started = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        started = getattr(context, "_lab_started", None)
        if started is not None:
            record_sql(statement, (time.perf_counter() - started) * 1000)


def server_timing_header(trace: RequestTrace) -> str:
    """Render the trace as a Server-Timing header (visible in DevTools → Network → Timing)."""
    parts = []
    if trace.scheme:
        desc = "jwt verify" if trace.scheme == "jwt" else f"session lookup ({trace.store_kind})"
        parts.append(f'auth;desc="{desc}";dur={trace.auth_ms:.3f}')
    if trace.store_kind and trace.store_kind != "sql":
        parts.append(
            f'store;desc="{trace.store_kind}: {trace.store_reads} reads, '
            f'{trace.store_writes} writes";dur={trace.store_ms:.3f}'
        )
    parts.append(
        f'db;desc="{trace.sql_reads} reads, {trace.sql_writes} writes";dur={trace.sql_ms:.3f}'
    )
    total = (time.perf_counter() - trace.started) * 1000
    parts.append(f'app;desc="total in app";dur={total:.3f}')
    return ", ".join(parts)


def init_tracing(app: Flask, engine: Engine) -> None:
    """Wire the traced request, the SQL counters and the Server-Timing header into the app."""
    app.request_class = TracedRequest
    watch_engine(engine)
    app.extensions["lab_recent_auth"] = RecentAuthCosts()

    @app.after_request
    def _add_server_timing(response: Response) -> Response:
        trace = current_trace()
        if trace is None:
            return response
        if trace.scheme and trace.authenticated and not trace.diagnostic:
            app.extensions["lab_recent_auth"].add(trace.scheme, trace.auth_ms)
        response.headers["Server-Timing"] = server_timing_header(trace)
        return response


def recent_auth_costs(app: Flask) -> dict[str, dict]:
    return app.extensions["lab_recent_auth"].summary()
