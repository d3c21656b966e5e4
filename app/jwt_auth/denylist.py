"""The denylist: access tokens signed out before their `exp`, remembered by `jti` until then.

This is what revoking a JWT costs: a lookup on every request that wants to honour it, the store
read that stateless verification was meant to avoid. Only `/jwt/api/checked/*` pays it; the
stateless `/jwt/api/me` never looks. Entries live in the database, or in Redis when the session
store is Redis, and expire by themselves there (a TTL) or are swept in small batches here.
"""

from __future__ import annotations

import time

from flask import Flask, current_app
from redis import Redis
from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.hot_reads import HotRead
from app.models import RevokedAccessToken
from app.tracing import store_call

# Run like the session read, so the two schemes' lookups cost alike (app/hot_reads.py).
_IS_REVOKED = HotRead(
    select(RevokedAccessToken.jti).where(
        RevokedAccessToken.jti == bindparam("jti"),
        RevokedAccessToken.expires_at > bindparam("now"),
    )
)


class SqlDenylist:
    """Revoked `jti`s in the `revoked_access_tokens` table."""

    store_kind = "sql"

    @store_call("read")
    def is_revoked(self, jti: str) -> bool:
        return _IS_REVOKED.first(db.engine, {"jti": jti, "now": int(time.time())}) is not None

    @store_call("write")
    def revoke(self, jti: str, expires_at: int) -> None:
        table = RevokedAccessToken.__table__
        dialect = db.engine.dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(table).values(jti=jti, expires_at=expires_at)
        statement = statement.on_conflict_do_nothing(index_elements=[table.c.jti])
        with db.engine.begin() as conn:
            conn.execute(statement)
            self._sweep_expired(conn, current_app.config["JWT_SWEEP_BATCH"])

    @staticmethod
    def _sweep_expired(conn, limit: int) -> None:
        oldest = (
            select(RevokedAccessToken.jti)
            .where(RevokedAccessToken.expires_at <= int(time.time()))
            .order_by(RevokedAccessToken.expires_at)
            .limit(limit)
        )
        conn.execute(delete(RevokedAccessToken).where(RevokedAccessToken.jti.in_(oldest)))


class RedisDenylist:
    """Revoked `jti`s as Redis keys that expire at the token's own `exp`."""

    store_kind = "redis"
    prefix = "denylist:"

    def __init__(self, client: Redis) -> None:
        self.client = client

    @store_call("read")
    def is_revoked(self, jti: str) -> bool:
        return bool(self.client.exists(self.prefix + jti))

    @store_call("write")
    def revoke(self, jti: str, expires_at: int) -> None:
        self.client.set(self.prefix + jti, b"1", exat=expires_at, nx=True)


def init_denylist(app: Flask, redis_client: Redis | None) -> None:
    """Keep the denylist where the sessions are: Redis if they are in Redis, else the database."""
    denylist = RedisDenylist(redis_client) if redis_client is not None else SqlDenylist()
    app.extensions["lab_denylist"] = denylist


def denylist() -> SqlDenylist | RedisDenylist:
    return current_app.extensions["lab_denylist"]
