"""Routes of the JWT scheme: the token endpoint, token-authenticated JSON, and the two pages."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps

from flask import Blueprint, g, jsonify, render_template, request
from sqlalchemy import select

from app.accounts.credentials import authenticate, is_encodable
from app.extensions import csrf, db
from app.flows import JWT_CREATION, JWT_USAGE
from app.jwt_auth.tokens import (
    TokenRejected,
    identity_from_claims,
    issue_access_token,
    verify_access_token,
)
from app.models import Note
from app.tracing import current_trace, traced_step, with_trace

bp = Blueprint("jwt_auth", __name__, url_prefix="/jwt")

REALM = "session-vs-jwt-lab"
MAX_TOKEN_LENGTH = 8 * 1024


def read_json_object() -> dict | None:
    """The request body as a JSON object, or None for anything else (bad JSON, nesting bombs)."""
    if not request.is_json:
        return None
    try:
        body = json.loads(request.get_data(cache=False))
    except (ValueError, RecursionError):
        return None
    return body if isinstance(body, dict) else None


def is_text(value: object) -> bool:
    """A non-empty string of real Unicode text."""
    return isinstance(value, str) and value != "" and is_encodable(value)


def bearer_challenge(reason: str | None = None, code: str = "invalid_token") -> str:
    """An RFC 6750 `WWW-Authenticate` value. No error code when no credentials came at all."""
    if reason is None:
        return f'Bearer realm="{REALM}"'
    # RFC 6750 §3 limits error_description to printable ASCII without '"' and '\\'; the reason
    # can quote attacker-chosen text (a token's `alg`), and a non-Latin-1 character in a header
    # would make the WSGI server refuse the whole response.
    safe = "".join(ch if " " <= ch <= "~" and ch not in '"\\' else "?" for ch in reason)
    return f'Bearer realm="{REALM}", error="{code}", error_description="{safe}"'


def token_error(message: str, *, reason: str | None, error: str = "invalid_token"):
    response = jsonify(error=error, message=message)
    response.status_code = 401
    response.headers["WWW-Authenticate"] = bearer_challenge(reason)
    return response


def read_bearer_token() -> str | None:
    """Return the token from `Authorization: Bearer <token>`; None if absent."""
    header = request.headers.get("Authorization")
    if header is None or header.strip() == "":
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer":
        raise TokenRejected("the Authorization header must use the Bearer scheme")
    if not token:
        raise TokenRejected("the Authorization header has no token after 'Bearer'")
    if len(token) > MAX_TOKEN_LENGTH:
        raise TokenRejected("the token is far too long to be one of ours")
    if not token.isascii():
        raise TokenRejected("the token is malformed: it has non-ASCII characters")
    return token


def token_required(view: Callable) -> Callable:
    """Authenticate by the bearer token alone: signature and claims, no database, no store."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        trace = current_trace()
        trace.scheme = "jwt"
        try:
            token = read_bearer_token()
            if token is None:
                return token_error(
                    "Send the access token as 'Authorization: Bearer <token>'.",
                    reason=None,
                    error="missing_token",
                )
            trace.add("token", "Token received", detail=f"{len(token)} characters, Bearer header")
            claims = verify_access_token(token)
        except TokenRejected as rejected:
            return token_error(f"Token rejected: {rejected.reason}.", reason=rejected.reason)
        g.token_claims = claims
        return view(*args, **kwargs)

    return wrapped


@bp.post("/api/token")
@csrf.exempt  # no cookie authenticates this call, so there is nothing to forge
def api_token():
    """Exchange a username and password (JSON) for a signed access token."""
    body = read_json_object()
    if body is None:
        return jsonify(
            error="invalid_request",
            message='Send a JSON object: {"username": "...", "password": "..."}.',
        ), 400
    username, password = body.get("username"), body.get("password")
    problems = [
        f"'{name}' must be a non-empty string of valid Unicode text"
        for name, value in (("username", username), ("password", password))
        if not is_text(value)
    ]
    if problems:
        return jsonify(error="invalid_request", message="; ".join(problems) + "."), 400
    user = authenticate(username, password)
    if user is None:
        return jsonify(error="invalid_credentials", message="Invalid username or password."), 401
    issued = issue_access_token(user)
    response = jsonify(
        access_token=issued.token,
        token_type="Bearer",  # noqa: S106  (the OAuth token type, not a password)
        expires_in=issued.expires_in,
    )
    response.headers["Cache-Control"] = "no-store"  # RFC 6749 §5.1: tokens are not cached
    return response


@bp.get("/api/me")
@token_required
def api_me():
    """Who the token says you are, built from its verified claims with zero queries."""
    claims = g.token_claims
    current_trace().add("response", "Response sent")
    return jsonify(
        with_trace(
            {
                "username": claims["username"],
                "display_name": claims["name"],
                "user_id": int(claims["sub"]),
                "scheme": "jwt",
                # The rest of the claims are already in the caller's hands: it holds the token.
                "expires_at": claims["exp"],
            }
        )
    )


@bp.get("/api/notes")
@token_required
def api_notes():
    """The user's notes: the token proves who it is, the database holds the data."""
    with traced_step("data_query", "Data requested from the database", "SELECT notes"):
        notes = list(
            db.session.execute(
                select(Note)
                .where(Note.user_id == identity_from_claims(g.token_claims).user_id)
                .order_by(Note.id)
            )
            .scalars()
            .all()
        )
    trace = current_trace()
    trace.add(
        "data_returned",
        "Data returned",
        detail=f"{len(notes)} note{'' if len(notes) == 1 else 's'}",
    )
    trace.add("response", "Response sent")
    return jsonify(with_trace({"notes": [n.to_dict() for n in notes], "scheme": "jwt"}))


@bp.get("/login")
def login():
    """The JWT login page; static/js/jwt-login.js posts the form to /jwt/api/token."""
    return render_template("jwt/login.html", creation_flow=JWT_CREATION)


@bp.get("/profile")
def profile():
    """The token lab page; static/js/jwt-profile.js reads the token from localStorage."""
    return render_template("jwt/profile.html", creation_flow=JWT_CREATION, usage_flow=JWT_USAGE)
