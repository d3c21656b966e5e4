"""Access tokens: issued and verified with PyJWT, never by hand.

Verification pins the algorithm list, requires every claim the site relies on, and turns each
PyJWT error into a precise, user-facing reason. Nothing here touches a database or a store:
that is the point of the scheme.
"""

from __future__ import annotations

import functools
import re
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass

import jwt
from flask import current_app
from jwt.algorithms import HMACAlgorithm
from jwt.exceptions import InvalidIssuedAtError, InvalidJTIError, InvalidSubjectError

from app.accounts.credentials import Identity
from app.models import User
from app.tracing import RequestTrace, current_trace

REQUIRED_CLAIMS = ("exp", "iat", "sub", "iss", "aud")
# ASCII digits only: str.isdigit() also accepts "²", which int() then refuses.
USER_ID_PATTERN = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int
    claims: dict


class TokenRejected(Exception):
    """A bearer token that does not authenticate anyone; `reason` is safe to show the client."""

    def __init__(self, reason: str, code: str = "invalid_token") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


def issue_access_token(user: User, *, now: float | None = None) -> IssuedToken:
    """Sign a short-lived HS256 access token for `user`. The payload is readable by anyone."""
    config = current_app.config
    issued_at = int(now if now is not None else time.time())
    lifetime = int(config["JWT_ACCESS_TOKEN_TTL"].total_seconds())
    claims = {
        "sub": str(user.id),
        "username": user.username,
        "name": user.display_name,
        "iat": issued_at,
        "exp": issued_at + lifetime,
        "iss": config["JWT_ISSUER"],
        "aud": config["JWT_AUDIENCE"],
        "jti": uuid.uuid4().hex,
    }
    token = jwt.encode(claims, config["JWT_SECRET_KEY"], algorithm=config["JWT_ALGORITHM"])
    return IssuedToken(token=token, expires_in=lifetime, claims=claims)


def _reason(exc: jwt.InvalidTokenError) -> str:
    """A precise reason for each failure PyJWT reports, most specific class first."""
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "the token has expired"
    if isinstance(exc, jwt.InvalidSignatureError):
        return "the signature does not match: the token was changed or signed with another key"
    if isinstance(exc, jwt.InvalidAlgorithmError):
        return "the token's algorithm is not allowed (only HS256 is accepted)"
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"the token has no '{exc.claim}' claim"
    if isinstance(exc, jwt.InvalidAudienceError):
        return "the token was issued for another audience"
    if isinstance(exc, jwt.InvalidIssuerError):
        return "the token was issued by someone else"
    if isinstance(exc, jwt.ImmatureSignatureError):
        return "the token is not valid yet (iat or nbf is in the future)"
    if isinstance(exc, InvalidIssuedAtError):
        return "the token's 'iat' claim is not a valid time"
    if isinstance(exc, InvalidSubjectError | InvalidJTIError):
        return f"the token has a malformed claim: {exc}"
    if isinstance(exc, jwt.DecodeError):
        return "the token is malformed: it is not three base64url parts with JSON inside"
    return f"the token is invalid: {exc}"


def _algorithm_refusal(token: str) -> str:
    """Name the refused algorithm; only called once PyJWT has already refused the token."""
    try:
        alg = jwt.get_unverified_header(token).get("alg")
    except jwt.InvalidTokenError:
        alg = None
    allowed = current_app.config["JWT_ALGORITHM"]
    return f"the token's algorithm {ascii(alg)} is not allowed (only {allowed} is)"


class _KeyVettedOnceHMAC(HMACAlgorithm):
    """PyJWT's HMAC algorithm, with the key vetted once instead of on every verification.

    PyJWT's `prepare_key` checks that an HMAC secret is not a PEM, SSH, DER or JWK key (an
    algorithm-confusion guard) each time it is called: a regex scan, a JSON parse and two
    attempts to load the bytes with `cryptography`, which together cost more than the HMAC.
    The server's key never changes between requests, so the same check's result is reused.
    Signing and comparing stay PyJWT's own.
    """

    @functools.lru_cache(maxsize=4)  # noqa: B019  (one module-level instance, lives forever)
    def prepare_key(self, key: str | bytes) -> bytes:
        return super().prepare_key(key)


class _SplitTimedJWT(jwt.PyJWT):
    """PyJWT, noting when the signature check ends and the claim checks begin.

    `_decode_payload` is PyJWT's documented hook between the two, so one `decode()` call can be
    reported as two timed steps without verifying anything twice.
    """

    def __init__(self, options: dict | None = None) -> None:
        super().__init__(options)
        self._jws.unregister_algorithm("HS256")
        self._jws.register_algorithm("HS256", _KeyVettedOnceHMAC(HMACAlgorithm.SHA256))

    def _decode_payload(self, decoded: dict) -> dict:
        _signature_done_at.set(time.perf_counter())
        return super()._decode_payload(decoded)


_signature_done_at: ContextVar[float | None] = ContextVar("_signature_done_at", default=None)
# Required claims are set once here rather than merged into the options on every call.
_jwt = _SplitTimedJWT(options={"require": list(REQUIRED_CLAIMS)})


def verify_access_token(token: str, trace: RequestTrace | None = None) -> dict:
    """Return the verified claims, or raise TokenRejected saying exactly why not.

    The time is recorded (into `trace`, by default this request's) whether the token passes or
    not: refusing a token costs work too.
    """
    config = current_app.config
    trace = trace if trace is not None else current_trace()
    started = time.perf_counter()
    _signature_done_at.set(None)
    try:
        claims = _jwt.decode(
            token,
            config["JWT_SECRET_KEY"],
            algorithms=[config["JWT_ALGORITHM"]],  # pinned: never taken from the token
            audience=config["JWT_AUDIENCE"],
            issuer=config["JWT_ISSUER"],
            leeway=config["JWT_LEEWAY_SECONDS"],
        )
        if not USER_ID_PATTERN.fullmatch(claims["sub"]):
            raise TokenRejected("the token's 'sub' claim is not a user id")
        for name in ("username", "name"):
            if not isinstance(claims.get(name), str):
                raise TokenRejected(f"the token's '{name}' claim is missing or not a string")
    except jwt.InvalidAlgorithmError as exc:
        raise TokenRejected(_algorithm_refusal(token)) from exc
    except jwt.InvalidTokenError as exc:
        raise TokenRejected(_reason(exc)) from exc
    finally:
        finished = time.perf_counter()
        if trace is not None:
            trace.auth_ms += (finished - started) * 1000
    split = _signature_done_at.get() or started
    if trace is not None:
        trace.authenticated = True
        trace.add(
            "signature",
            "Signature verified",
            (split - started) * 1000,
            f"{config['JWT_ALGORITHM']}, key on server",
        )
        trace.add(
            "claims",
            "Claims validated",
            (finished - split) * 1000,
            f"exp, iat, iss, aud, sub checked; session store reads: {trace.store_reads}",
        )
    return claims


def identity_from_claims(claims: dict) -> Identity:
    """Who the token speaks for, built from the claims alone."""
    return Identity(int(claims["sub"]), claims["username"], claims["name"])
