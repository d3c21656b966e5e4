"""Routes of the JWT scheme: the token endpoint, token-authenticated JSON, and the two pages."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from flask_babel import gettext

from app.accounts.credentials import (
    PASSWORD_MAX_LENGTH,
    USERNAME_MAX_LENGTH,
    authenticate,
    login_field_errors,
)
from app.accounts.notes import load_notes
from app.extensions import csrf
from app.flows import JWT_CREATION, JWT_USAGE
from app.json_body import read_json_object
from app.jwt_auth.denylist import denylist
from app.jwt_auth.guard import token_refused, token_required
from app.jwt_auth.keys import ALGORITHMS, key_set
from app.jwt_auth.refresh import (
    REASONS,
    REVOKED_BY_LOGOUT,
    STORAGE_CHOICES,
    STORAGE_COOKIE,
    IssuedRefresh,
    RefreshRefused,
    find_refresh_token,
    known_refresh_token,
    newest_tokens,
    revoke_family,
    rotate,
    start_family,
)
from app.jwt_auth.tokens import (
    SOURCE_COOKIE,
    CsrfRefused,
    check_access_token,
    check_token,
    identity_from_claims,
    issue_access_token,
    signing_algorithm,
)
from app.models import RefreshToken
from app.rate_limits import limit_refresh, limit_sign_in
from app.replay import forget_copy, keep_copy
from app.sessionless import declare_sessionless
from app.tracing import RequestTrace, current_trace, with_trace

bp = Blueprint("jwt_auth", __name__, url_prefix="/jwt")
# Addresses other parties expect at the site's root (RFC 8615).
well_known_bp = Blueprint("well_known", __name__, url_prefix="/.well-known")
declare_sessionless(well_known_bp, "/")
JWKS_MAX_AGE = 300  # a rotated-in key is published ahead of use, so a few minutes' cache is fine
# The JWT API never reads the session: a browser that also holds a session cookie must not make
# these requests pay for a store lookup.
declare_sessionless(bp, "/api/")

REFRESH_PATH = "/jwt/api/auth"
ACCESS_PATH = "/jwt/api"
CSRF_COOKIE_PATH = "/"  # readable by every page script, which repeats it in a header
REPLAY_PATH = "/jwt/api/auth/replay"
REPLAY_COOKIES = {"refresh": "lab_refresh_copy", "access": "lab_access_copy"}
THIEF_PATH = "/jwt/api/auth/thief"
THIEF_COOKIE = "lab_refresh_stolen"
FAMILY_TOKENS_SHOWN = 12  # a family refreshed every few minutes for a week has thousands


def from_fetch() -> bool:
    """Whether a script of this site sent the call: a cross-site form cannot set this header,
    and a script of another origin would need a CORS preflight this site never grants."""
    return request.headers.get("X-Requested-With") == "fetch"


def fetch_header_missing():
    message = gettext("This call needs the header 'X-Requested-With: fetch'.")
    return jsonify(error="invalid_request", message=message), 400


def fetch_only(view: Callable) -> Callable:
    """Refuse, with a 400, a call this site's script did not make (see from_fetch)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not from_fetch():
            return fetch_header_missing()
        return view(*args, **kwargs)

    return wrapped


def cookie_options(path: str, *, httponly: bool = True, samesite: str = "Strict") -> dict:
    return {
        "path": path,
        "httponly": httponly,
        "samesite": samesite,
        "secure": current_app.config["SESSION_COOKIE_SECURE"],
    }


def access_cookie_options() -> dict:
    """Lax, so that a top-level navigation to the lab still carries it, like a session cookie."""
    return cookie_options(ACCESS_PATH, samesite="Lax")


def access_csrf_cookie_options() -> dict:
    """Readable by the page's script, which repeats it in X-CSRF-Token (double submit)."""
    return cookie_options(CSRF_COOKIE_PATH, httponly=False, samesite="Lax")


