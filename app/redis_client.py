"""The one Redis connection pool of a process, for whatever the app keeps in Redis.

With SESSION_STORE=redis both the sessions and the denylist of signed-out tokens live there, so
they share this client: one pool, one timeout policy, one place to change either.

Fail fast. A Redis that has stopped answering (a network partition, a long fork, `kill -STOP`)
still accepts connections, and every command then waits for its timeout. Each session request
would hold a worker thread that long, and enough of them stall the whole site, JWT included. So:
- connecting and each command give up after TIMEOUT_SECONDS (0.25 s), with no retry;
- after FAILURES_TO_OPEN failures in a row the circuit opens: for OPEN_SECONDS every command
  fails at once, without touching the network, and session requests answer 503 in about a
  millisecond; then one request tries Redis again, and its success closes the circuit.
A session request therefore answers within TIMEOUT_SECONDS (plus the request's own work), or
at once while the circuit is open. The breaker is the `circuitbreaker` package's; its state is
per process, which is what a worker needs to protect itself.
"""

from __future__ import annotations

import logging

from circuitbreaker import CircuitBreaker
from flask import Flask
from redis import Redis
from redis.backoff import NoBackoff
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


class GuardedRedis(Redis):
    """A Redis client whose every command goes through one circuit breaker."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.breaker = CircuitBreaker(
            failure_threshold=FAILURES_TO_OPEN,
            recovery_timeout=OPEN_SECONDS,
            # Only "Redis did not answer" counts; a wrong command says nothing about Redis.
            expected_exception=(RedisConnectionError, RedisTimeoutError),
            name="redis",
            fallback_function=self._refuse,
        )
        self._guarded = self.breaker.decorate(super().execute_command)

    def execute_command(self, *args, **options):
        try:
            return self._guarded(*args, **options)
        except CircuitOpen:
            raise
        except (RedisConnectionError, RedisTimeoutError):
            if self.breaker.opened:
                # Said once, when the circuit opens; the requests refused while it stays open
                # are not logged one by one (see log_store_failure).
                logger.warning(
                    "Redis failed %d times in a row: failing fast for %d s",
                    FAILURES_TO_OPEN,
                    OPEN_SECONDS,
                )
            raise

    def _refuse(self, *args, **options):
        raise CircuitOpen(
            f"Redis failed {FAILURES_TO_OPEN} times in a row; not asked again for {OPEN_SECONDS} s"
        )


def connect_redis(app: Flask) -> GuardedRedis | None:
    """The app's Redis client when it keeps anything in Redis; None otherwise."""
    if app.config["SESSION_STORE"] != "redis":
        return None
    options = {}
    if app.config["REDIS_URL"].startswith("rediss://") and not app.config["REDIS_TLS_VERIFY"]:
        # Heroku Redis serves TLS with a self-signed certificate (see app.json).
        options["ssl_cert_reqs"] = "none"
    return GuardedRedis.from_url(
        app.config["REDIS_URL"],
        socket_timeout=TIMEOUT_SECONDS,
        socket_connect_timeout=TIMEOUT_SECONDS,
        # redis-py retries a timed-out command three times by default, with back-off: that
        # would turn a quarter of a second into seconds.
        retry=Retry(NoBackoff(), 0),
        **options,
    )


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
