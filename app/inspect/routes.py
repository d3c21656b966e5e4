"""`/inspect`: both schemes side by side, as this browser and this server see them right now."""

from __future__ import annotations

import os

from flask import Blueprint, current_app, jsonify, render_template, request, session
from flask_babel import gettext
from flask_login import current_user

from app.display import describe_authorization, mask_secret, utc_time
from app.flows import JWT_USAGE, SESSION_USAGE
from app.i18n import LANG_COOKIE
from app.jwt_auth.denylist import denylist
from app.jwt_auth.tokens import check_access_token
from app.tracing import RequestTrace, current_trace, recent_auth_costs, store_name

bp = Blueprint("inspect", __name__, url_prefix="/inspect")


def cookie_notes() -> dict[str, str]:
    """What each of the site's own cookies is, for the learner who finds it in DevTools."""
    config = current_app.config
    return {
        config["SESSION_COOKIE_NAME"]: gettext(
            "the session ID: a random key into the server's store"
        ),
        config["PRE_LOGIN_COOKIE_NAME"]: gettext(
            "before sign-in only: the forms' CSRF secret in a signed cookie (readable, not "
            "changeable). Not a session: the server keeps nothing for it"
        ),
        config["JWT_ACCESS_CSRF_COOKIE_NAME"]: gettext(
            "the double-submit value of a JWT kept in a cookie: readable by scripts on "
            "purpose, and worthless without the HttpOnly lab_access cookie"
        ),
        LANG_COOKIE: gettext(
            "your language choice: a preference that page JavaScript can read (no HttpOnly). "
            "Not an authentication cookie"
        ),
    }


def received_cookies() -> list[dict]:
    """Cookie names and masked values, exactly as the server received them."""
    notes = cookie_notes()
    return [
        {"name": name[:64], "masked": mask_secret(value), "note": notes.get(name, "")}
        for name, value in sorted(request.cookies.items())
    ][:20]


def session_view() -> dict:
    """What the session store holds for this request (already loaded: no extra query)."""
    if not current_user.is_authenticated:
        return {
            "authenticated": False,
            "store": current_app.config["SESSION_STORE"],
            "store_name": store_name(current_app.config["SESSION_STORE"]),
            # "none", "malformed", "unchecked" (store down) or "unknown" (no such session)
            "cookie": session.cookie_state,
        }
    record = current_app.session_interface.describe_record(session)
    expiry = record.get("expiry")
    return {
        "authenticated": True,
        "cookie": session.cookie_state,
        "store": record["store"],
        "store_name": record["store_name"],
        "key": mask_secret(record["key"], keep=14),
        "expiry": utc_time(expiry) if expiry else None,
        "username": current_user.username,
        "data_keys": sorted(k for k in session if not k.startswith("_")),
    }


def jwt_view() -> dict:
    """What the server can say about the bearer token of this request: it stores nothing.

    The check is traced on its own: this request may also carry a session, and the two
    schemes' costs must not be added into one figure. A refused token is traced too, since
    refusing it cost work.
    """
    jwt_trace = RequestTrace(scheme="jwt")
    check = check_access_token(trace=jwt_trace)
    verdict = check.to_dict()
    if check.present:
        verdict["trace"] = jwt_trace.to_dict()
    return verdict


def jwt_storage() -> dict:
    """What the server keeps for the JWT scheme: never the access token itself."""
    return {
        "access_tokens": None,
        "refresh_families": "sql",
        "denylist": denylist().store_kind,
    }


@bp.get("")
def index():
    """The page navigation itself: the browser sends its cookies for this path, never a header."""
    trace = current_trace()
    signed_in = current_user.is_authenticated  # loads the user now, so the trace includes it
    return render_template(
        "inspect/index.html",
        cookies=received_cookies(),
        authorization=describe_authorization(request.headers.get("Authorization")),
        session_info=session_view(),
        cookie_name=current_app.config["SESSION_COOKIE_NAME"],
        pre_login_cookie=current_app.config["PRE_LOGIN_COOKIE_NAME"],
        lang_cookie=LANG_COOKIE,
        access_csrf_cookie=current_app.config["JWT_ACCESS_CSRF_COOKIE_NAME"],
        denylist_kind=denylist().store_kind,
        costs=recent_auth_costs(current_app),
        worker_pid=os.getpid(),
        trace=trace if signed_in else None,
        session_usage=SESSION_USAGE,
        jwt_usage=JWT_USAGE,
    )


@bp.get("/api/request")
def api_request():
    """Echo what this fetch carried, as the server received it (masked), and what it stores."""
    # A diagnostic that may do both schemes' work at once: it feeds neither scheme's medians.
    current_trace().diagnostic = True
    return jsonify(
        cookies=received_cookies(),
        authorization=describe_authorization(request.headers.get("Authorization")),
        session=session_view(),
        jwt=jwt_view(),
        server_stores_for_jwt=jwt_storage(),
        worker_pid=os.getpid(),
        trace=current_trace().to_dict(),
    )
