"""Routes of the session scheme: login, profile, logout, and the JSON `me` and `notes`."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from itsdangerous import BadData, URLSafeTimedSerializer

from app.accounts.credentials import (
    USERNAME_MAX_LENGTH,
    Identity,
    authenticate,
    login_field_errors,
)
from app.accounts.forms import FORM_EXPIRED, LoginForm, render_form
from app.accounts.notes import load_notes
from app.display import describe_cookie, mask_secret
from app.errors.handlers import CSRF_FAILED, error_response, store_unavailable_response
from app.extensions import db
from app.flows import SESSION_CREATION, SESSION_USAGE
from app.i18n import LANG_COOKIE, current_language
from app.json_body import read_json_object
from app.rate_limits import limit_sign_in
from app.replay import keep_copy
from app.session_auth.devices import (
    NoSuchSession,
    list_sessions,
    revoke_other_sessions,
    revoke_session,
)
from app.session_auth.identity import (
    ID_BEFORE_SIGN_IN_KEY,
    end_signed_in_session,
    id_prefix,
    start_signed_in_session,
)
from app.session_auth.store import STORE_ERRORS, USER_ID_KEY
from app.tracing import current_trace, with_trace

bp = Blueprint("session_auth", __name__, url_prefix="/session")

REPLAY_COOKIE = "lab_session_copy"

INVALID_CREDENTIALS = _("Invalid username or password.")
ALREADY_SIGNED_OUT = _("You were already signed out: there was no session to end.")
SIGNED_OUT = _(
    "Signed out. The session record was deleted from the store, so a copy of the old cookie "
    "no longer works."
)
SIGNED_OUT_AND_CLEARED = _(
    "Signed out. The session record was deleted from the store, so a copy of the old cookie "
    "no longer works. This browser was also told to clear this site's cookies and storage, so "
    "any tokens the JWT lab kept here are gone from it too. They were not revoked: a copy of an "
    "access token elsewhere stays valid until it expires, and a copy of a refresh token keeps "
    "getting new ones until its sign-in ends or the password is changed."
)
CROSS_SITE_SIGN_OUT = _(
    "A page on another site sent a sign-out request here. Your browser sends no session cookie "
    "with such a request (the cookie is SameSite=Lax), so it signed no one out."
)
# Everything this site left in the browser goes at sign-out (OWASP's advice): every cookie,
# whatever its path, and localStorage.
CLEAR_SITE_DATA = '"cookies", "storage"'
SIGNED_OUT_MARK_SALT = "session-vs-jwt-lab signed out"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
SIGNED_OUT_MARK_SECONDS = 60


def safe_next(target: str | None) -> str | None:
    """Accept only a path on this site, so `next` cannot send the user elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def render_login(form: LoginForm, *, status: int = 200, error: str | None = None):
    return render_form(
        "session/login.html",
        form,
        status=status,
        error=error,
        next_url=safe_next(request.args.get("next")),
        creation_flow=SESSION_CREATION,
    )


@bp.before_request
def require_session_store():
    """Session pages cannot work without the store: say so with a 503, not a login loop."""
    if session.store_unavailable:
        return store_unavailable_response()
    return None


@bp.errorhandler(CSRFError)
def form_expired(error: CSRFError):
    """A stale or missing CSRF token: send the same form back, filled in, rather than a bare 400."""
    if session.store_unavailable:
        # The token could not be checked because the record could not be read: saying that
        # the form expired, or that the visitor is signed out, would both be false.
        return store_unavailable_response()
    if request.path.startswith("/session/api/"):
        return error_response(400, "csrf_failed", CSRF_FAILED)
    if request.endpoint == "session_auth.devices":
        flash(str(FORM_EXPIRED), "error")
        return redirect(url_for("session_auth.devices"))
    if request.endpoint == "session_auth.logout":
        if not current_user.is_authenticated:
            flash(str(nobody_to_sign_out()), "info")
            return redirect(url_for("session_auth.login"))
        page = render_template(
            "session/logout.html", error=FORM_EXPIRED, clears_site_data=browser_clears_site_data()
        )
        return page, 400
    return render_login(LoginForm(), status=400, error=FORM_EXPIRED)


