"""The signing key set: kids, HS256 and ES256, the JWKS, rotation, and the header tricks that
must not choose the key (unknown kid, algorithm confusion, `jwk`/`jku`, `none`)."""

from __future__ import annotations

import base64
import json
import os
import stat
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from app import create_app
from app.config import ConfigurationError
from app.jwt_auth.keys import KEYS_FILE, new_es256_jwk, secret_kid
from harness.actions import JwtActions
from harness.servers import app_environment, flask_cli
from tests.helpers import TEST_JWT_SECRET, good_claims, hs256_with, make_token

SECRET_KID = secret_kid(TEST_JWT_SECRET)


def header_of(token: str) -> dict:
    return jwt.get_unverified_header(token)


def me(client, token: str):
    return client.get("/jwt/api/me", headers={"Authorization": f"Bearer {token}"})


def reason(response) -> str:
    assert response.status_code == 401, response.get_json()
    return response.get_json()["reason"]


@pytest.fixture
def es256_app(make_app):
    return make_app(JWT_ALGORITHM="ES256")


def instance_jwks(app) -> list[dict]:
    with open(os.path.join(app.instance_path, KEYS_FILE), encoding="utf-8") as handle:
        return json.load(handle)["keys"]


def test_the_jwks_holds_public_members_only(client, app):
    answer = client.get("/.well-known/jwks.json")
    keys = answer.get_json()["keys"]
    assert len(keys) == 1
    (key,) = keys
    assert set(key) == {"kty", "crv", "x", "y", "kid", "alg", "use"}
    assert key["kty"] == "EC" and key["alg"] == "ES256" and key["use"] == "sig"
    assert all("d" not in member and "k" not in member for member in keys)  # nothing private
    assert answer.headers["Cache-Control"] == "public, max-age=300"
    assert "Set-Cookie" not in answer.headers
    # The same key, private half included, is in the instance folder, readable by its owner only.
    path = os.path.join(app.instance_path, KEYS_FILE)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    (private,) = instance_jwks(app)
    assert private["kid"] == key["kid"] and "d" in private


def test_issued_tokens_name_their_key(jwt_auth):
    assert header_of(jwt_auth.token())["kid"] == SECRET_KID


