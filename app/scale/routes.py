"""`/lab/scale`: scaling out, watched request by request.

Behind a round-robin proxy (`make cluster`, or a platform running several instances) every
request may reach another instance. The page asks a few times and shows, for each answer, the
instance (X-Served-By) and what it knew: whether it found this browser's session, and whether
it accepted its JWT (asked of `/jwt/api/check`, which answers every verdict with a 200).
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, session
from flask_login import current_user

from app.served_by import served_by
from app.tracing import store_name

bp = Blueprint("scale", __name__, url_prefix="/lab/scale")


def this_instance() -> dict:
    store = current_app.config["SESSION_STORE"]
    return {
        "served_by": served_by(current_app),
        "session_store": store,
        "session_store_name": store_name(store),
        # Whether every instance (and worker) reads the same session records.
        "session_store_shared": current_app.session_interface.shared,
    }


def session_seen() -> dict:
    """What this instance made of the session cookie: "none", "malformed", "unchecked" (the
    store did not answer), "unknown" (no such record here) or "found"."""
    found = current_user.is_authenticated
    return {
        "cookie": session.cookie_state,
        "username": current_user.username if found else None,
    }


@bp.get("")
def index():
    return render_template("lab/scale.html", instance=this_instance(), seen=session_seen())


@bp.get("/api/probe")
def probe():
    """Which instance answered, and whether it found this browser's session. Always 200: an
    unknown session is what the page has come to see, not an error."""
    return jsonify(**this_instance(), session=session_seen())