@bp.route("/login", methods=["GET", "POST"])
@limit_sign_in
def login():
    """Check the ID and password, then create a server-side session and send its ID as a cookie."""
    form = LoginForm()
    if request.method == "GET":
        if just_signed_out():
            notice = SIGNED_OUT_AND_CLEARED if browser_clears_site_data() else SIGNED_OUT
            flash(str(notice), "success")
        if request.args.get("username"):
            form.username.data = request.args["username"][:USERNAME_MAX_LENGTH]
        return render_login(form)
    # CSRFProtect has checked the token before this view runs (see form_expired).
    errors = login_field_errors(form.username.data, form.password.data)
    if errors:
        form.add_errors(errors)
        return render_login(form, status=400)
    user = authenticate(form.username.data, form.password.data)
    if user is None:
        return render_login(form, status=401, error=INVALID_CREDENTIALS)
    start_signed_in_session(Identity.of(user))
    return redirect(safe_next(request.args.get("next")) or url_for("session_auth.profile"))


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """Delete the session record and the cookie: the old ID then authenticates no one."""
    if not current_user.is_authenticated:
        flash(str(nobody_to_sign_out()), "info")
        return redirect(url_for("session_auth.login"))
    if request.method == "GET":
        return render_template(
            "session/logout.html", error=None, clears_site_data=browser_clears_site_data()
        )
    copy = session.sid if request.form.get("keep_copy") == "1" else None
    end_signed_in_session()
    if copy is None:
        return signed_out_response()
    # The replay lab: keep what a thief who copied the cookie would hold, where only the
    # replay route receives it. A page script could not copy the HttpOnly cookie itself.
    response = redirect(url_for("session_auth.replay"))
    keep_copy(response, REPLAY_COOKIE, copy, url_for("session_auth.api_replay"))
    return response


def nobody_to_sign_out():
    """Why a sign-out found no session: none was there, or another site's form sent it."""
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return CROSS_SITE_SIGN_OUT
    return ALREADY_SIGNED_OUT


def browser_clears_site_data() -> bool:
    """Whether the browser obeys `Clear-Site-Data` here: only in a secure context, which is
    https or a loopback address (plain http to a LAN address is not one)."""
    host = urlsplit(f"//{request.host}").hostname or ""
    return request.is_secure or host in LOOPBACK_HOSTS or host.endswith(".localhost")


def signed_out_mark() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SIGNED_OUT_MARK_SALT)


def signed_out_response() -> Response:
    """After a sign-out: to the sign-in page, with `Clear-Site-Data`.

    The header clears every cookie, the ones set by this very response included, so neither the
    flash (which travels in the pre-login cookie) nor the language choice could ride along. The
    notice goes in the URL instead, signed by the server and good for a minute: no one can make
    up such a link, and an old one says nothing. (Nothing survives the clearing to tie it to
    this browser, so for that minute it would show its notice to whoever opened it.) The
    language goes as `?lang=`, which sets it again.
    """
    args = {"signed_out": signed_out_mark().dumps(1)}
    if LANG_COOKIE in request.cookies:
        args["lang"] = current_language()
    response = redirect(url_for("session_auth.login", **args))
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


def just_signed_out() -> bool:
    mark = request.args.get("signed_out")
    if not mark or current_user.is_authenticated:
        return False
    try:
        signed_out_mark().loads(mark, max_age=SIGNED_OUT_MARK_SECONDS)
    except BadData:
        return False
    return True


@bp.get("/replay")
def replay():
    """After a sign-out that kept a copy of the cookie: the page that sends the copy again."""
    return render_template(
        "session/replay.html", cookie_name=current_app.config["SESSION_COOKIE_NAME"]
    )


@bp.get("/api/replay")
def api_replay():
    """What the session API answers to the copy kept at sign-out: the same store lookup."""
    copy = request.cookies.get(REPLAY_COOKIE)
    if copy is None:
        return jsonify(copy=False, status=None, body=None)
    try:
        record = current_app.session_interface.signed_in_record(copy)
    except STORE_ERRORS:
        db.session.rollback()
        return store_unavailable_response()
    if record is not None:
        body = {"scheme": "session", "user_id": record.data[USER_ID_KEY]}
        return jsonify(with_trace({"copy": True, "status": 200, "body": body}))
    refused, status = not_signed_in()
    return jsonify(with_trace({"copy": True, "status": status, "body": refused.get_json()}))