def test_es256_tokens_verify_with_the_published_public_key(es256_app):
    client = es256_app.test_client()
    token = JwtActions(client).token()
    header = header_of(token)
    assert header["alg"] == "ES256"
    (published,) = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert published["kid"] == header["kid"]
    public = ECAlgorithm.from_jwk(json.dumps(published))
    claims = jwt.decode(token, public, algorithms=["ES256"], audience="session-vs-jwt-lab:api")
    assert claims["username"] == "alice"
    answer = client.get("/jwt/api/me?trace=1", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    step = next(s for s in answer.get_json()["trace"]["steps"] if s["key"] == "signature")
    assert step["detail"] == f"ES256, public key {header['kid']}"


@pytest.mark.parametrize("kid", ["../../dev/null", "", "' OR '1'='1", "nope", "x" * 300])
def test_a_kid_the_server_does_not_have_is_refused(client, kid):
    token = jwt.encode(good_claims(), TEST_JWT_SECRET, headers={"kid": kid})
    refused = me(client, token)
    assert reason(refused).startswith("the token names a key this server does not have")
    assert refused.get_json()["failed_step"] == "signature"


def test_a_kid_that_is_not_a_string_is_refused(client):
    token = make_token(
        {"alg": "HS256", "kid": 7}, good_claims(), hs256_with(TEST_JWT_SECRET.encode())
    )
    assert reason(me(client, token)) == "the token's 'kid' header is not a string"


def test_algorithm_confusion_with_the_published_public_key_is_refused(client):
    (published,) = client.get("/.well-known/jwks.json").get_json()["keys"]
    public = ECAlgorithm.from_jwk(json.dumps(published))
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for secret in (pem, json.dumps(published).encode()):
        named = {"alg": "HS256", "typ": "JWT", "kid": published["kid"]}
        refused = me(client, make_token(named, good_claims(), hs256_with(secret)))
        assert reason(refused) == "the token's algorithm 'HS256' is not allowed (only ES256 is)"
        unnamed = {"alg": "HS256", "typ": "JWT"}  # checked with the shared secret instead
        assert "signature does not match" in reason(
            me(client, make_token(unnamed, good_claims(), hs256_with(secret)))
        )


def test_a_key_embedded_in_the_token_is_never_used(client):
    attacker = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(ECAlgorithm.to_jwk(attacker.public_key()))
    embedded = jwt.encode(good_claims(), attacker, algorithm="ES256", headers={"jwk": jwk})
    assert "'ES256' is not allowed (only HS256 is)" in reason(me(client, embedded))
    (published,) = client.get("/.well-known/jwks.json").get_json()["keys"]
    for extra in ({"jwk": jwk}, {"jku": "http://attacker.example/jwks.json"}, {"x5u": "x"}):
        headers = {"kid": published["kid"], **extra}
        forged = jwt.encode(good_claims(), attacker, algorithm="ES256", headers=headers)
        assert "signature does not match" in reason(me(client, forged))


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_refused_whatever_the_kid(client, alg):
    for header in ({"alg": alg, "typ": "JWT"}, {"alg": alg, "typ": "JWT", "kid": SECRET_KID}):
        token = make_token(header, good_claims(), lambda data: b"")
        assert "is not allowed" in reason(me(client, token))


def test_rotation_keeps_old_tokens_until_the_old_key_is_retired(tmp_path, app_config, monkeypatch):
    env = app_environment(tmp_path, JWT_ALGORITHM="ES256")
    env["DATABASE_URL"] = app_config["SQLALCHEMY_DATABASE_URI"]
    env["SECRET_KEY"] = "a-secret-key-for-the-rotation-test-0123456789"
    env["JWT_SECRET_KEY"] = TEST_JWT_SECRET

    monkeypatch.setenv("INSTANCE_PATH", env["INSTANCE_PATH"])

    def app_now():
        """A server started now: it reads the key set as the CLI left it."""
        return create_app({**app_config, "JWT_ALGORITHM": "ES256"})

    before = app_now()
    old_token = JwtActions(before.test_client()).token()
    old_kid = header_of(old_token)["kid"]

    rotated = flask_cli(env, "jwt-keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    after = app_now()
    new_token = JwtActions(after.test_client()).token()
    assert header_of(new_token)["kid"] != old_kid
    assert me(after.test_client(), old_token).status_code == 200  # still verifies
    assert len(after.test_client().get("/.well-known/jwks.json").get_json()["keys"]) == 2
    listing = flask_cli(env, "jwt-keys", "list").stdout
    assert f"{old_kid}  ES256  verifies only" in listing

    retired = flask_cli(env, "jwt-keys", "retire", old_kid)
    assert retired.returncode == 0, retired.stderr
    later = app_now()
    assert "does not have" in reason(me(later.test_client(), old_token))
    assert me(later.test_client(), new_token).status_code == 200
    assert flask_cli(env, "jwt-keys", "retire", secret_kid(TEST_JWT_SECRET)).returncode != 0


def test_production_takes_the_key_set_from_the_environment(tmp_path, monkeypatch, app_config):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("SECRET_KEY", "production-secret-key-0123456789-abcdefghijk")
    monkeypatch.setenv("JWT_SECRET_KEY", "production-jwt-key-0123456789-abcdefghijklmn")
    config = {"SQLALCHEMY_DATABASE_URI": app_config["SQLALCHEMY_DATABASE_URI"]}
    # Without JWT_PRIVATE_KEYS: the shared secret only, and nothing written to disk.
    plain = create_app(config)
    assert plain.test_client().get("/.well-known/jwks.json").get_json() == {"keys": []}
    assert not (tmp_path / "instance" / KEYS_FILE).exists()
    monkeypatch.setenv("JWT_ALGORITHM", "ES256")
    with pytest.raises(ConfigurationError, match="needs an ES256 key"):
        create_app(config)
    member = new_es256_jwk()
    monkeypatch.setenv("JWT_PRIVATE_KEYS", json.dumps({"keys": [member]}))
    signing = create_app(config)
    token = JwtActions(signing.test_client()).token()
    assert header_of(token)["kid"] == member["kid"]
    public_only = {k: v for k, v in member.items() if k != "d"}
    monkeypatch.setenv("JWT_PRIVATE_KEYS", json.dumps({"keys": [public_only]}))
    with pytest.raises(ConfigurationError, match="no private part"):
        create_app(config)
    monkeypatch.setenv("JWT_PRIVATE_KEYS", "not json")
    with pytest.raises(ConfigurationError, match="not JSON"):
        create_app(config)


def test_an_expired_token_an_early_one_and_another_audience_are_refused(client):
    now = int(time.time())
    cases = {
        "the token has expired": good_claims(iat=now - 900, exp=now - 300),
        "the token is not valid yet (iat or nbf is in the future)": good_claims(nbf=now + 600),
        "the token was issued for another audience": good_claims(aud="someone-else"),
    }
    for expected, claims in cases.items():
        token = jwt.encode(claims, TEST_JWT_SECRET, headers={"kid": SECRET_KID})
        assert reason(me(client, token)) == expected


def test_kid_base64_is_not_confused_with_a_path(client):
    # A kid is looked up by exact match in memory: nothing is read from disk or a database.
    kid = base64.b64encode(b"/etc/passwd").decode()
    token = jwt.encode(good_claims(), TEST_JWT_SECRET, headers={"kid": kid})
    assert "does not have" in reason(me(client, token))


def printed_key_set(stdout: str) -> dict:
    return json.loads(next(line for line in stdout.splitlines() if line.startswith("{")))


def test_rotating_in_production_prints_the_set_for_the_environment(tmp_path, app_config):
    """Production reads JWT_PRIVATE_KEYS only: the command writes no file it would ignore."""
    env = app_environment(tmp_path, APP_ENV="production")
    env["DATABASE_URL"] = app_config["SQLALCHEMY_DATABASE_URI"]
    env["SECRET_KEY"] = "production-secret-key-0123456789-abcdefghijk"
    env["JWT_SECRET_KEY"] = "production-jwt-key-0123456789-abcdefghijklmn"
    rotated = flask_cli(env, "jwt-keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert "Put this key set in JWT_PRIVATE_KEYS" in rotated.stdout
    printed = printed_key_set(rotated.stdout)
    assert [member["alg"] for member in printed["keys"]] == ["ES256"]
    assert "d" in printed["keys"][0]
    assert not (tmp_path / "instance" / KEYS_FILE).exists()

    env["JWT_PRIVATE_KEYS"] = json.dumps(printed)
    again = flask_cli(env, "jwt-keys", "rotate")
    assert len(printed_key_set(again.stdout)["keys"]) == 2
    assert not (tmp_path / "instance" / KEYS_FILE).exists()
