"""The token lab: each classic attack sent to the deliberately naive verifier and to the real
`/jwt/api/me`. The naive one falls for every attack that works on a naive verifier; the real
one refuses every attack with a 401 and the precise reason."""

from __future__ import annotations

import json

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import url_for
from jwt.algorithms import ECAlgorithm

from app.jwt_auth.keys import key_set
from app.token_lab.naive import WEAK_KID, weak_key, weak_words
from tests.helpers import b64url, good_claims, hs256_with, make_token, tampered

NONE_HEADER = b64url(b'{"alg":"none"}')


def es256_with(private: ec.EllipticCurvePrivateKey):
    return lambda data: ECAlgorithm(ECAlgorithm.SHA256).sign(data, private)


def admin_claims(**changes) -> dict:
    return good_claims(role="admin", **changes)


def naive(client, token: str):
    return client.get("/lab/naive/me", headers={"Authorization": f"Bearer {token}"})


def real(client, token: str):
    return client.get("/jwt/api/me", headers={"Authorization": f"Bearer {token}"})


def assert_naive_accepts(client, token: str, *, admin: bool = True) -> dict:
    response = naive(client, token)
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["accepted"] is True and body["deliberately_broken"] is True
    assert body["admin"] is admin
    return body


def assert_naive_refuses(client, token: str) -> str:
    response = naive(client, token)
    body = response.get_json()
    assert response.status_code == 401, body
    assert body["accepted"] is False and body["deliberately_broken"] is True
    return body["reason"]


def assert_real_refuses(client, token: str) -> str:
    response = real(client, token)
    assert response.status_code == 401, response.get_json()
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    return response.get_json()["reason"]


def es256_public_pem(app) -> bytes:
    with app.app_context():
        key = key_set().signing_key("ES256")
    return key.verifying.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def es256_kid(app) -> str:
    with app.app_context():
        return key_set().signing_key("ES256").kid


# 0. The lab's baseline: a genuine token is believed by both.


def test_a_genuine_token_is_accepted_by_both(client, jwt_auth):
    token = jwt_auth.token()
    body = assert_naive_accepts(client, token, admin=False)
    assert body["believes"]["username"] == "alice"
    assert "the site's secret key" in body["how"]
    assert real(client, token).status_code == 200


# 1. A changed payload: both check the signature, so both refuse.


def test_a_changed_payload_breaks_the_signature_for_both(client, jwt_auth):
    token = tampered(jwt_auth.token())
    assert "signature does not match" in assert_naive_refuses(client, token)
    assert "signature does not match" in assert_real_refuses(client, token)


# 2. alg: none, in three spellings.


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_fools_the_naive_verifier_only(client, alg):
    token = make_token({"alg": alg, "typ": "JWT"}, admin_claims(), lambda data: b"")
    assert token.endswith(".")
    body = assert_naive_accepts(client, token)
    assert "checked no signature" in body["how"]
    assert f"algorithm '{alg}' is not allowed" in assert_real_refuses(client, token)


# 3. Algorithm confusion: HS256 keyed with the published ES256 public key.


def test_algorithm_confusion_with_the_published_key(app, client):
    jwks = client.get("/.well-known/jwks.json").get_json()
    published = ECAlgorithm.from_jwk(json.dumps(jwks["keys"][-1]))
    pem = published.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert pem == es256_public_pem(app)
    header = {"alg": "HS256", "typ": "JWT", "kid": jwks["keys"][-1]["kid"]}
    token = make_token(header, admin_claims(), hs256_with(pem))
    body = assert_naive_accepts(client, token)
    assert "public key" in body["how"]
    assert "algorithm 'HS256' is not allowed (only ES256 is)" in assert_real_refuses(client, token)


# 4. kid tricks.


def test_kid_path_traversal_to_dev_null_gives_an_empty_key(client):
    header = {"alg": "HS256", "kid": "../../../../../../dev/null"}
    token = make_token(header, admin_claims(), hs256_with(b""))
    body = assert_naive_accepts(client, token)
    assert "/dev/null" in body["how"]
    assert "names a key this server does not have" in assert_real_refuses(client, token)


def test_an_empty_key_signs_the_same_as_a_zero_byte_key(client):
    """HMAC pads its key with zeros, so the browser (whose WebCrypto refuses empty keys) can
    sign for an empty key with the one-byte key b"\\0"."""
    header = {"alg": "HS256", "kid": ""}
    token = make_token(header, admin_claims(), hs256_with(b"\0"))
    body = assert_naive_accepts(client, token)
    assert "an empty key" in body["how"]
    assert "names a key this server does not have (kid '')" in assert_real_refuses(client, token)


