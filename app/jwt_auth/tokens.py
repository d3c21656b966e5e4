"""Access tokens: issued and verified with PyJWT, never by hand.

Verification pins the algorithm list, requires every claim the site relies on, and turns each
PyJWT error into a precise, user-facing reason. Nothing here touches a database or a store:
that is the point of the scheme.
"""

from __future__ import annotations

import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime

import jwt
from flask import current_app
from jwt.exceptions import InvalidIssuedAtError, InvalidJTIError, InvalidSubjectError

from app.accounts.credentials import Identity
from app.models import User
from app.tracing import current_trace

REQUIRED_CLAIMS = ("exp", "iat", "sub", "iss", "aud")


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


def _check_header(token: str) -> dict:
    """Read the unverified header only to report `alg` precisely; trust nothing in it."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        raise TokenRejected(_reason(exc)) from exc
    allowed = current_app.config["JWT_ALGORITHM"]
    if header.get("alg") != allowed:
        raise TokenRejected(
            f"the token's algorithm {header.get('alg')!r} is not allowed (only {allowed} is)"
        )
    return header


class _SplitTimedJWT(jwt.PyJWT):
    """PyJWT, unchanged, noting when the signature check ends and the claim checks begin.

    `_decode_payload` is PyJWT's documented hook between the two, so one `decode()` call can be
    reported as two timed steps without verifying anything twice.
    """

    def _decode_payload(self, decoded: dict) -> dict:
        _signature_done_at.set(time.perf_counter())
        return super()._decode_payload(decoded)


_signature_done_at: ContextVar[float] = ContextVar("_signature_done_at")
_jwt = _SplitTimedJWT()


def verify_access_token(token: str) -> dict:
    """Return the verified claims, or raise TokenRejected saying exactly why not."""
    config = current_app.config
    started = time.perf_counter()
    header = _check_header(token)
    try:
        claims = _jwt.decode(
            token,
            config["JWT_SECRET_KEY"],
            algorithms=[config["JWT_ALGORITHM"]],  # pinned: never taken from the token
            audience=config["JWT_AUDIENCE"],
            issuer=config["JWT_ISSUER"],
            leeway=config["JWT_LEEWAY_SECONDS"],
            options={"require": list(REQUIRED_CLAIMS)},
        )
    except jwt.InvalidTokenError as exc:
        raise TokenRejected(_reason(exc)) from exc
    if not claims["sub"].isdigit():
        raise TokenRejected("the token's 'sub' claim is not a user id")
    for name in ("username", "name"):
        if not isinstance(claims.get(name), str):
            raise TokenRejected(f"the token's '{name}' claim is missing or not a string")
    finished = time.perf_counter()

    trace = current_trace()
    if trace is not None:
        split = _signature_done_at.get(started)
        trace.auth_ms += (finished - started) * 1000
        trace.add(
            "signature",
            "Signature verified",
            (split - started) * 1000,
            f"{header['alg']}, key on server",
        )
        trace.add(
            "claims",
            "Claims validated",
            (finished - split) * 1000,
            "exp, iat, iss, aud, sub checked; no store lookup",
        )
    return claims


def identity_from_claims(claims: dict) -> Identity:
    """Who the token speaks for, built from the claims alone."""
    return Identity(int(claims["sub"]), claims["username"], claims["name"])


def readable_time(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
