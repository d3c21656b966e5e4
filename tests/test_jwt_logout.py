"""Signing a JWT out: the denylist, the stateless and the checked routes, and what each costs."""

from __future__ import annotations

import time

import pytest
import time_machine
from redis import Redis
from sqlalchemy import func, select

from app.extensions import db
from app.models import RevokedAccessToken
from tests.helpers import set_cookie_header

FETCH = {"X-Requested-With": "fetch"}
REVOKED = "the token was revoked"


def sign_in(client, storage=None):
    body = {"username": "alice", "password": "wonderland"}
    if storage:
        body["storage"] = storage
    response = client.post("/jwt/api/token", json=body)
    assert response.status_code == 200
    return response.get_json()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def logout(client, token=None, **kwargs):
    headers = {**FETCH, **(bearer(token) if token else {}), **kwargs.pop("headers", {})}
    return client.post("/jwt/api/auth/logout", headers=headers, **kwargs)


def timing(response) -> str:
    return response.headers["Server-Timing"]


@pytest.fixture(params=["sql", "redis"])
def denylist_app(request, make_app):
    """The denylist in the database, and in a real Redis when the sessions are there."""
    if request.param == "sql":
        return make_app()
    server = request.getfixturevalue("redis_server")
    Redis.from_url(server.url).flushdb()
    return make_app(SESSION_STORE="redis", REDIS_URL=server.url)