def test_sql_in_the_kid_chooses_the_key(client):
    header = {"alg": "HS256", "kid": "nothing' UNION SELECT 'attacker-key"}
    token = make_token(
        {**header, "kid": header["kid"] + "'--"}, admin_claims(), hs256_with(b"attacker-key")
    )
    body = assert_naive_accepts(client, token)
    assert "'attacker-key'" in body["how"]
    assert "names a key this server does not have" in assert_real_refuses(client, token)


def test_a_kid_file_or_query_that_finds_nothing_is_refused_even_by_the_naive_verifier(client):
    for kid in ("../../etc/passwd", "x' OR '1'='1"):
        token = make_token({"alg": "HS256", "kid": kid}, admin_claims(), hs256_with(b""))
        assert_naive_refuses(client, token)


# 5. A key carried by the token: jwk and jku.


def attacker_key() -> tuple[ec.EllipticCurvePrivateKey, dict]:
    private = ec.generate_private_key(ec.SECP256R1())
    public_jwk = json.loads(ECAlgorithm.to_jwk(private.public_key()))
    return private, public_jwk


def test_an_embedded_jwk_is_trusted_by_the_naive_verifier_only(client):
    private, public_jwk = attacker_key()
    token = make_token({"alg": "ES256", "jwk": public_jwk}, admin_claims(), es256_with(private))
    body = assert_naive_accepts(client, token)
    assert "jwk" in body["how"]
    assert "algorithm 'ES256' is not allowed (only HS256 is)" in assert_real_refuses(client, token)


def test_a_jku_to_the_attackers_key_set_is_trusted_by_the_naive_verifier_only(client):
    private, public_jwk = attacker_key()
    key_set_text = json.dumps({"keys": [public_jwk]}).encode()
    jku = f"https://attacker.example/jwks.json#{b64url(key_set_text)}"
    token = make_token({"alg": "ES256", "jku": jku}, admin_claims(), es256_with(private))
    body = assert_naive_accepts(client, token)
    assert "jku" in body["how"]
    assert "is not allowed" in assert_real_refuses(client, token)


def test_the_naive_verifier_fetches_nothing_real(client):
    private, _public = attacker_key()
    token = make_token(
        {"alg": "ES256", "jku": "http://127.0.0.1:6379/keys"}, admin_claims(), es256_with(private)
    )
    assert "only the lab's attacker server is simulated" in assert_naive_refuses(client, token)


def test_the_real_endpoint_ignores_a_jwk_even_with_its_own_kid(app, client):
    private, public_jwk = attacker_key()
    header = {"alg": "ES256", "kid": es256_kid(app), "jwk": public_jwk}
    token = make_token(header, admin_claims(), es256_with(private))
    assert "signature does not match" in assert_real_refuses(client, token)


# 6. The weak key, cracked from the bundled word list.


def test_the_weak_sample_token_is_accepted_only_by_the_naive_verifier(app, client):
    body = client.get("/lab/naive/weak-token").get_json()
    assert body["deliberately_broken"] is True and body["kid"] == WEAK_KID
    sample = body["token"]
    assert jwt.get_unverified_header(sample)["kid"] == WEAK_KID
    assert_naive_accepts(client, sample, admin=False)
    assert "names a key this server does not have" in assert_real_refuses(client, sample)

    with app.test_request_context():
        words_url = url_for("static", filename="lab/words.txt")
    words = client.get(words_url).get_data(as_text=True).split()
    signing_input, _dot, signature = sample.rpartition(".")
    cracked = [
        w for w in words if b64url(hs256_with(w.encode())(signing_input.encode())) == signature
    ]
    with app.app_context():
        assert cracked == [weak_key()] and weak_key() in weak_words()

    forged = make_token(
        {"alg": "HS256", "kid": WEAK_KID}, admin_claims(), hs256_with(cracked[0].encode())
    )
    assert assert_naive_accepts(client, forged)["believes"]["role"] == "admin"
    assert "names a key this server does not have" in assert_real_refuses(client, forged)


def test_the_weak_key_differs_with_the_server_secret(make_app):
    keys = set()
    for secret in ("a" * 64, "b" * 64, "c" * 64, "d" * 64):
        app = make_app(SECRET_KEY=secret)
        with app.app_context():
            keys.add(weak_key())
    assert len(keys) > 1


# 7. Claims: the real key's signature, claims the real endpoint refuses.


def test_claim_samples_fool_only_the_naive_verifier(client, jwt_auth):
    response = client.get(
        "/jwt/api/lab/claim-samples", headers={"Authorization": f"Bearer {jwt_auth.token()}"}
    )
    samples = response.get_json()
    assert response.status_code == 200 and set(samples) == {
        "expired",
        "not_yet_valid",
        "other_audience",
    }
    expected = {
        "expired": "the token has expired",
        "not_yet_valid": "the token is not valid yet",
        "other_audience": "the token was issued for another audience",
    }
    for name, token in samples.items():
        body = assert_naive_accepts(client, token, admin=False)
        assert body["believes"]["username"] == "alice"
        assert "no exp, nbf or aud" in body["how"]
        assert expected[name] in assert_real_refuses(client, token)