def tokens_response(refresh: IssuedRefresh) -> Response:
    """The access token (in the body, or in its cookies) and the next refresh token's cookie."""
    config = current_app.config
    storage = refresh.family.storage
    csrf_value = secrets.token_urlsafe(16) if storage == STORAGE_COOKIE else None
    algorithm = signing_algorithm(refresh.family.algorithm)
    access = issue_access_token(refresh.user, algorithm=algorithm, csrf=csrf_value)
    body = {
        "token_type": "Bearer",  # noqa: S106  (the OAuth token type, not a password)
        "expires_in": access.expires_in,
        "refresh_expires_in": refresh.expires_in,
        "storage": storage,
    }
    if csrf_value is None:
        body = {"access_token": access.token, **body}
    response = jsonify(with_trace(body))
    response.headers["Cache-Control"] = "no-store"  # RFC 6749 §5.1: tokens are not cached
    response.set_cookie(
        config["JWT_REFRESH_COOKIE_NAME"],
        refresh.token,
        max_age=refresh.expires_in,
        **cookie_options(REFRESH_PATH),
    )
    if csrf_value is not None:
        response.set_cookie(
            config["JWT_ACCESS_COOKIE_NAME"],
            access.token,
            max_age=access.expires_in,
            **access_cookie_options(),
        )
        response.set_cookie(
            config["JWT_ACCESS_CSRF_COOKIE_NAME"],
            csrf_value,
            max_age=access.expires_in,
            **access_csrf_cookie_options(),
        )
    else:
        clear_access_cookies(response)
    return response


def refresh_cookie_value() -> str | None:
    return request.cookies.get(current_app.config["JWT_REFRESH_COOKIE_NAME"])


def delete_sent_cookie(response: Response, name: str, options: dict) -> None:
    """Have the browser delete a cookie, if it sent one (no Set-Cookie for cookies it lacks)."""
    if name in request.cookies:
        response.delete_cookie(name, **options)


def clear_access_cookies(response: Response) -> None:
    config = current_app.config
    delete_sent_cookie(response, config["JWT_ACCESS_COOKIE_NAME"], access_cookie_options())
    delete_sent_cookie(
        response, config["JWT_ACCESS_CSRF_COOKIE_NAME"], access_csrf_cookie_options()
    )


def clear_refresh_cookie(response: Response) -> None:
    name = current_app.config["JWT_REFRESH_COOKIE_NAME"]
    delete_sent_cookie(response, name, cookie_options(REFRESH_PATH))


@bp.get("/api/check")
def api_check():
    """What the server makes of the bearer token, as a 200 verdict, for pages that show it.

    /jwt/api/me answers a refused token with 401, as an API must. A page that only wants to say
    whether its token is good asks here, so a refusal is a fact to show rather than a failed
    request: the same verification, the same trace, no data.
    """
    return jsonify(with_trace(check_access_token().to_dict()))


@bp.post("/api/token")
@limit_sign_in
# No cookie authenticates this call, so there is nothing to forge; and a cross-site form cannot
# send JSON (that content type needs a CORS preflight), so it cannot sign a visitor in either.
@csrf.exempt
def api_token():
    """Exchange a username and password (JSON) for a signed access token."""
    body = read_json_object()
    if body is None:
        return jsonify(
            error="invalid_request",
            message=gettext('Send a JSON object: {"username": "...", "password": "..."}.'),
        ), 400
    username, password = body.get("username"), body.get("password")
    storage = body.get("storage", "localStorage")
    if storage not in STORAGE_CHOICES:
        message = gettext("'storage' must be 'localStorage' or 'cookie'.")
        return jsonify(error="invalid_request", message=message), 400
    # None (no choice made) is kept as such: the sign-in then follows JWT_ALGORITHM.
    algorithm = body.get("algorithm")
    if "algorithm" in body and algorithm not in ALGORITHMS:
        message = gettext("'algorithm' must be 'HS256' or 'ES256'.")
        return jsonify(error="invalid_request", message=message), 400
    if algorithm is not None and key_set().signing_key(algorithm) is None:
        message = gettext(
            "This server has no %(algorithm)s signing key: choose %(configured)s.",
            algorithm=algorithm,
            configured=current_app.config["JWT_ALGORITHM"],
        )
        return jsonify(error="invalid_request", message=message), 400
    errors = login_field_errors(username, password)
    if errors:
        message = " ".join(m for messages in errors.values() for m in messages)
        return jsonify(error="invalid_request", message=message, fields=errors), 400
    user = authenticate(username, password)
    if user is None:
        message = gettext("Invalid username or password.")
        return jsonify(error="invalid_credentials", message=message), 401
    return tokens_response(start_family(user, storage, algorithm))


@bp.post("/api/auth/refresh")
@limit_refresh
@csrf.exempt  # the refresh cookie is SameSite=Strict and the call needs a header no form sends
@fetch_only
def api_refresh():
    """Spend the refresh token in the cookie for a new access token and the next refresh token."""
    try:
        refresh = rotate(refresh_cookie_value())
    except RefreshRefused as refused:
        return refresh_refused(refused)
    return tokens_response(refresh)


def refresh_refusal(refused: RefreshRefused) -> dict:
    return {
        "error": "invalid_refresh_token",
        "message": gettext("Refresh refused: %(reason)s.", reason=refused.reason),
        "reason": str(refused.reason),
    }


