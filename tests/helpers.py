"""Helpers the tests share: signing in through the real forms and counting real SQL."""

from __future__ import annotations

import base64
import time

import jwt

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


class StatementCounter:
    """Counts the SQL statements an engine really runs, split into reads and writes."""

    WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    @property
    def writes(self) -> list[str]:
        return [s for s in self.statements if s.lstrip().upper().startswith(self.WRITE_VERBS)]

    @property
    def reads(self) -> list[str]:
        return [s for s in self.statements if s not in self.writes]

    def reset(self) -> None:
        self.statements.clear()


def csrf_token_from(html: str) -> str:
    marker = 'name="csrf_token" type="hidden" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


class SessionActions:
    """Sign in and out through the real forms, CSRF token included."""

    def __init__(self, client) -> None:
        self.client = client

    def login(self, username="alice", password="wonderland", **kwargs):
        page = self.client.get("/session/login")
        token = csrf_token_from(page.get_data(as_text=True))
        return self.client.post(
            "/session/login",
            data={"username": username, "password": password, "csrf_token": token},
            **kwargs,
        )

    def logout(self):
        page = self.client.get("/session/profile")
        token = csrf_token_from_any(page.get_data(as_text=True))
        return self.client.post("/session/logout", data={"csrf_token": token})


def csrf_token_from_any(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


class JwtActions:
    """Get tokens from the real token endpoint and call the API with them."""

    def __init__(self, client) -> None:
        self.client = client

    def token(self, username="alice", password="wonderland") -> str:
        response = self.client.post(
            "/jwt/api/token", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()["access_token"]

    def get(self, path: str, token: str):
        return self.client.get(path, headers={"Authorization": f"Bearer {token}"})
