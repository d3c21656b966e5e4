"""Hostile requests against the app under gunicorn, where a bad response header is a real 500.

The Flask test client accepts header values a WSGI server refuses, so "never a 500" is also
checked here, over a real socket.
"""

from __future__ import annotations

import http.client
import json

import pytest

from harness.servers import GunicornServer, app_environment, prepare_database
from tests.helpers import b64url, forge, good_claims

JWT_KEY = "live-server-test-jwt-key-that-is-long-enough-0123456789"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = app_environment(
        tmp_path_factory.mktemp("live-gunicorn"),
        SECRET_KEY="live-server-test-secret-key-long-enough-0123456789",
        JWT_SECRET_KEY=JWT_KEY,
    )
    prepare_database(env)
    running = GunicornServer(env, workers=1)
    yield running
    log = running.stop()
    assert "Traceback" not in log, log


def send(server, method: str, path: str, body: bytes | None = None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


BEARER_CASES = {
    "snowman alg": b64url(json.dumps({"alg": "☃", "typ": "JWT"}).encode()) + ".e30.sig",
    "latin-1 alg": b64url(json.dumps({"alg": "é"}).encode()) + ".e30.sig",
    "newline in alg": b64url(json.dumps({"alg": "HS256\r\nX-Evil: 1"}).encode()) + ".e30.sig",
    "superscript sub": None,  # filled in below: needs the key
    "long garbage": "a" * 7000,
    "latin-1 token": "ÿÿÿ.ÿÿÿ.ÿÿÿ",
}


@pytest.mark.parametrize("case", sorted(BEARER_CASES))
def test_hostile_bearer_tokens_get_a_clean_401(server, case):
    token = BEARER_CASES[case] or forge(good_claims(sub="²"), key=JWT_KEY)
    status, headers, body = send(
        server, "GET", "/jwt/api/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert status == 401, body
    assert headers["WWW-Authenticate"].isascii()
    assert "X-Evil" not in headers
    assert json.loads(body)["error"] == "invalid_token"


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 5000 + b"]" * 5000,
        b'{"username": "alice", "password": "\\udc80"}',
        b"\xff\xfe not utf-8",
        b"",
    ],
    ids=["nested", "surrogate", "invalid utf-8", "empty"],
)
def test_hostile_token_requests_get_a_clean_400(server, body):
    status, _, answer = send(
        server, "POST", "/jwt/api/token", body, {"Content-Type": "application/json"}
    )
    assert status == 400, answer
    assert json.loads(answer)["error"] == "invalid_request"


def test_a_huge_body_gets_413(server):
    status, _, answer = send(
        server, "POST", "/jwt/api/token", b"x" * 200_000, {"Content-Type": "application/json"}
    )
    assert status == 413
    assert json.loads(answer)["error"] == "request_entity_too_large"


def test_a_real_login_still_works_after_all_that(server):
    status, _, answer = send(
        server,
        "POST",
        "/jwt/api/token",
        json.dumps({"username": "alice", "password": "wonderland"}).encode(),
        {"Content-Type": "application/json"},
    )
    assert status == 200
    token = json.loads(answer)["access_token"]
    status, headers, _ = send(
        server, "GET", "/jwt/api/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert status == 200
    assert 'auth;desc="jwt verify"' in headers["Server-Timing"]
