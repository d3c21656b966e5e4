"""Helpers the tests share: forging tokens and counting real SQL statements.

Signing in through the real forms lives in `harness.actions`, shared with the benchmark.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable

import jwt
from sqlalchemy import event

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
TEST_JWT_SECRET = "test-jwt-signing-key-long-enough-even-for-hs512-0123456789abcdefghij"
ISSUER = "session-vs-jwt-lab"
AUDIENCE = "session-vs-jwt-lab:api"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def good_claims(**changes) -> dict:
    """The claims the site issues, valid now; a change of None drops that claim."""
    now = int(time.time())
    claims = {
        "sub": "1",
        "username": "alice",
        "name": "Alice Liddell",
        "iat": now,
        "exp": now + 600,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "jti": "abc123",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def forge(claims: dict, key: str = TEST_JWT_SECRET, algorithm: str = "HS256", headers=None) -> str:
    """Sign arbitrary claims, as an attacker with (or without) the right key would."""
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


def make_token(header: dict, claims: dict, sign: Callable[[bytes], bytes]) -> str:
    """A token made by hand, as an attacker makes one: no library between them and the bytes.
    `sign` maps the signing input to the signature (b"" for none)."""
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    return f"{signing_input}.{b64url(sign(signing_input.encode()))}"


def hs256_with(secret: bytes) -> Callable[[bytes], bytes]:
    """HMAC-SHA256 with any secret, a PEM included (which PyJWT would refuse as an HMAC key)."""
    return lambda data: hmac.new(secret, data, hashlib.sha256).digest()


def tampered(token: str) -> str:
    """The same token with its payload changed to Bob's, the signature left as it was."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims |= {"sub": "2", "username": "bob", "name": "Bob the Builder"}
    return ".".join([header, b64url(json.dumps(claims).encode()), signature])


class StatementCounter:
    """The SQL statements the database really ran, split into reads and writes.

    On SQLite it listens to the database itself (sqlite3's trace callback on every pooled
    connection), so no statement escapes it, whether it went through the ORM, Core or the
    driver. On a server database it listens to the engine's events. Transaction control
    (BEGIN, COMMIT, ROLLBACK) and PRAGMAs are not statements about data, and are left out.
    """

    WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")
    DATA_VERBS = ("SELECT", "WITH", *WRITE_VERBS)

    def __init__(self) -> None:
        self.statements: list[str] = []

    def record(self, statement: str) -> None:
        if statement.lstrip().upper().startswith(self.DATA_VERBS):
            self.statements.append(statement)

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.record(statement)

    def attach(self, engine) -> Callable[[], None]:
        """Start counting on `engine`; return the function that stops it."""
        if engine.dialect.name != "sqlite":
            event.listen(engine, "before_cursor_execute", self)
            return lambda: event.remove(engine, "before_cursor_execute", self)

        def trace(dbapi_connection, connection_record) -> None:
            dbapi_connection.set_trace_callback(self.record)

        engine.dispose()  # every connection from now on is new, and traced from its first use
        event.listen(engine, "connect", trace)

        def detach() -> None:
            event.remove(engine, "connect", trace)
            engine.dispose()

        return detach

    @property
    def writes(self) -> list[str]:
        return [s for s in self.statements if s.lstrip().upper().startswith(self.WRITE_VERBS)]

    @property
    def reads(self) -> list[str]:
        return [s for s in self.statements if s not in self.writes]

    def reset(self) -> None:
        self.statements.clear()


def flow_marks(html: str, flow_key: str) -> dict[str, set[str]]:
    """The classes of each step of one drawn flow: {"store_lookup": {"done"}, ...}."""
    start = html.index(f'data-flow="{flow_key}"')
    figure = html[start : html.index("</figure>", start)]
    return {
        key: set(classes.split()) - {"flow-step"} - {c for c in classes.split() if "actor-" in c}
        for classes, key in re.findall(r'<li class="([^"]*)"\s+data-step="([^"]+)"', figure)
    }


def step_notes(html: str, flow_key: str) -> dict[str, str]:
    """The screen-reader note of each step of one drawn flow ("" where there is none)."""
    start = html.index(f'data-flow="{flow_key}"')
    figure = html[start : html.index("</figure>", start)]
    items = re.findall(r'data-step="([^"]+)".*?data-step-note>([^<]*)<', figure, re.S)
    return dict(items)


def set_cookie_header(response, name: str) -> str:
    """The `Set-Cookie` header a response sent for one cookie; fails if it sent none."""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            return header
    raise AssertionError(f"the response set no {name} cookie")


def race(app, token: str, *calls) -> list:
    """Run each call at the same moment, each on its own client holding refresh `token`."""
    import threading

    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        client = app.test_client()
        client.set_cookie("lab_refresh", token, path="/jwt/api/auth")
        barrier.wait()
        results[index] = call(client)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
