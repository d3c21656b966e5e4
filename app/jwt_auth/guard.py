"""The access token as a guard of JSON routes: the `token_required` decorator, and the 401 (or
403) it answers with, its RFC 6750 challenge included. Any feature's routes may use it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import jsonify
from flask_babel import force_locale, gettext

from app.jwt_auth.tokens import CsrfRefused, TokenRejected, check_access_token
from app.tracing import with_trace

REALM = "session-vs-jwt-lab"


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
    """The 401 for a missing or refused token (the reason, and the step of the flow that refused
    it), or the 403 for a cookie-authenticated change without its CSRF header."""
    if isinstance(rejected, CsrfRefused):
        body = {
            "error": "csrf_failed",
            "message": gettext("Refused: %(reason)s.", reason=rejected.reason),
            "reason": str(rejected.reason),
        }
        return jsonify(with_trace(body)), 403
    if rejected is None:
        body = {
            "error": "missing_token",
            "message": gettext(
                "Send the access token as 'Authorization: Bearer <token>', or sign in with "
                "cookie storage."
            ),
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


def token_required(view: Callable | None = None, *, checked: bool = False) -> Callable:
    """Authenticate by the access token (signature and claims, no store) and pass on the
    verified claims as the view's first argument. `checked=True` also asks the denylist."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            check = check_access_token(checked=checked)
            if check.claims is None:
                return token_refused(check.refused)
            return view(check.claims, *args, **kwargs)

        return wrapped

    return decorator(view) if view is not None else decorator
