"""Rate limits on everything that checks a password or issues a credential (Flask-Limiter).

Without them an attacker gets about 20 password guesses a second, each costing the server an
scrypt hash, and the guessing slows every other page. Each sign-in is limited twice: per client
address (PROXY_FIX_HOPS makes it the visitor's, not the proxy's) and per username, so neither
many addresses against one account nor one address against many accounts gets far. A refused
attempt is answered before the view runs: it costs no password hash.

The counts live in memory (per process), or in Redis when REDIS_URL is set, so that every
worker and instance shares them. A limiter store that fails lets requests through (logged):
an outage of the counter must not lock everyone out.
"""

from __future__ import annotations

import time

from flask import Flask, Response, request
from flask_babel import gettext
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user

from app.accounts.credentials import normalise_username
from app.errors.handlers import error_response
from app.extensions import limiter

PER_ADDRESS = "30 per minute"
PER_USERNAME = "10 per minute"
REFRESH_PER_ADDRESS = "60 per minute"


def username_key() -> str:
    """The username a sign-in names (form or JSON), as the login compares it."""
    raw = request.form.get("username") if request.form else None
    if raw is None:
        body = request.get_json(silent=True)
        raw = body.get("username") if isinstance(body, dict) else None
    name = normalise_username(raw) if isinstance(raw, str) else ""
    return f"username:{name[:64]}"


def names_no_one() -> bool:
    return username_key() == "username:"


def limit_sign_in(view):
    """Both limits, on POST only: showing the form is free. A request naming no username is
    counted per address only (there is no account to protect, and no shared "nobody" bucket
    that junk requests could fill for everyone)."""
    view = limiter.limit(
        PER_USERNAME, key_func=username_key, methods=["POST"], exempt_when=names_no_one
    )(view)
    return limiter.limit(PER_ADDRESS, key_func=get_remote_address, methods=["POST"])(view)


def signed_in_user_key() -> str:
    """The bucket of the signed-in user, whatever address they come from."""
    return f"user:{current_user.get_id()}"


def limit_password_change(view):
    """The current password is checked like a sign-in's: limited per address and per user."""
    view = limiter.limit(
        PER_USERNAME,
        key_func=signed_in_user_key,
        methods=["POST"],
        exempt_when=lambda: not current_user.is_authenticated,  # sent to sign in first
    )(view)
    return limiter.limit(PER_ADDRESS, key_func=get_remote_address, methods=["POST"])(view)


def limit_refresh(view):
    return limiter.limit(REFRESH_PER_ADDRESS, key_func=get_remote_address)(view)


def init_rate_limits(app: Flask) -> None:
    limiter.init_app(app)

    @app.errorhandler(RateLimitExceeded)
    def too_many(error: RateLimitExceeded) -> Response:
        seconds = retry_after()
        message = gettext(
            "Too many attempts. Wait %(seconds)d seconds, then try again.", seconds=seconds
        )
        return error_response(429, "too_many_requests", message, {"Retry-After": str(seconds)})


def retry_after() -> int:
    """Whole seconds until the limit that refused this request lets one through again."""
    breached = limiter.current_limit
    if breached is None:
        return 60
    return max(1, int(breached.reset_at - time.time()) + 1)
