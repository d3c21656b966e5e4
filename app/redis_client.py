"""The one Redis connection pool of a process, for whatever the app keeps in Redis.

With SESSION_STORE=redis both the sessions and the denylist of signed-out tokens live there, so
they share this client: one pool, one timeout policy, one place to change either.

Fail fast. A Redis that has stopped answering (a network partition, a long fork, `kill -STOP`)
still accepts connections, and every command then waits for its timeout. Each session request
would hold a worker thread that long, and enough of them stall the whole site, JWT included. So:
- connecting and each command give up after TIMEOUT_SECONDS (0.25 s), with no retry;
- after FAILURES_TO_OPEN failures in a row the circuit opens: for OPEN_SECONDS every command
  fails at once, without touching the network, and session requests answer 503 in about a
  millisecond; then a single request tries Redis again (the others keep failing fast) and its
  success closes the circuit, its failure opens it again.
A session request sends Redis one command to read the session (a sign-in or a sign-out, two or
three), so it answers within TIMEOUT_SECONDS per command it sends, plus its own work, or at once
while the circuit is open.

The breaker is written here, small, because neither library at hand fits a threaded worker:
pybreaker holds its lock across the call itself, so every Redis command of a process would wait
for the one before it; circuitbreaker keeps its count without a lock and, once the open period
ends, lets every waiting request try Redis at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flask import Flask
from redis import Redis
from redis.backoff import NoBackoff
from redis.client import Pipeline
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from app.logs import one_line

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 0.25
FAILURES_TO_OPEN = 3
OPEN_SECONDS = 5


class CircuitOpen(RedisConnectionError):
    """Redis failed repeatedly just now, so it was not asked: a RedisError like any other."""


class CircuitBreaker:
    """Closed, open after `failures_to_open` failures in a row, then one trial at a time.

    Thread-safe; the lock is held only to read and change the state, never during a call.
    """

    def __init__(
        self,
        failures_to_open: int = FAILURES_TO_OPEN,
        open_seconds: float = OPEN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failures_to_open = failures_to_open
        self.open_seconds = open_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._opened_at is not None

    def before_call(self) -> bool:
        """Raise CircuitOpen, or let the call go; returns whether it is the one trial call."""
        with self._lock:
            if self._opened_at is None:
                return False
            waited = self.clock() - self._opened_at
            if waited < self.open_seconds or self._trial_running:
                raise CircuitOpen(
                    f"Redis failed {self.failures_to_open} times in a row; not asked again "
                    f"for {self.open_seconds:g} s"
                )
            self._trial_running = True
            return True

    def succeeded(self, trial: bool) -> None:
        with self._lock:
            if trial:
                self._trial_running = False
            self._failures = 0
            self._opened_at = None

    def abandoned(self, trial: bool) -> None:
        if trial:
            with self._lock:
                self._trial_running = False

    def failed(self, trial: bool) -> bool:
        """Count a failure; returns True when this failure opened the circuit."""
        with self._lock:
            if trial:
                self._trial_running = False
                self._opened_at = self.clock()  # still down: wait again
                return False
            if self._opened_at is not None:
                return False  # in flight when the circuit opened: already counted as down
            self._failures += 1
            if self._failures < self.failures_to_open:
                return False
            self._opened_at = self.clock()
            return True


class GuardedRedis(Redis):
    """A Redis client whose every command goes through one circuit breaker."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.breaker = CircuitBreaker()

    def execute_command(self, *args, **options):
        return self._through_breaker(super().execute_command, *args, **options)

    def atomically(self, queue: Callable[[Pipeline], object]) -> list:
        """The commands `queue` puts on a pipeline, sent as one MULTI/EXEC (one round trip, all
        or nothing), through the same breaker: a pipeline does not call `execute_command`."""

        def run() -> list:
            with self.pipeline(transaction=True) as pipe:
                queue(pipe)
                return pipe.execute()

        return self._through_breaker(run)

    def _through_breaker(self, call: Callable, *args, **options):
        trial = self.breaker.before_call()
        try:
            result = call(*args, **options)
        except (RedisConnectionError, RedisTimeoutError):
            if self.breaker.failed(trial):
                # Said once, when the circuit opens; the requests it then refuses are not
                # logged one by one (see log_store_failure).
                logger.warning(
                    "Redis failed %d times in a row: failing fast for %d s",
                    FAILURES_TO_OPEN,
                    OPEN_SECONDS,
                )
            raise
        except RedisError:
            self.breaker.succeeded(trial)  # Redis answered: with an error of the command's own
            raise
        except BaseException:
            self.breaker.abandoned(trial)  # interrupted: it says nothing about Redis
            raise
        self.breaker.succeeded(trial)
        return result


def connect_redis(app: Flask) -> GuardedRedis | None:
    """The app's Redis client when it keeps anything in Redis; None otherwise."""
    if app.config["SESSION_STORE"] != "redis":
        return None
    return GuardedRedis.from_url(
        app.config["REDIS_URL"],
        # redis-py retries a timed-out command three times by default, with back-off: that
        # would turn a quarter of a second into seconds.
        retry=Retry(NoBackoff(), 0),
        **connection_options(app.config["REDIS_URL"], app.config["REDIS_TLS_VERIFY"]),
    )


def connection_options(url: str, tls_verify: bool) -> dict:
    """How every Redis client here connects (the app's, and the rate limiter's): the same
    time-outs, and the same TLS leniency where REDIS_TLS_VERIFY allows it."""
    options = {"socket_timeout": TIMEOUT_SECONDS, "socket_connect_timeout": TIMEOUT_SECONDS}
    if url.startswith("rediss://") and not tls_verify:
        # Heroku Redis serves TLS with a self-signed certificate (see app.json).
        options["ssl_cert_reqs"] = "none"
    return options


def log_store_failure(
    log: logging.Logger, level: int, error: Exception, what: str = "session store unavailable"
) -> None:
    """One line for the operator per real failure; none for a request the open circuit
    refused, since the opening was logged and thousands of such lines would bury it."""
    if not isinstance(error, CircuitOpen):
        log.log(level, "%s: %s", what, one_line(error))


def redis_health(client: Redis) -> str:
    """ "ok", or in a few words why Redis cannot be used right now."""
    try:
        client.ping()
    except CircuitOpen:
        return f"unavailable: failing fast for up to {OPEN_SECONDS} s after repeated failures"
    except RedisError:
        return "unreachable"
    return "ok"
