"""Routes of the JWT scheme: the token endpoint, token-authenticated JSON, and the two pages."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps

from flask import Blueprint, jsonify, render_template, request
from flask_babel import force_locale, gettext

from app.accounts.credentials import (
    PASSWORD_MAX_LENGTH,
    USERNAME_MAX_LENGTH,
    authenticate,
    login_field_errors,
)
from app.accounts.notes import load_notes
from app.extensions import csrf
from app.flows import JWT_CREATION, JWT_USAGE
from app.jwt_auth.tokens import (
    TokenRejected,
    check_bearer_token,
    identity_from_claims,
    issue_access_token,
)
from app.sessionless import declare_sessionless
from app.tracing import with_trace

bp = Blueprint("jwt_auth", __name__, url_prefix="/jwt")
# The JWT API never reads the session: a browser that also holds a session cookie must not make
# these requests pay for a store lookup.
declare_sessionless(bp, "/api/")

REALM = "session-vs-jwt-lab"


def read_json_object() -> dict | None:
    """The request body as a JSON object, or None for anything else (bad JSON, nesting bombs)."""
    if not request.is_json:
        return None
    try:
        body = json.loads(request.get_data(cache=False))
    except (ValueError, RecursionError):
        return None
    return body if isinstance(body, dict) else None


def bearer_challenge(reason: str | None = None, code: str = "invalid_token") -> str:
    """An RFC 6750 `WWW-Authenticate` value. No error code when no credentials came at all."""
    if reason is None:
        return f'Bearer realm="{REALM}"'
    # RFC 6750 §3 limits error_description to printable ASCII without '"' and '\\'; the reason
    # can quote attacker-chosen text (a token's `alg`), and a non-Latin-1 character in a header
    # would make the WSGI server refuse the whole response.
    safe = "".join(ch if " " <= ch <= "~" and ch not in '"\\' else "?" for ch in reason)
    return f'Bearer realm="{REALM}", error="{code}", error_description="{safe}"'


def token_refused(rejected: TokenRejected | None):
    """The 401 for a missing or refused token: the reason, and the step of the flow that refused."""
    if rejected is None:
        body = {
            "error": "missing_token",
            "message": gettext("Send the access token as 'Authorization: Bearer <token>'."),
        }
    else:
        body = {
            "error": "invalid_token",
            "message": gettext("Token rejected: %(reason)s.", reason=rejected.reason),
            "reason": str(rejected.reason),
            "failed_step": rejected.step,
        }
    response = jsonify(with_trace(body))
    response.status_code = 401
    # The header is for machines: its description is always English (and ASCII, see above).
    with force_locale("en"):
        english = str(rejected.reason) if rejected else None
    response.headers["WWW-Authenticate"] = bearer_challenge(english)
    return response


def token_required(view: Callable) -> Callable:
    """Authenticate by the bearer token alone (signature and claims, no store) and pass on the
    verified claims as the view's first argument."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        check = check_bearer_token()
        if check.claims is None:
            return token_refused(check.refused)
        return view(check.claims, *args, **kwargs)

    return wrapped


@bp.get("/api/check")
def api_check():
    """What the server makes of the bearer token, as a 200 verdict, for pages that show it.

    /jwt/api/me answers a refused token with 401, as an API must. A page that only wants to say
    whether its token is good asks here, so a refusal is a fact to show rather than a failed
    request: the same verification, the same trace, no data.
    """
    return jsonify(with_trace(check_bearer_token().to_dict()))


@bp.post("/api/token")
@csrf.exempt  # no cookie authenticates this call, so there is nothing to forge
def api_token():
    """Exchange a username and password (JSON) for a signed access token."""
    body = read_json_object()
    if body is None:
        return jsonify(
            error="invalid_request",
            message=gettext('Send a JSON object: {"username": "...", "password": "..."}.'),
        ), 400
    username, password = body.get("username"), body.get("password")
    errors = login_field_errors(username, password)
    if errors:
        message = " ".join(m for messages in errors.values() for m in messages)
        return jsonify(error="invalid_request", message=message, fields=errors), 400
    user = authenticate(username, password)
    if user is None:
        message = gettext("Invalid username or password.")
        return jsonify(error="invalid_credentials", message=message), 401
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
def api_me(claims: dict):
    """Who the token says you are, built from its verified claims with zero queries."""
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
def api_notes(claims: dict):
    """The user's notes: the token proves who it is, the database holds the data."""
    notes = load_notes(identity_from_claims(claims).user_id)
    return jsonify(with_trace({"notes": [n.to_dict() for n in notes], "scheme": "jwt"}))


@bp.get("/login")
def login():
    """The JWT login page; static/js/jwt-login.js posts the form to /jwt/api/token."""
    limits = {"username": USERNAME_MAX_LENGTH, "password": PASSWORD_MAX_LENGTH}
    return render_template("jwt/login.html", creation_flow=JWT_CREATION, limits=limits)


@bp.get("/profile")
def profile():
    """The token lab page; static/js/jwt-profile.js reads the token from localStorage."""
    return render_template("jwt/profile.html", creation_flow=JWT_CREATION, usage_flow=JWT_USAGE)