def test_logout_revokes_the_family_and_denies_the_access_token_until_exp(denylist_app):
    client = denylist_app.test_client()
    token = sign_in(client)["access_token"]
    response = logout(client, token)
    body = response.get_json()
    assert response.status_code == 200
    assert body["signed_out"] is True
    assert body["refresh_family_revoked"] is True
    assert body["access_token_revoked"] is True
    assert body["revoked_until"] > time.time()
    assert "Max-Age=0" in set_cookie_header(response, "lab_refresh")
    # The stateless check still accepts a copy: that is the point of a JWT.
    assert client.get("/jwt/api/me", headers=bearer(token)).status_code == 200
    # The checked route looks the jti up, and refuses it.
    refused = client.get("/jwt/api/checked/me", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.get_json()["reason"] == REVOKED
    assert refused.get_json()["failed_step"] == "denylist"
    challenge = refused.headers["WWW-Authenticate"]
    assert 'error="invalid_token"' in challenge and REVOKED in challenge


def test_the_checked_route_costs_one_store_read_and_the_stateless_one_none(denylist_app):
    client = denylist_app.test_client()
    token = sign_in(client)["access_token"]
    stateless = client.get("/jwt/api/me?trace=1", headers=bearer(token))
    checked = client.get("/jwt/api/checked/me?trace=1", headers=bearer(token))
    assert stateless.status_code == checked.status_code == 200
    plain, looked_up = stateless.get_json(), checked.get_json()
    assert {k: v for k, v in plain.items() if k != "trace"} == {
        k: v for k, v in looked_up.items() if k != "trace"
    }
    assert plain["trace"]["store"]["reads"] == 0 and plain["trace"]["sql"]["count"] == 0
    assert looked_up["trace"]["store"]["reads"] == 1
    kind = denylist_app.config["SESSION_STORE"]
    assert looked_up["trace"]["store"]["kind"] == kind
    assert looked_up["trace"]["sql"]["count"] == (1 if kind == "sql" else 0)
    steps = {s["key"]: s for s in looked_up["trace"]["steps"]}
    assert "denylist" in steps and not steps["denylist"]["failed"]
    assert "denylist" not in {s["key"] for s in plain["trace"]["steps"]}
    assert 'db;desc="0 reads' in timing(stateless)
    if kind == "redis":
        assert 'store;desc="redis: 1 reads, 0 writes"' in timing(checked)
    else:
        assert 'db;desc="1 reads, 0 writes"' in timing(checked)


def test_a_denylist_entry_goes_when_the_token_expires(make_app, sql_counter):
    app = make_app()
    client = app.test_client()
    with time_machine.travel(time.time(), tick=False) as clock:
        token = sign_in(client)["access_token"]
        logout(client, token)
        clock.shift(301)
        # The token has expired by itself: a new sign-out sweeps the stale entry.
        other = sign_in(client)["access_token"]
        logout(client, other)
        with app.app_context():
            left = db.session.scalar(select(func.count()).select_from(RevokedAccessToken))
    assert left == 1


def test_a_redis_denylist_entry_expires_at_the_tokens_exp(make_app, redis_server):
    redis = Redis.from_url(redis_server.url)
    redis.flushdb()
    app = make_app(SESSION_STORE="redis", REDIS_URL=redis_server.url)
    client = app.test_client()
    body = sign_in(client)
    logout(client, body["access_token"])
    keys = redis.keys("denylist:*")
    assert len(keys) == 1
    ttl = redis.ttl(keys[0])
    assert 0 < ttl <= 300


def test_logout_with_only_the_refresh_cookie_needs_the_fetch_header(client):
    sign_in(client)
    assert client.post("/jwt/api/auth/logout").status_code == 400
    response = client.post("/jwt/api/auth/logout", headers=FETCH)
    assert response.status_code == 200
    assert response.get_json()["refresh_family_revoked"] is True
    assert response.get_json()["access_token_revoked"] is False


def test_logout_with_nothing_to_sign_out_is_a_400(make_app):
    client = make_app().test_client()
    response = client.post("/jwt/api/auth/logout", headers=FETCH)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


def test_the_refresh_token_is_refused_after_logout(client):
    token = sign_in(client)["access_token"]
    copy = client.get_cookie("lab_refresh", path="/jwt/api/auth").value
    logout(client, token)
    client.set_cookie("lab_refresh", copy, path="/jwt/api/auth")
    response = client.post("/jwt/api/auth/refresh", headers=FETCH)
    assert response.status_code == 401
    assert response.get_json()["reason"] == (
        "the refresh token was revoked: this sign-in was signed out"
    )


def test_the_replay_sends_the_copies_kept_at_sign_out(client):
    """Session cookie refused at once; access token accepted stateless, refused checked."""
    token = sign_in(client, storage="cookie")
    logout(
        client,
        json={"keep_copy": True},
        headers={"X-CSRF-Token": client.get_cookie("lab_access_csrf", path="/").value},
    )
    assert client.get_cookie("lab_access", path="/jwt/api") is None
    result = client.post("/jwt/api/auth/replay", headers=FETCH).get_json()
    assert token["storage"] == "cookie"
    assert result["refresh_token"]["status"] == 401
    assert "signed out" in result["refresh_token"]["body"]["reason"]
    assert result["access_token"]["stateless"]["status"] == 200
    assert result["access_token"]["checked"]["status"] == 401
    assert result["access_token"]["checked"]["body"]["reason"] == REVOKED
    # The copies are used once.
    again = client.post("/jwt/api/auth/replay", headers=FETCH).get_json()
    assert again == {"refresh_token": None, "access_token": None}


def test_the_replay_needs_the_fetch_header(client):
    assert client.post("/jwt/api/auth/replay").status_code == 400


def test_a_token_without_jti_is_refused_so_it_can_always_be_signed_out(client):
    from tests.helpers import forge, good_claims

    token = forge(good_claims(jti=None))
    for path in ("/jwt/api/me", "/jwt/api/checked/me"):
        response = client.get(path, headers=bearer(token))
        assert response.status_code == 401
        assert response.get_json()["reason"] == "the token has no 'jti' claim"
    assert logout(client, token).status_code == 401


def test_with_leeway_the_denylist_holds_the_token_as_long_as_verification_accepts_it(make_app):
    app = make_app(JWT_LEEWAY_SECONDS=30)
    client = app.test_client()
    with time_machine.travel(time.time(), tick=False) as clock:
        token = sign_in(client)["access_token"]
        clock.shift(310)  # past exp, inside the leeway: still accepted
        assert client.get("/jwt/api/me", headers=bearer(token)).status_code == 200
        answer = logout(client, token).get_json()
        assert answer["access_token_revoked"] is True
        refused = client.get("/jwt/api/checked/me", headers=bearer(token))
    assert refused.get_json()["reason"] == REVOKED