@bp.get("/profile")
@login_required
def profile():
    """Who you are, the cookie, the server-side record, and the flow this request went through."""
    notes = load_notes(current_user.user_id)
    record = current_app.session_interface.describe_record(session)
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
        trace=current_trace(),
        id_before=session.get(ID_BEFORE_SIGN_IN_KEY),
        id_now=id_prefix(session),
        clears_site_data=browser_clears_site_data(),
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
        message=gettext("No valid session: sign in at /session/login first."),
    ), 401


@bp.get("/api/me")
def api_me():
    """JSON view of the signed-in user; 401 JSON without a valid session."""
    if not current_user.is_authenticated:
        return not_signed_in()
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
    notes = load_notes(current_user.user_id)
    return jsonify(with_trace({"notes": [note.to_dict() for note in notes], "scheme": "session"}))


# The device list.

HANDLE_MAX_LENGTH = 64


@bp.route("/devices", methods=["GET", "POST"])
@login_required
def devices():
    """Your live sessions; end one, or every other one (a form, so it works without JavaScript)."""
    user_id = current_user.user_id
    if request.method == "POST":
        if request.form.get("all_others") == "1":
            ended = revoke_other_sessions(user_id)
            flash(ended_message(ended), "success")
            return redirect(url_for("session_auth.devices"))
        try:
            signed_out = revoke_session(user_id, request.form.get("id", "")[:HANDLE_MAX_LENGTH])
        except NoSuchSession:
            flash(str(SESSION_GONE), "info")
            return redirect(url_for("session_auth.devices"))
        if signed_out:
            return signed_out_response()
        flash(ended_message(1), "success")
        return redirect(url_for("session_auth.devices"))
    return render_template(
        "session/devices.html",
        sessions=list_sessions(user_id),
        refresh_interval=current_app.config["SESSION_REFRESH_INTERVAL"],
        store_shared=current_app.session_interface.shared,
    )


SESSION_GONE = _("That session had already ended: it is no longer in the store.")


def ended_message(count: int) -> str:
    """What ending `count` other sessions did, in the page's language."""
    if count == 0:
        return gettext("No other session was live: there was nothing to end.")
    return ngettext(
        "Ended %(num)d other session: its record was deleted, so its cookie now "
        "authenticates no one.",
        "Ended %(num)d other sessions: their records were deleted, so their cookies now "
        "authenticate no one.",
        count,
    )


@bp.get("/api/sessions")
def api_sessions():
    """The signed-in user's live sessions as JSON; `id` is a public handle, never a session ID."""
    if not current_user.is_authenticated:
        return not_signed_in()
    return jsonify(with_trace({"sessions": list_sessions(current_user.user_id)}))


@bp.post("/api/sessions/revoke")
def api_revoke_sessions():
    """End one session (`{"id": ...}`) or every other one (`{"all_others": true}`). The CSRF
    token comes in `X-CSRFToken`, from the page's `<meta name="csrf-token">`."""
    if not current_user.is_authenticated:
        return not_signed_in()
    body = read_json_object()
    if body == {"all_others": True}:
        return jsonify(revoked=revoke_other_sessions(current_user.user_id), signed_out=False)
    handle = body.get("id") if body is not None and set(body) == {"id"} else None
    if not isinstance(handle, str) or not 0 < len(handle) <= HANDLE_MAX_LENGTH:
        return error_response(400, "invalid_request", REVOKE_BODY)
    try:
        signed_out = revoke_session(current_user.user_id, handle)
    except NoSuchSession:
        return error_response(404, "not_found", SESSION_GONE)
    response = jsonify(revoked=1, signed_out=signed_out)
    if signed_out:
        response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA  # a sign-out, like the form's
    return response


REVOKE_BODY = _(
    'Send a JSON object with either "id" (a session\'s id from /session/api/sessions) or '
    '"all_others": true.'
)
