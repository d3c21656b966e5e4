"""`/lab/jwt`: the token lab. A jwt.io-style editor and seven classic attacks, each sent to the
deliberately broken verifier under `/lab/naive/` (app/token_lab/naive.py) and to the real
`/jwt/api/me`, side by side.

Every answer of the naive verifier says so: `"deliberately_broken": true`.
"""

from __future__ import annotations

import time
import uuid
import warnings

import jwt
from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext

from app.jwt_auth.guard import token_refused
from app.jwt_auth.keys import key_set
from app.jwt_auth.tokens import MAX_TOKEN_LENGTH, check_access_token
from app.sessionless import declare_sessionless
from app.token_lab.naive import (
    ATTACKER_ORIGIN,
    WEAK_KID,
    NaiveRefusal,
    load_weak_words,
    naive_verify,
    weak_key,
)

bp = Blueprint("token_lab", __name__, url_prefix="/lab")
declare_sessionless(bp, "/naive/")
bp.record_once(lambda state: load_weak_words(state.app))
# Under /jwt/api, where the lab_access cookie reaches (its Path): a visitor who keeps the token
# in that cookie gets the claim samples too. The JWT blueprint declares /jwt/api/ sessionless.
samples_bp = Blueprint("token_lab_samples", __name__, url_prefix="/jwt/api/lab")
DAY = 24 * 60 * 60
OTHER_AUDIENCE = "https://another-service.example"
NAIVE_REALM = "lab-naive-verifier"


@bp.get("/jwt")
def editor():
    """The editor and the attacks."""
    config = current_app.config
    return render_template(
        "lab/jwt.html",
        issuer=config["JWT_ISSUER"],
        audience=config["JWT_AUDIENCE"],
        weak_kid=WEAK_KID,
        attacker_origin=ATTACKER_ORIGIN,
        words_url=url_for("static", filename="lab/words.txt"),
        jwks_url=url_for("well_known.jwks"),
        es256_published=bool(key_set().jwks()["keys"]),
    )


def _naive(body: dict, status: int = 200):
    response = jsonify({"verifier": "naive", "deliberately_broken": True, **body})
    response.status_code = status
    if status == 401:  # RFC 7235: a 401 names its scheme; RFC 6750: no error code without a token
        error = "" if body["error"] == "missing_token" else ', error="invalid_token"'
        response.headers["WWW-Authenticate"] = f'Bearer realm="{NAIVE_REALM}"{error}'
    return response


def _bearer() -> str | None:
    scheme, _space, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


@bp.get("/naive/me")
def naive_me():
    """What the naive verifier believes about the Bearer token: 200 if it believes it at all."""
    token = _bearer()
    if token is None:
        message = gettext("Send a token as 'Authorization: Bearer <token>'.")
        return _naive({"accepted": False, "error": "missing_token", "reason": message}, 401)
    if len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        reason = gettext("even the naive verifier reads only ASCII tokens of up to 8 KiB")
        return _naive({"accepted": False, "error": "invalid_token", "reason": reason}, 401)
    try:
        verdict = naive_verify(token)
    except NaiveRefusal as refused:
        body = {"accepted": False, "error": "invalid_token", "reason": str(refused.reason)}
        return _naive(body, 401)
    return _naive(
        {
            "accepted": True,
            "believes": verdict.claims,
            "admin": verdict.admin,
            "how": str(verdict.how),
        }
    )


@bp.get("/naive/weak-token")
def weak_token():
    """A sample HS256 token signed with a dictionary word (kid lab-weak-key), to crack in the
    browser. Only the naive verifier knows that key; the real endpoint has no such kid."""
    now = int(time.time())
    config = current_app.config
    claims = {
        "sub": "2",
        "username": "bob",
        "name": "Bob the Builder",
        "role": "user",
        "iat": now,
        "exp": now + 600,
        "iss": config["JWT_ISSUER"],
        "aud": config["JWT_AUDIENCE"],
        "jti": uuid.uuid4().hex,
    }
    with warnings.catch_warnings():
        # PyJWT warns that the key is too short for HS256: that is the lesson.
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        token = jwt.encode(claims, weak_key(), algorithm="HS256", headers={"kid": WEAK_KID})
    return _naive({"token": token, "kid": WEAK_KID})


@samples_bp.get("/claim-samples")
def claim_samples():
    """Three tokens for the caller, signed with the key that signed its own, whose claims the
    API refuses for ever: expired, not valid yet (and expired too), for another audience."""
    check = check_access_token()
    if check.claims is None:
        return token_refused(check.refused)
    claims = check.claims
    config = current_app.config
    now = int(time.time())
    # Beyond any leeway the server allows, so that none of them is ever accepted there.
    past = now - config["JWT_LEEWAY_SECONDS"] - DAY
    future = now + config["JWT_LEEWAY_SECONDS"] + DAY
    base = {
        "sub": claims["sub"],
        "username": claims["username"],
        "name": claims["name"],
        "iss": config["JWT_ISSUER"],
        "aud": config["JWT_AUDIENCE"],
    }
    variants = {
        "expired": {"iat": past - DAY, "exp": past},
        "not_yet_valid": {"iat": past - DAY, "nbf": future, "exp": past},
        "other_audience": {"iat": now, "exp": now + 300, "aud": OTHER_AUDIENCE},
    }
    key = check.key
    tokens = {
        name: jwt.encode(
            {**base, **changes, "jti": uuid.uuid4().hex},
            key.signing,
            algorithm=key.alg,
            headers={"kid": key.kid},
        )
        for name, changes in variants.items()
    }
    return jsonify(tokens)