def test_claim_samples_need_a_genuine_token(client):
    assert client.get("/jwt/api/lab/claim-samples").status_code == 401
    forged = make_token({"alg": "none"}, good_claims(), lambda data: b"")
    response = client.get(
        "/jwt/api/lab/claim-samples", headers={"Authorization": f"Bearer {forged}"}
    )
    assert response.status_code == 401


def test_the_not_yet_valid_sample_never_becomes_valid(client, jwt_auth, time_machine):
    token = client.get(
        "/jwt/api/lab/claim-samples", headers={"Authorization": f"Bearer {jwt_auth.token()}"}
    ).get_json()["not_yet_valid"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] < claims["nbf"]
    time_machine.move_to(claims["nbf"] + 1, tick=False)
    assert "the token has expired" in assert_real_refuses(client, token)


# The naive verifier itself: it answers JSON, and nothing it is sent makes it fail.


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer",
        "Basic abc",
        "Bearer a.b",
        "Bearer !!!.???.***",
        "Bearer " + "a" * 9000,
        "Bearer é.é.é",
        "Bearer " + b64url(b"[1]") + "." + b64url(b"{}") + ".",
        "Bearer " + b64url(b'{"alg":"HS256"}') + "." + b64url(b'{"a":NaN}') + ".",
        "Bearer " + b64url(b'{"alg":"RS256"}') + "." + b64url(b"{}") + ".",
        "Bearer " + b64url(b'{"alg":"ES256","jwk":{"kty":"RSA"}}') + "." + b64url(b"{}") + ".",
        "Bearer " + b64url(b'{"alg":"ES256","jwk":"x"}') + "." + b64url(b"{}") + ".",
        "Bearer " + b64url(b'{"alg":"HS256","kid":7}') + "." + b64url(b"{}") + ".",
        "Bearer "
        + b64url(b'{"alg":"ES256","kid":"' + b"../dev/null" + b'"}')
        + "."
        + b64url(b"{}")
        + ".",
        "Bearer " + b64url(b"[" * 5000) + "." + b64url(b"{}") + ".",
        # Nested just short of what the parser allows: it parses, and could not be written back.
        "Bearer " + NONE_HEADER + "." + b64url(b'{"a":' + b"[" * 930 + b"]" * 930 + b"}") + ".",
        "Bearer " + NONE_HEADER + "." + b64url(b'{"exp":1e999}') + ".",
    ],
)
def test_the_naive_verifier_refuses_garbage_with_a_json_401(client, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.get("/lab/naive/me", headers=headers)
    assert response.status_code == 401
    body = response.get_json()
    assert body["accepted"] is False and body["deliberately_broken"] is True and body["reason"]


def test_naive_addresses_answer_json_errors(client):
    assert client.post("/lab/naive/me").status_code == 405
    assert client.post("/lab/naive/me").is_json
    response = client.get("/lab/naive/nothing-here", headers={"Accept": "text/html"})
    assert response.status_code == 404 and response.is_json


def test_the_naive_verifier_speaks_the_visitors_language(client):
    token = make_token({"alg": "HS256", "kid": "../../etc/passwd"}, good_claims(), hs256_with(b""))
    english = naive(client, token).get_json()["reason"]
    korean = client.get(
        "/lab/naive/me",
        headers={"Authorization": f"Bearer {token}", "Accept-Language": "ko"},
    ).get_json()["reason"]
    assert english != korean and "/etc/passwd" in korean


def test_claim_samples_are_signed_with_the_key_of_the_token_sent(client, app):
    from harness.actions import JwtActions

    token = JwtActions(client).token(algorithm="ES256")
    samples = client.get(
        "/jwt/api/lab/claim-samples", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    for sample in samples.values():
        assert jwt.get_unverified_header(sample) == jwt.get_unverified_header(token) | {
            "typ": "JWT"
        }
        assert_real_refuses(client, sample)


def test_the_lab_says_when_there_is_no_public_key_to_confuse(make_app):
    app = make_app()
    with app.app_context():
        from app.jwt_auth.keys import EXTENSION_KEY, KeySet

        hs256_only = KeySet([k for k in key_set().keys if k.alg == "HS256"])
        app.extensions[EXTENSION_KEY] = hs256_only
    page = app.test_client().get("/lab/jwt").get_data(as_text=True)
    assert "data-no-public-key" in page and "holds no ES256 key" in page
