"""The one Redis connection pool of a process, for whatever the app keeps in Redis.

With SESSION_STORE=redis both the sessions and the denylist of signed-out tokens live there, so
they share this client: one pool, one timeout policy, one place to change either.
"""

from __future__ import annotations

from flask import Flask
from redis import Redis

# A Redis that does not answer must not hold a worker for long.
SOCKET_TIMEOUT_SECONDS = 2


def connect_redis(app: Flask) -> Redis | None:
    """The app's Redis client when it keeps anything in Redis; None otherwise."""
    if app.config["SESSION_STORE"] != "redis":
        return None
    return Redis.from_url(
        app.config["REDIS_URL"],
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
    )
