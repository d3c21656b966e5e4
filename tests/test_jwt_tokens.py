"""The JWT scheme: the token endpoint, the token's claims, and every way a token is refused."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from app.jwt_auth.keys import secret_kid
from tests.helpers import (
    AUDIENCE,
    ISSUER,
    TEST_JWT_SECRET,
    b64url,
    forge,
    good_claims,
    tampered,
)


def test_token_endpoint_returns_a_bearer_token(client):
    response = client.post("/jwt/api/token", json={"username": "alice", "password": "wonderland"})
    body = response.get_json()
    assert response.status_code == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert response.headers["Cache-Control"] == "no-store"
    assert body["access_token"].count(".") == 2


def test_token_has_the_promised_header_and_claims(jwt_auth):
    token = jwt_auth.token()
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=="))
    payload = json.loads(base64.urlsafe_b64decode(payload_b64 + "=="))
    # The kid names the shared secret without telling anything about it.
    assert header == {"alg": "HS256", "typ": "JWT", "kid": secret_kid(TEST_JWT_SECRET)}
    assert payload["sub"] == "1" and isinstance(payload["sub"], str)
    assert payload["username"] == "alice"
    assert payload["iss"] == ISSUER and payload["aud"] == AUDIENCE
    assert payload["exp"] - payload["iat"] == 300
    assert len(payload["jti"]) >= 16
    # Nothing secret rides in the readable payload.
    assert "password" not in json.dumps(payload) and "wonderland" not in json.dumps(payload)
    assert signature_b64
    # And it really is signed with the server's key, not just shaped like a JWT.
    verified = jwt.decode(token, TEST_JWT_SECRET, algorithms=["HS256"], audience=AUDIENCE)
    assert verified == payload


def test_each_token_has_its_own_jti(jwt_auth):
    first, second = jwt_auth.token(), jwt_auth.token()
    decode = lambda t: jwt.decode(t, options={"verify_signature": False})  # noqa: E731
    assert decode(first)["jti"] != decode(second)["jti"]


def test_token_lifetime_is_configurable(make_app, monkeypatch):
    from harness.actions import JwtActions

    monkeypatch.setenv("JWT_ACCESS_TOKEN_TTL_SECONDS", "60")
    token = JwtActions(make_app().test_client()).token()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 60


def test_me_answers_from_the_claims_with_no_query(jwt_auth, sql_counter):
    token = jwt_auth.token()
    sql_counter.reset()
    response = jwt_auth.get("/jwt/api/me", token)
    body = response.get_json()
    assert response.status_code == 200
    assert body["username"] == "alice"
    assert body["display_name"] == "Alice Liddell"
    assert body["scheme"] == "jwt"
    assert sql_counter.statements == []


def test_notes_use_the_token_for_identity_and_the_database_for_data(jwt_auth, sql_counter):
    token = jwt_auth.token()
    sql_counter.reset()
    response = jwt_auth.get("/jwt/api/notes", token)
    assert response.status_code == 200
    titles = [note["title"] for note in response.get_json()["notes"]]
    assert titles == ["Tea party", "Reading list"]
    assert len(sql_counter.statements) == 1 and "notes" in sql_counter.statements[0]


def test_bob_sees_only_his_own_notes(jwt_auth):
    token = jwt_auth.token("bob", "builder")
    titles = [n["title"] for n in jwt_auth.get("/jwt/api/notes", token).get_json()["notes"]]
    assert titles == ["Site plan"]


def alg_none(claims: dict) -> str:
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64url(json.dumps(claims).encode())}."


BAD_TOKENS = {
    "expired": lambda t: forge(good_claims(iat=int(time.time()) - 4000, exp=int(time.time()) - 60)),
    "tampered payload": tampered,
    "alg none": lambda t: alg_none(good_claims()),
    "alg none uppercase": lambda t: alg_none(good_claims()).replace(
        b64url(b'{"alg": "none", "typ": "JWT"}'), b64url(b'{"alg": "NONE", "typ": "JWT"}')
    ),
    "wrong key": lambda t: forge(good_claims(), key="another-key-that-is-long-enough-000000000"),
    "HS512 instead of HS256": lambda t: forge(good_claims(), algorithm="HS512"),
    "wrong audience": lambda t: forge(good_claims(aud="someone-else")),
    "wrong issuer": lambda t: forge(good_claims(iss="https://evil.example")),
    "missing exp": lambda t: forge(good_claims(exp=None)),
    "missing iat": lambda t: forge(good_claims(iat=None)),
    "missing sub": lambda t: forge(good_claims(sub=None)),
    "missing iss": lambda t: forge(good_claims(iss=None)),
    "missing aud": lambda t: forge(good_claims(aud=None)),
    "numeric sub": lambda t: forge(good_claims(sub=1)),
    "non-numeric sub": lambda t: forge(good_claims(sub="admin")),
    "issued in the future": lambda t: forge(good_claims(iat=int(time.time()) + 3600)),
    "missing username": lambda t: forge(good_claims(username=None)),
    "two parts": lambda t: ".".join(t.split(".")[:2]),
    "four parts": lambda t: t + ".extra",
    "not base64": lambda t: "!!!.@@@.###",
    "header not json": lambda t: b64url(b"not json") + "." + t.split(".", 1)[1],
    "payload is a list": lambda t: t.split(".")[0] + "." + b64url(b"[1,2]") + ".sig",
    "empty signature": lambda t: t.rsplit(".", 1)[0] + ".",
    "garbage": lambda t: "hello",
    "kid header path traversal": lambda t: (
        forge(good_claims(), headers={"kid": "../../etc/passwd"}).rsplit(".", 1)[0] + ".AAAA"
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
def test_bad_tokens_get_401_with_rfc6750_challenge_and_a_reason(jwt_auth, kind):
    token = BAD_TOKENS[kind](jwt_auth.token())
    for path in ("/jwt/api/me", "/jwt/api/notes"):
        response = jwt_auth.get(path, token)
        assert response.status_code == 401, (kind, response.get_json())
        body = response.get_json()
        assert body["error"] == "invalid_token"
        assert body["message"].startswith("Token rejected: ")
        challenge = response.headers["WWW-Authenticate"]
        assert challenge.startswith("Bearer ")
        assert 'error="invalid_token"' in challenge
        assert "error_description=" in challenge


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("expired", "expired"),
        ("tampered payload", "signature"),
        ("alg none", "algorithm"),
        ("wrong key", "signature"),
        ("wrong audience", "audience"),
        ("wrong issuer", "issued by someone else"),
        ("missing exp", "'exp'"),
        ("two parts", "malformed"),
    ],
)
def test_each_refusal_says_precisely_why(jwt_auth, kind, expected):
    response = jwt_auth.get("/jwt/api/me", BAD_TOKENS[kind](jwt_auth.token()))
    assert expected in response.get_json()["message"]


def test_missing_token_is_401_with_a_bare_challenge(client):
    response = client.get("/jwt/api/me")
    assert response.status_code == 401
    assert response.get_json()["error"] == "missing_token"
    # RFC 6750 §3.1: no error code when the request carried no credentials at all.
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="session-vs-jwt-lab"'


@pytest.mark.parametrize(
    "header",
    [
        "Basic YWxpY2U6d29uZGVybGFuZA==",
        "Bearer",
        "Bearer    ",
        "Token abc.def.ghi",
        "Bearer " + "a" * 10_000,
        "Bearer 한국어.토큰.서명",
        "Bearer abc.def.ghi\u200b",
    ],
)
def test_malformed_authorization_headers_are_401_never_500(client, header):
    try:
        response = client.get("/jwt/api/me", headers={"Authorization": header})
    except UnicodeEncodeError:
        pytest.skip("the test client cannot send this header")  # pragma: no cover
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_session_cookie_does_not_authenticate_the_jwt_api(client, session_auth):
    session_auth.login()
    assert client.get("/session/api/me").status_code == 200
    assert client.get("/jwt/api/me").status_code == 401


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        (
            {
                "data": "username=alice&password=wonderland",
                "content_type": "application/x-www-form-urlencoded",
            },
            400,
        ),
        ({"data": "{not json", "content_type": "application/json"}, 400),
        ({"json": ["alice", "wonderland"]}, 400),
        ({"json": "alice"}, 400),
        ({"json": {}}, 400),
        ({"json": {"username": "alice"}}, 400),
        ({"json": {"username": 1, "password": 2}}, 400),
        ({"json": {"username": ["alice"], "password": "wonderland"}}, 400),
        ({"json": {"username": "alice", "password": None}}, 400),
        ({"json": {"username": "alice", "password": "wrong-one"}}, 401),
        ({"json": {"username": "nobody", "password": "wonderland"}}, 401),
        ({"json": {"username": "alice", "password": "x" * 5000}}, 400),
        ({"json": {"username": "alice\x00", "password": "wonderland"}}, 401),
    ],
)
def test_token_endpoint_rejects_bad_bodies_with_json(client, kwargs, status):
    response = client.post("/jwt/api/token", **kwargs)
    assert response.status_code == status
    body = response.get_json()
    assert body["error"] and body["message"]
    assert "access_token" not in body


def test_token_endpoint_rejects_huge_bodies_with_413_json(client):
    response = client.post(
        "/jwt/api/token",
        data=json.dumps({"username": "alice", "password": "x" * 200_000}),
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.get_json()["error"] == "request_entity_too_large"


def test_token_endpoint_only_accepts_post(client):
    response = client.get("/jwt/api/token")
    assert response.status_code == 405
    assert response.is_json
    assert "POST" in response.headers["Allow"]


def test_a_non_ascii_alg_still_gets_an_ascii_challenge(client):
    header = b64url(json.dumps({"alg": "☃", "typ": "JWT"}).encode())
    response = client.get("/jwt/api/me", headers={"Authorization": f"Bearer {header}.e30.sig"})
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.isascii()
    assert "algorithm" in response.get_json()["message"]


def test_unicode_digits_in_sub_are_refused_not_a_crash(client):
    token = forge(good_claims(sub="²"))
    response = client.get("/jwt/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "'sub'" in response.get_json()["message"]


@pytest.mark.parametrize(
    "body",
    [
        "[" * 5000 + "]" * 5000,
        '{"a":' * 5000 + "1" + "}" * 5000,
        '{"username": "alice", "password": "\\udc80"}',
        '{"username": "\\ud800", "password": "wonderland"}',
        '{"username": "alice", "password": "wonderland"',
        "NaN",
    ],
    ids=[
        "nested list",
        "nested object",
        "lone surrogate password",
        "lone surrogate user",
        "truncated",
        "NaN",
    ],
)
def test_hostile_json_bodies_get_400(client, body):
    response = client.post("/jwt/api/token", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


def test_the_check_endpoint_gives_a_verdict_with_the_same_verification(client, jwt_auth):
    good = jwt_auth.get("/jwt/api/check?trace=1", jwt_auth.token())
    assert good.status_code == 200
    body = good.get_json()
    assert body["valid"] is True and body["username"] == "alice"
    assert [s["key"] for s in body["trace"]["steps"]] == [
        "token",
        "signature",
        "claims",
        "response",
    ]
    for kind, step in (
        ("expired", "claims"),
        ("tampered payload", "signature"),
        ("garbage", "signature"),
    ):
        refused = jwt_auth.get("/jwt/api/check?trace=1", BAD_TOKENS[kind](jwt_auth.token()))
        assert refused.status_code == 200  # a verdict, not a failed request
        verdict = refused.get_json()
        assert verdict["valid"] is False and verdict["failed_step"] == step
        assert (
            verdict["reason"]
            in jwt_auth.get("/jwt/api/me", BAD_TOKENS[kind](jwt_auth.token())).get_json()["message"]
        )
        failed = [s for s in verdict["trace"]["steps"] if s["failed"]]
        assert [s["key"] for s in failed] == [step]
    assert client.get("/jwt/api/check").get_json() == {"present": False, "valid": False}
    header = client.get("/jwt/api/check", headers={"Authorization": "Basic abc"}).get_json()
    assert header["failed_step"] == "token"


@pytest.mark.parametrize(
    ("kind", "step"),
    [
        ("expired", "claims"),
        ("wrong audience", "claims"),
        ("missing exp", "claims"),
        ("non-numeric sub", "claims"),
        ("tampered payload", "signature"),
        ("wrong key", "signature"),
        ("alg none", "signature"),
        ("two parts", "signature"),
    ],
)
def test_each_refusal_names_the_step_of_the_flow_that_refused_it(jwt_auth, kind, step):
    response = jwt_auth.get("/jwt/api/me?trace=1", BAD_TOKENS[kind](jwt_auth.token()))
    body = response.get_json()
    assert body["failed_step"] == step
    steps = {s["key"]: s for s in body["trace"]["steps"]}
    assert steps[step]["failed"] is True
    assert steps[step]["ms"] > 0  # refusing costs work, and it is measured
    assert "response" not in steps  # no data was sent: the flow stops at the refusal
    if step == "claims":
        assert steps["signature"]["failed"] is False  # the signature was fine
