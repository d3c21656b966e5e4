"""Rate limits on the sign-ins, sign-up and token endpoints (app/rate_limits.py): per client
address and per username, answered 429 with Retry-After, and no password hash for a refused try."""

from __future__ import annotations

import pytest
from redis import Redis

from app.extensions import limiter
from harness.actions import DEMO_PASSWORDS, SessionActions, csrf_token_from

FETCH = {"X-Requested-With": "fetch"}


@pytest.fixture
def limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    limiter.reset()
    yield app
    limiter.reset()


@pytest.fixture
def hashes(monkeypatch):
    """How many password hashes the sign-ins computed."""
    import app.accounts.credentials as credentials

    count = {"n": 0}
    real = credentials.check_password_hash

    def counting(*args, **kwargs):
        count["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(credentials, "check_password_hash", counting)
    return count


def wrong_session_login(client, form_page: str, username="alice", address="10.0.0.1"):
    return client.post(
        "/session/login",
        data={"username": username, "password": "nope", "csrf_token": csrf_token_from(form_page)},
        environ_base={"REMOTE_ADDR": address},
    )


def test_300_wrong_passwords_in_a_row_are_stopped_after_ten_and_cost_no_more_hashes(
    limited, hashes
):
    client = limited.test_client()
    page = client.get("/session/login").get_data(as_text=True)
    statuses = [wrong_session_login(client, page).status_code for _ in range(300)]
    assert statuses[:10] == [401] * 10  # the form again, with "Invalid username or password."
    assert set(statuses[10:]) == {429}
    assert hashes["n"] == 10  # a refused attempt costs no password hash


def test_a_refusal_says_when_to_try_again_in_the_format_the_client_expects(limited):
    client = limited.test_client()
    page = client.get("/session/login").get_data(as_text=True)
    for _ in range(10):
        wrong_session_login(client, page)
    refused = wrong_session_login(client, page)
    assert refused.status_code == 429
    seconds = int(refused.headers["Retry-After"])
    assert 1 <= seconds <= 61
    html = refused.get_data(as_text=True)
    assert refused.mimetype == "text/html"
    assert f"Too many attempts. Wait {seconds} seconds, then try again." in html
    body = {"username": "alice", "password": "nope"}
    for _ in range(10):
        client.post("/jwt/api/token", json=body, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    api = client.post("/jwt/api/token", json=body, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert api.status_code == 429
    assert api.get_json()["error"] == "too_many_requests"
    assert api.headers["Retry-After"].isdigit()


def test_korean_visitors_are_told_in_korean(limited):
    client = limited.test_client()
    headers = {"Accept-Language": "ko"}
    page = client.get("/session/login", headers=headers).get_data(as_text=True)
    for _ in range(10):
        wrong_session_login(client, page)
    refused = client.post(
        "/session/login",
        data={"username": "alice", "password": "x", "csrf_token": csrf_token_from(page)},
        headers=headers,
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )
    assert refused.status_code == 429
    seconds = refused.headers["Retry-After"]
    assert f"시도가 너무 많습니다. {seconds}초 기다린 뒤 다시 시도하세요." in refused.get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("changing", "allowed"),
    [("address", 10), ("username", 30)],
    ids=["one username from many addresses", "one address for many usernames"],
)
def test_each_limit_holds_whatever_else_changes(limited, changing, allowed):
    client = limited.test_client()
    page = client.get("/session/login").get_data(as_text=True)
    statuses = []
    for n in range(allowed + 2):
        vary = {"address": f"10.0.1.{n}"} if changing == "address" else {"username": f"user{n}"}
        statuses.append(wrong_session_login(client, page, **vary).status_code)
    assert statuses == [401] * allowed + [429, 429]


def test_a_username_is_one_name_however_it_is_spelled(limited):
    client = limited.test_client()
    page = client.get("/session/login").get_data(as_text=True)
    spellings = ["alice", "ALICE", "ａｌｉｃｅ", " Alice "] * 3
    statuses = [
        wrong_session_login(client, page, username=name, address=f"10.0.2.{n}").status_code
        for n, name in enumerate(spellings)
    ]
    assert statuses[10:] == [429, 429]


def test_other_users_and_the_rest_of_the_site_are_untouched(limited):
    client = limited.test_client()
    page = client.get("/session/login").get_data(as_text=True)
    for _ in range(12):
        wrong_session_login(client, page, address="10.0.3.1")
    assert client.get("/session/login").status_code == 200  # showing the form is free
    assert client.get("/").status_code == 200
    other = limited.test_client()
    signed_in = SessionActions(other).login("bob", environ_base={"REMOTE_ADDR": "10.0.3.2"})
    assert signed_in.status_code == 302


def test_the_limits_cover_sign_up_and_refresh(limited):
    client = limited.test_client()
    page = client.get("/account/signup").get_data(as_text=True)
    form = {"password": "a long enough password", "csrf_token": csrf_token_from(page)}
    statuses = [
        client.post(
            "/account/signup",
            data={**form, "username": f"new{n}"},
            environ_base={"REMOTE_ADDR": "10.0.4.1"},
        ).status_code
        for n in range(31)
    ]
    assert statuses[-1] == 429
    refreshes = [
        client.post(
            "/jwt/api/auth/refresh", headers=FETCH, environ_base={"REMOTE_ADDR": "10.0.5.1"}
        ).status_code
        for _ in range(61)
    ]
    assert set(refreshes[:60]) == {401} and refreshes[60] == 429


def test_a_request_naming_no_one_fills_no_shared_username_bucket(limited):
    client = limited.test_client()
    statuses = [
        client.post(
            "/jwt/api/token", json={}, environ_base={"REMOTE_ADDR": f"10.0.6.{n}"}
        ).status_code
        for n in range(15)
    ]
    assert set(statuses) == {400}
    good = {"username": "alice", "password": DEMO_PASSWORDS["alice"]}
    assert client.post("/jwt/api/token", json=good).status_code == 200


@pytest.mark.parametrize("address", ["url", "socket_url"])
def test_with_redis_the_counts_live_in_redis_over_tcp_or_a_unix_socket(
    make_app, redis_server, monkeypatch, address
):
    """Every worker and instance then shares them: each reads and writes the same keys."""
    client_redis = Redis.from_url(redis_server.url)
    client_redis.flushdb()
    monkeypatch.setenv("REDIS_URL", getattr(redis_server, address))
    first = make_app(RATELIMIT_ENABLED=True, SESSION_STORE="redis").test_client()
    page = first.get("/session/login").get_data(as_text=True)
    assert [wrong_session_login(first, page).status_code for _ in range(10)] == [401] * 10
    assert client_redis.exists("LIMITS:LIMITER/username:alice/session_auth.login/10/1/minute")
    # Another app (another worker) reading the same Redis is already at the limit.
    second = make_app(RATELIMIT_ENABLED=True, SESSION_STORE="redis").test_client()
    other_page = second.get("/session/login").get_data(as_text=True)
    assert wrong_session_login(second, other_page).status_code == 429
    client_redis.flushdb()
    client_redis.close()
