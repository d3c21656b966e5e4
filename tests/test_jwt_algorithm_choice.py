"""The visitor's choice of signature: a sign-in may ask for HS256 or ES256, its refreshes keep
that choice, and a sign-in that asks for nothing gets JWT_ALGORITHM's."""

from __future__ import annotations

import json
import re

import jwt
import pytest
from jwt.algorithms import ECAlgorithm
from sqlalchemy import select

from app.extensions import db
from app.jwt_auth.keys import secret_kid
from app.models import RefreshFamily
from harness.actions import DEMO_PASSWORDS, JwtActions
from tests.helpers import AUDIENCE, TEST_JWT_SECRET

SECRET_KID = secret_kid(TEST_JWT_SECRET)
FETCH = {"X-Requested-With": "fetch"}
CREDENTIALS = {"username": "alice", "password": DEMO_PASSWORDS["alice"]}
NO_PRIVATE_KEYS = json.dumps({"keys": []})  # the shared secret only, as in production without any


def sign_in(client, **choices):
    return client.post("/jwt/api/token", json=CREDENTIALS | choices)


def refresh(client):
    return client.post("/jwt/api/auth/refresh", headers=FETCH)


def access_token(response) -> str:
    assert response.status_code == 200, response.get_json()
    return response.get_json()["access_token"]


def header_of(token: str) -> dict:
    return jwt.get_unverified_header(token)


def published_key(client) -> dict:
    (key,) = client.get("/.well-known/jwks.json").get_json()["keys"]
    return key


def me(client, token: str):
    return client.get("/jwt/api/me", headers={"Authorization": f"Bearer {token}"})


def chosen_algorithms(app) -> list[str | None]:
    with app.app_context():
        return list(db.session.scalars(select(RefreshFamily.algorithm)))


def offered_algorithms(client) -> dict[str, bool]:
    """The login form's algorithm radios: value, and whether it is the one checked."""
    html = client.get("/jwt/login").get_data(as_text=True)
    radios = re.findall(r'<input type="radio" name="algorithm" value="(\w+)"\s*(checked)?>', html)
    return {value: bool(checked) for value, checked in radios}


@pytest.fixture
def es256_app(make_app):
    return make_app(JWT_ALGORITHM="ES256")


@pytest.fixture
def secret_only_app(make_app):
    return make_app(JWT_PRIVATE_KEYS=NO_PRIVATE_KEYS)


def test_a_sign_in_that_asks_for_es256_gets_a_token_the_public_key_checks(app, client):
    token = access_token(sign_in(client, algorithm="ES256"))
    published = published_key(client)
    assert header_of(token)["alg"] == "ES256"
    assert header_of(token)["kid"] == published["kid"]
    public = ECAlgorithm.from_jwk(json.dumps(published))
    assert jwt.decode(token, public, algorithms=["ES256"], audience=AUDIENCE)["sub"]
    answer = me(client, token)
    assert answer.status_code == 200 and answer.get_json()["username"] == "alice"
    assert chosen_algorithms(app) == ["ES256"]


@pytest.mark.parametrize("storage", ["localStorage", "cookie"])
def test_refreshes_keep_signing_with_the_algorithm_chosen_at_sign_in(client, storage):
    sign_in(client, algorithm="ES256", storage=storage)  # the server's default is HS256
    kid = published_key(client)["kid"]
    for _ in range(2):
        refreshed = refresh(client)
        assert refreshed.status_code == 200, refreshed.get_json()
        if storage == "cookie":
            token = client.get_cookie("lab_access", path="/jwt/api").value
            checked = client.get("/jwt/api/me")  # the browser sends the cookie by itself
        else:
            token = refreshed.get_json()["access_token"]
            checked = me(client, token)
        assert header_of(token)["alg"] == "ES256" and header_of(token)["kid"] == kid
        assert checked.status_code == 200


def test_hs256_can_be_asked_for_where_es256_is_the_default(es256_app):
    client = es256_app.test_client()
    token = JwtActions(client).token(algorithm="HS256")
    assert header_of(token)["alg"] == "HS256" and header_of(token)["kid"] == SECRET_KID
    assert me(client, token).status_code == 200
    assert header_of(access_token(refresh(client)))["kid"] == SECRET_KID
    assert chosen_algorithms(es256_app) == ["HS256"]


@pytest.mark.parametrize("configured", ["HS256", "ES256"])
def test_a_sign_in_that_asks_for_nothing_is_signed_as_jwt_algorithm_says(make_app, configured):
    app = make_app(JWT_ALGORITHM=configured)
    client = app.test_client()
    token = access_token(sign_in(client))
    assert header_of(token)["alg"] == configured
    assert header_of(access_token(refresh(client)))["alg"] == configured
    # No choice is stored as none: the family follows JWT_ALGORITHM, whatever it becomes.
    assert chosen_algorithms(app) == [None]


def test_the_login_form_offers_each_algorithm_with_the_configured_one_checked(client, es256_app):
    assert offered_algorithms(client) == {"HS256": True, "ES256": False}
    assert offered_algorithms(es256_app.test_client()) == {"HS256": False, "ES256": True}
    page = client.get("/jwt/login").get_data(as_text=True)
    assert "only the server can check it" in page
    assert "anyone can check with the public key at <code>/.well-known/jwks.json</code>" in page


@pytest.mark.parametrize(
    "algorithm", ["RS256", "none", "hs256", "HS512", "", None, 256, ["ES256"], {"alg": "ES256"}]
)
def test_an_algorithm_the_site_does_not_offer_is_a_400(app, client, algorithm):
    response = sign_in(client, algorithm=algorithm)
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "invalid_request",
        "message": "'algorithm' must be 'HS256' or 'ES256'.",
    }
    assert client.get_cookie("lab_refresh", path="/jwt/api/auth") is None
    assert chosen_algorithms(app) == []


def test_asking_for_an_algorithm_the_server_has_no_key_for_is_a_400(secret_only_app):
    client = secret_only_app.test_client()
    response = sign_in(client, algorithm="ES256")
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "invalid_request",
        "message": "This server has no ES256 signing key: choose HS256.",
    }
    assert chosen_algorithms(secret_only_app) == []
    # The form offers only what the server can sign with.
    assert offered_algorithms(client) == {"HS256": True}
    assert header_of(access_token(sign_in(client, algorithm="HS256")))["kid"] == SECRET_KID


def test_a_refresh_after_the_chosen_key_is_retired_signs_with_jwt_algorithm(app, make_app):
    """The visitor stays signed in: a refresh must not fail over a key they never held."""
    client = app.test_client()
    sign_in(client, algorithm="ES256")
    refresh_token = client.get_cookie("lab_refresh", path="/jwt/api/auth").value
    restarted = make_app(JWT_PRIVATE_KEYS=NO_PRIVATE_KEYS).test_client()  # its ES256 key gone
    restarted.set_cookie("lab_refresh", refresh_token, path="/jwt/api/auth")
    token = access_token(refresh(restarted))
    assert header_of(token)["alg"] == "HS256" and header_of(token)["kid"] == SECRET_KID
    assert me(restarted, token).status_code == 200