def refresh_refused(refused: RefreshRefused) -> Response:
    # The cookie is left where it is: it opens nothing any more, and it is what lets the
    # profile show the visitor which family was revoked, and why (GET /jwt/api/auth/family).
    response = jsonify(with_trace(refresh_refusal(refused)))
    response.status_code = 401
    return response


@bp.post("/api/auth/logout")
@csrf.exempt  # authenticated by a header, or by cookies with a header no cross-site form sends
def api_logout():
    """Sign the JWT out: revoke the refresh family, and deny the access token until its exp."""
    # Read first: a body the server refuses (too large, say) must leave nothing signed out.
    body = read_json_object() if request.content_length else None
    check = check_access_token()
    if isinstance(check.refused, CsrfRefused):
        return token_refused(check.refused)
    refresh_cookie = refresh_cookie_value()
    if check.claims is None:
        if refresh_cookie is None:
            if check.present:
                return token_refused(check.refused)
            message = gettext("Send the access token, or the refresh cookie, to sign out.")
            return jsonify(error="invalid_request", message=message), 400
        if not from_fetch():
            return fetch_header_missing()
    stored = find_refresh_token(refresh_cookie)
    family_revoked = revoke_family(stored.family if stored else None, REVOKED_BY_LOGOUT)
    revoked_until = None
    if check.claims is not None:
        # Verification accepts a token until exp plus the leeway: so must the denylist entry.
        until = int(check.claims["exp"]) + current_app.config["JWT_LEEWAY_SECONDS"]
        if until > time.time():
            revoked_until = until
            denylist().revoke(check.claims["jti"], until)
    response = jsonify(
        with_trace(
            {
                "signed_out": True,
                "refresh_family_revoked": family_revoked,
                "access_token_revoked": revoked_until is not None,
                "revoked_until": revoked_until,
            }
        )
    )
    if body and body.get("keep_copy") is True:
        keep_replay_copies(response, refresh_cookie, check)
    clear_refresh_cookie(response)
    clear_access_cookies(response)
    return response


def keep_replay_copies(response: Response, refresh_cookie: str | None, check) -> None:
    """For the replay lab: keep copies of this browser's HttpOnly credentials (app/replay.py)."""
    if refresh_cookie:
        keep_copy(response, REPLAY_COOKIES["refresh"], refresh_cookie, REPLAY_PATH)
    if check.source == SOURCE_COOKIE:
        access_cookie = request.cookies.get(current_app.config["JWT_ACCESS_COOKIE_NAME"])
        keep_copy(response, REPLAY_COOKIES["access"], access_cookie, REPLAY_PATH)


@bp.get("/api/auth/family")
def api_family():
    """The visitor's refresh family: each token issued, when it was used, and any revocation."""
    stored = find_refresh_token(refresh_cookie_value())
    return jsonify(with_trace({"family": describe_family(stored) if stored else None}))


def describe_family(current: RefreshToken) -> dict:
    """The family of the token in the visitor's cookie, as the profile draws it."""
    family = current.family
    now = time.time()

    def state(token: RefreshToken) -> str:
        if token.used_at is not None:
            return "spent"
        if family.revoked_at is not None:
            return "revoked"
        return "expired" if token.expires_at <= now else "active"

    tokens = newest_tokens(family, FAMILY_TOKENS_SHOWN)
    reason = family.revoked_reason
    return {
        "created_at": family.created_at,
        "storage": family.storage,
        "revoked_at": family.revoked_at,
        "revoked_reason_code": reason,
        "revoked_reason": str(REASONS[reason]) if reason in REASONS else None,
        "tokens": [
            {
                "number": token.number,
                "issued_at": token.issued_at,
                "expires_at": token.expires_at,
                "used_at": token.used_at,
                "state": state(token),
                "current": token.id == current.id,
            }
            for token in tokens
        ],
        "token_count": tokens[-1].number if tokens else 0,
    }


def spend_copy(copy: str) -> tuple[dict, IssuedRefresh | None]:
    """What the refresh route answers a copied refresh token ({"status", "body"}), and what it
    issued. The labs keep none of it: a demo hands out no sign-in."""
    try:
        rotated = rotate(copy)
    except RefreshRefused as refused:
        return {"status": 401, "body": refresh_refusal(refused)}, None
    return {"status": 200, "body": {"refreshed": True}}, rotated


