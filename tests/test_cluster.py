"""The three setups of `make cluster`, for real: gunicorn instances behind Debian's nginx,
round-robin, started by the same code as `make cluster` (harness/cluster.py).

Each test sends requests through the proxy and groups the answers by X-Served-By.
"""

from __future__ import annotations

import http.client
import json
from collections import defaultdict
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

import jwt
import pytest

from harness.actions import DEMO_PASSWORDS, SESSION_COOKIE, sign_in_over_http
from harness.servers import find_binary


def request(url: str, method: str, path: str, headers=None, body: bytes | None = None):
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


def instance_of(response) -> str:
    """ "app-2" of "app-2/4711": the instance, whatever its worker."""
    return response.getheader("X-Served-By").split("/")[0]


def probe_session(cluster, cookie: str, times: int = 6) -> dict[str, set[str]]:
    """What each instance made of the session cookie: {"app-1": {"found"}, ...}."""
    seen = defaultdict(set)
    for _ in range(times):
        response, body = request(cluster.url, "GET", "/lab/scale/api/probe", {"Cookie": cookie})
        assert response.status == 200
        # No instance deletes a cookie it cannot place: the session lives on elsewhere.
        sent = SimpleCookie(response.getheader("Set-Cookie") or "")
        if SESSION_COOKIE in sent:
            assert f"{SESSION_COOKIE}={sent[SESSION_COOKIE].value}" == cookie
        seen[instance_of(response)].add(json.loads(body)["session"]["cookie"])
    return seen


@pytest.mark.parametrize("cluster", ["memory"], indirect=True)
def test_memory_sessions_are_known_to_one_instance_only(cluster):
    assert cluster.store == "memory"
    cookie = sign_in_over_http(cluster.url)
    seen = probe_session(cluster, cookie)
    assert set(seen) == {"app-1", "app-2"}  # round-robin: both answered
    assert sorted(seen.values(), key=sorted) == [{"found"}, {"unknown"}]
    # The page says the same to the visitor: signed in on one instance, not on the other.
    pills = set()
    for _ in range(2):
        response, page = request(cluster.url, "GET", "/lab/scale", {"Cookie": cookie})
        found = b"found it:" in page
        pills.add((instance_of(response), found))
    assert {found for _, found in pills} == {True, False}


@pytest.mark.parametrize("cluster", ["shared"], indirect=True)
def test_a_shared_store_knows_the_session_on_every_instance(cluster):
    # With redis-server installed (CI installs it) the shared store is Redis.
    assert cluster.store == ("redis" if find_binary("redis-server") else "sql")
    cookie = sign_in_over_http(cluster.url)
    seen = probe_session(cluster, cookie)
    assert seen == {"app-1": {"found"}, "app-2": {"found"}}


def token_from(cluster) -> tuple[str, str]:
    """(the instance that signed it, an access token), through the proxy."""
    body = json.dumps({"username": "alice", "password": DEMO_PASSWORDS["alice"]}).encode()
    response, answer = request(
        cluster.url, "POST", "/jwt/api/token", {"Content-Type": "application/json"}, body
    )
    assert response.status == 200, answer
    return instance_of(response), json.loads(answer)["access_token"]


def verdicts(cluster, token: str) -> dict[str, set]:
    seen = defaultdict(set)
    for _ in range(6):
        headers = {"Authorization": f"Bearer {token}"}
        response, body = request(cluster.url, "GET", "/jwt/api/check", headers)
        assert response.status == 200
        verdict = json.loads(body)
        seen[instance_of(response)].add(verdict["valid"] or verdict["reason"])
    return seen


@pytest.mark.parametrize("cluster", ["jwt"], indirect=True)
def test_every_instance_with_the_key_accepts_the_token_and_one_without_refuses(cluster):
    tokens = dict(token_from(cluster) for _ in range(3))  # round-robin: one from each instance
    assert set(tokens) == {"app-1", "app-2", "app-3"}

    def refused(signer: str) -> set:
        kid = jwt.get_unverified_header(tokens[signer])["kid"]
        return {f"the token names a key this server does not have (kid '{kid}')"}

    for signer in ("app-1", "app-2"):
        assert verdicts(cluster, tokens[signer]) == {
            "app-1": {True},
            "app-2": {True},
            "app-3": refused(signer),
        }
    assert verdicts(cluster, tokens["app-3"]) == {
        "app-1": refused("app-3"),
        "app-2": refused("app-3"),
        "app-3": {True},
    }
