"""Routes of the session scheme: login form, profile, logout, and a JSON `me` endpoint."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from app.accounts.credentials import Identity, authenticate
from app.accounts.forms import LoginForm
from app.display import describe_cookie, mask_secret
from app.errors.handlers import store_unavailable_response
from app.extensions import db
from app.flows import SESSION_CREATION, SESSION_USAGE
from app.models import Note
from app.session_auth.identity import remember_identity
from app.tracing import current_trace, traced_step, with_trace

bp = Blueprint("session_auth", __name__, url_prefix="/session")

INVALID_CREDENTIALS = "Invalid username or password."


def safe_next(target: str | None) -> str | None:
    """Accept only a path on this site, so `next` cannot send the user elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Check the ID and password, then create a server-side session and send its ID as a cookie."""
    form = LoginForm()
    if request.method == "GET" and request.args.get("username"):
        form.username.data = request.args["username"][:64]
    next_url = safe_next(request.args.get("next"))
    signed_out = request.method == "GET" and request.args.get("signed_out") == "1"
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is None:
            form.password.data = ""
            return render_template(
                "session/login.html",
                form=form,
                error=INVALID_CREDENTIALS,
                next_url=next_url,
                creation_flow=SESSION_CREATION,
            ), 401
        identity = Identity.of(user)
        login_user(identity)
        remember_identity(identity)
        session["login_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        session["login_ip"] = request.remote_addr or "unknown"
        # A new CSRF token too: one seen before login must not work after it. Made now, so the
        # record is complete at login and the next page does not have to write it.
        session.pop("csrf_token", None)
        g.pop("csrf_token", None)
        generate_csrf()
        # Rotate the ID now that the session holds data: regenerate() ignores an empty session.
        # Whatever ID the browser had before login (perhaps one an attacker planted) is dead.
        current_app.session_interface.regenerate(session)
        return redirect(next_url or url_for("session_auth.profile"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "session/login.html",
        form=form,
        error=None,
        next_url=next_url,
        creation_flow=SESSION_CREATION,
        signed_out=signed_out,
    ), status


@bp.post("/logout")
@login_required
def logout():
    """Delete the session record and the cookie: the old ID then authenticates no one."""
    # clear() first: logout_user() only pops Flask-Login's keys and would leave ours behind.
    session.clear()
    logout_user()
    # No flash(): it would write a new record into the session we have just emptied. An empty
    # session is deleted from the store and its cookie expired by Flask-Session.
    return redirect(url_for("session_auth.login", signed_out=1))


def _load_notes(user_id: int) -> list[Note]:
    with traced_step("data_query", "Data requested from the database", "SELECT notes"):
        notes = list(
            db.session.execute(select(Note).where(Note.user_id == user_id).order_by(Note.id))
            .scalars()
            .all()
        )
    current_trace().add(
        "data_returned",
        "Data returned",
        detail=f"{len(notes)} note{'' if len(notes) == 1 else 's'}",
    )
    return notes


@bp.get("/profile")
@login_required
def profile():
    """Who you are, the cookie, the server-side record, and the flow this request went through."""
    notes = _load_notes(current_user.user_id)
    trace = current_trace()
    trace.add("response", "Response sent")
    record = current_app.session_interface.describe_record(session.sid)
    record["key"] = mask_secret(record["key"], keep=14)
    record["data"] = session_data_for_display(dict(session))
    return render_template(
        "session/profile.html",
        notes=notes,
        cookie=describe_cookie(request.cookies.get(current_app.config["SESSION_COOKIE_NAME"])),
        cookie_settings=session_cookie_settings(),
        record=record,
        creation_flow=SESSION_CREATION,
        usage_flow=SESSION_USAGE,
        trace=trace,
    )


def session_data_for_display(data: dict) -> dict:
    """The record's decoded data, with the values that act as secrets masked."""
    shown = {}
    for key, value in data.items():
        shown[key] = mask_secret(str(value)) if key in {"csrf_token", "_id"} else value
    return shown


def session_cookie_settings() -> dict:
    config = current_app.config
    return {
        "name": config["SESSION_COOKIE_NAME"],
        "HttpOnly": config["SESSION_COOKIE_HTTPONLY"],
        "SameSite": config["SESSION_COOKIE_SAMESITE"],
        "Secure": config["SESSION_COOKIE_SECURE"],
        "Path": config.get("SESSION_COOKIE_PATH") or "/",
    }


def not_signed_in():
    """The session API's answer without a valid session (a redirect would confuse a script)."""
    return jsonify(
        error="not_authenticated",
        message="No valid session: sign in at /session/login first.",
    ), 401


@bp.get("/api/me")
def api_me():
    """JSON view of the signed-in user; 401 JSON without a valid session."""
    if not current_user.is_authenticated:
        return not_signed_in()
    current_trace().add("response", "Response sent")
    user = current_user._get_current_object()
    return jsonify(
        with_trace(
            {
                "username": user.username,
                "display_name": user.display_name,
                "user_id": user.user_id,
                "scheme": "session",
                "login_at": session.get("login_at"),
                "store": current_app.config["SESSION_STORE"],
            }
        )
    )


@bp.get("/api/notes")
def api_notes():
    """The user's notes: the session proves who it is, the database holds the data."""
    if not current_user.is_authenticated:
        return not_signed_in()
    notes = _load_notes(current_user.user_id)
    current_trace().add("response", "Response sent")
    return jsonify(with_trace({"notes": [note.to_dict() for note in notes], "scheme": "session"}))


@bp.before_request
def require_session_store():
    """Session pages cannot work without the store: say so with a 503, not a login loop."""
    if g.get("session_store_unavailable"):
        return store_unavailable_response()
    return None