@bp.post("/api/auth/replay")
@csrf.exempt  # needs a header no cross-site form sends; the copies are SameSite=Strict
@fetch_only
def api_replay():
    """Send the copies kept at sign-out again, through the very checks the real routes use."""
    refresh_copy = request.cookies.get(REPLAY_COOKIES["refresh"])
    access_copy = request.cookies.get(REPLAY_COOKIES["access"])
    result = {"refresh_token": None, "access_token": None}
    if refresh_copy:
        result["refresh_token"], rotated = spend_copy(refresh_copy)
        if rotated is not None:
            revoke_family(rotated.family, REVOKED_BY_LOGOUT)  # nobody may use what it issued
    if access_copy:
        result["access_token"] = {
            "stateless": replayed_access(access_copy, checked=False),
            "checked": replayed_access(access_copy, checked=True),
        }
    response = jsonify(result)
    for name in REPLAY_COOKIES.values():
        if name in request.cookies:
            forget_copy(response, name, REPLAY_PATH)
    return response


@bp.post("/api/auth/thief/copy")
@csrf.exempt  # needs a header no cross-site form sends; the refresh cookie is SameSite=Strict
@fetch_only
def api_thief_copy():
    """The reuse lab's first half: copy this browser's refresh token, as a thief would hold it.

    No script can read the HttpOnly cookie, so the server sets the copy (app/replay.py) in a
    cookie that only the thief's routes receive."""
    token = refresh_cookie_value()
    try:
        stored = known_refresh_token(token)
    except RefreshRefused as refused:
        return refresh_refused(refused)
    response = jsonify({"copied": True, "number": stored.number})
    keep_copy(response, THIEF_COOKIE, token, THIEF_PATH)
    return response


@bp.post("/api/auth/thief/use")
@limit_refresh
@csrf.exempt  # needs a header no cross-site form sends; the copy is SameSite=Strict
@fetch_only
def api_thief_use():
    """The reuse lab's second half: the thief spends the copy at the real refresh logic.

    If the visitor spent it first, this is reuse, and the whole family is revoked. If the thief
    comes first, the family's next token is issued (and dropped: the thief keeps nothing that
    works), and the visitor's next refresh is the reuse. Either way the copy is gone."""
    stolen = request.cookies.get(THIEF_COOKIE)
    if not stolen:
        message = gettext("There is no stolen copy: copy the refresh token first.")
        return jsonify(error="invalid_request", message=message), 400
    answer, _ = spend_copy(stolen)
    response = jsonify(answer)
    forget_copy(response, THIEF_COOKIE, THIEF_PATH)
    return response


def replayed_access(token: str, *, checked: bool) -> dict:
    """What GET /jwt/api/me (or /jwt/api/checked/me) answers to this token sent as the
    lab_access cookie: the very checks those routes make, with a trace of their own, and the
    store reads they cost (counted on this request's trace, where every store call is)."""
    reads_before = current_trace().store_reads
    check = check_token(
        token, SOURCE_COOKIE, RequestTrace(scheme="jwt"), checked=checked, method="GET"
    )
    store_reads = current_trace().store_reads - reads_before
    if check.claims is None:
        body = {"error": "invalid_token", "reason": str(check.refused.reason)}
        return {"status": 401, "body": body, "store_reads": store_reads}
    body = {"username": check.claims["username"], "scheme": "jwt"}
    return {"status": 200, "body": body, "store_reads": store_reads}


@bp.get("/api/me")
@token_required
def api_me(claims: dict):
    """Who the token says you are, built from its verified claims with zero queries."""
    return me_response(claims)


@bp.get("/api/checked/me")
@token_required(checked=True)
def api_checked_me(claims: dict):
    """The same answer, after one denylist lookup: what honouring a sign-out costs."""
    return me_response(claims)


def me_response(claims: dict) -> Response:
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
    # Only the algorithms this server holds a signing key for are offered.
    algorithms = [alg for alg in ALGORITHMS if key_set().signing_key(alg) is not None]
    return render_template(
        "jwt/login.html",
        creation_flow=JWT_CREATION,
        limits=limits,
        algorithms=algorithms,
        default_algorithm=current_app.config["JWT_ALGORITHM"],
    )


@bp.get("/profile")
def profile():
    """The token lab page; static/js/jwt-profile.js reads the token from localStorage, or asks
    the server about the one in the HttpOnly cookie."""
    return render_template("jwt/profile.html", creation_flow=JWT_CREATION, usage_flow=JWT_USAGE)


@well_known_bp.get("/jwks.json")
def jwks():
    """The public halves of the signing key pairs (ES256), for anyone to check a token with.
    Never a secret: no `d`, no HS256 key."""
    response = jsonify(key_set().jwks())
    response.headers["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE}"
    return response
