"""`/lab/browser`: what an injected script gets, a real cross-site form, and a planted session ID.

* The injected script (static/js/injected-script.js) runs in this page, as a script an attacker
  slipped in would. It reads the token kept in `localStorage`, sends it to the sink below, uses
  the copy with no cookie at all, and rides the session with a same-origin request. It cannot
  read an `HttpOnly` cookie, and does not need to.
* CSRF: the attacker's page is served by this app under the other loopback name (`localhost`
  against `127.0.0.1`), which the browser treats as another site. Its forms post here. A demo
  cookie, whose SameSite the visitor chooses, stands for the session cookie; the real session
  cookie keeps `SameSite=Lax` whatever the toggle says.
* Fixation: an ID "planted" in the browser's session cookie reaches the sign-in, which issues a
  new ID anyway; the planted one then opens nothing.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from app.accounts.forms import FORM_EXPIRED, LoginForm
from app.display import mask_secret
from app.errors.handlers import error_response, store_unavailable_response
from app.extensions import csrf, db
from app.json_body import read_json_object
from app.replay import keep_copy
from app.session_auth.identity import ID_BEFORE_SIGN_IN_KEY, ID_PREFIX_LENGTH, id_prefix
from app.session_auth.store import STORE_ERRORS

bp = Blueprint("browser_lab", __name__, url_prefix="/lab/browser")

# The cookie that stands for a session cookie in the CSRF demo: "<SameSite>.<random>".
DEMO_COOKIE = "lab_csrf_demo"
DEMO_COOKIE_PATH = "/lab/browser"
SAMESITE_CHOICES = ("Lax", "None")
# Where the lab keeps the planted ID, so that it can be sent again after sign-in.
PLANTED_COPY = "lab_planted_copy"
PLANTED_COPY_PATH = "/lab/browser/api/fixation"
# Each loopback name's other self: the same server, another site as far as cookies go.
LOOPBACK_COUNTERPART = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}
SINK_MAX_LENGTH = 8192


def other_site() -> str | None:
    """This server under its other loopback name, or None where there is no such name (a
    deployed site has one host name, and a second site needs a second domain)."""
    parts = urlsplit(f"//{request.host}")
    counterpart = LOOPBACK_COUNTERPART.get(parts.hostname or "")
    if counterpart is None:
        return None
    port = f":{parts.port}" if parts.port else ""
    return f"{request.scheme}://{counterpart}{port}"


def demo_cookie() -> dict | None:
    """The demo cookie this request carried, if any: its SameSite and a masked value."""
    raw = request.cookies.get(DEMO_COOKIE)
    samesite, _dot, _rest = (raw or "").partition(".")
    if samesite not in SAMESITE_CHOICES:
        return None
    return {"samesite": samesite, "masked": mask_secret(raw, keep=10)}


@bp.errorhandler(CSRFError)
def csrf_refused(error: CSRFError):
    if request.endpoint == "browser_lab.csrf_target":
        return render_target_result(token_valid=False)
    if session.store_unavailable:
        return store_unavailable_response()
    flash(str(FORM_EXPIRED), "error")
    return redirect(url_for("browser_lab.index"))


@bp.get("")
def index():
    """The three attacks, each with what it needs from the visitor's current state."""
    return render_template(
        "lab/browser.html",
        other_site=other_site(),
        demo=demo_cookie(),
        session_cookie=current_app.config["SESSION_COOKIE_NAME"],
        session_samesite=current_app.config["SESSION_COOKIE_SAMESITE"],
        id_before=session.get(ID_BEFORE_SIGN_IN_KEY),
        id_now=id_prefix(session),
    )


# What an injected script gets.


@bp.post("/api/sink")
@csrf.exempt  # it changes nothing and keeps nothing: it stands for the attacker's server
def sink():
    """Where the injected script sends what it stole. It keeps nothing; it answers with what it
    received, as an attacker's server would log it."""
    body = read_json_object()
    token = body.get("token") if body else None
    if not isinstance(token, str) or not 0 < len(token) <= SINK_MAX_LENGTH:
        message = gettext('Send a JSON object with "token": the text the script obtained.')
        return error_response(400, "invalid_request", message)
    return jsonify(
        received=True,
        length=len(token),
        preview=mask_secret(token, keep=12),
        parts=token.count(".") + 1,
    )


# CSRF.


@bp.post("/csrf/demo-cookie")
def set_demo_cookie():
    """Set the demo cookie with the SameSite the visitor chose (the real cookie never changes)."""
    choice = request.form.get("samesite")
    response = redirect(url_for("browser_lab.index", _anchor="csrf"))
    if choice not in SAMESITE_CHOICES:
        # Deleted with the attributes it was set with: a browser keeps a Secure cookie that an
        # insecure Set-Cookie tries to overwrite.
        held = demo_cookie()
        relaxed = held is not None and held["samesite"] == "None"
        response.delete_cookie(
            DEMO_COOKIE,
            path=DEMO_COOKIE_PATH,
            httponly=True,
            secure=relaxed or current_app.config["SESSION_COOKIE_SECURE"],
            samesite="None" if relaxed else "Lax",
        )
        return response
    response.set_cookie(
        DEMO_COOKIE,
        f"{choice}.{secrets.token_urlsafe(16)}",
        max_age=3600,
        path=DEMO_COOKIE_PATH,
        httponly=True,
        samesite=choice,
        # Browsers drop a SameSite=None cookie that is not Secure. They accept a Secure cookie
        # from http://localhost and http://127.0.0.1, which count as secure contexts.
        secure=choice == "None" or current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


@bp.get("/attacker")
def attacker():
    """The attacker's page, meant to be opened under the other loopback name. Its forms post to
    this server under the name the lab was opened with."""
    target = other_site()
    response = make_response(render_template("lab/attacker.html", target=target))
    if target:
        # This page plays another site: its forms may post to the lab's origin (see
        # register_security_headers). Everything else stays as strict as on every page.
        response.plays_another_site_for = target
    return response


@bp.post("/csrf/target")
def csrf_target():
    """The demo's state-changing action. CSRFProtect has checked the token before this runs, so
    reaching this line means the request came from a page of this site."""
    return render_target_result(token_valid=True)


def render_target_result(*, token_valid: bool):
    """What came with the demo action's request, and the verdict: it runs only with both the
    demo cookie (someone to act for) and a valid CSRF token (a page of this site sent it)."""
    arrived = {
        "demo": demo_cookie(),
        "session": current_app.config["SESSION_COOKIE_NAME"] in request.cookies,
        "origin": request.headers.get("Origin"),
        "fetch_site": request.headers.get("Sec-Fetch-Site"),
        "token_sent": bool(request.form.get("csrf_token")),
        "token_valid": token_valid,
    }
    accepted = token_valid and arrived["demo"] is not None
    status = 200 if accepted else 403
    return render_template("lab/csrf_result.html", accepted=accepted, arrived=arrived), status


# Session fixation.

SIGNED_IN_ALREADY = _(
    "Sign out of the session lab first: planting an ID would replace your session cookie."
)


@bp.post("/fixation/plant")
def plant():
    """Put an ID of the attacker's choosing in this browser's session cookie, then offer the
    sign-in form: it is sent with the planted ID."""
    if current_user.is_authenticated:
        flash(str(SIGNED_IN_ALREADY), "info")
        return redirect(url_for("browser_lab.index", _anchor="fixation"))
    planted = secrets.token_urlsafe(32)
    form = LoginForm()
    response = make_response(
        render_template(
            "lab/fixation_plant.html",
            form=form,
            planted=planted[:ID_PREFIX_LENGTH],
            next_url=url_for("browser_lab.index", _anchor="fixation"),
        )
    )
    current_app.session_interface.plant_cookie(current_app, session, response, planted)
    keep_copy(response, PLANTED_COPY, planted, PLANTED_COPY_PATH)
    return response


@bp.get("/api/fixation")
def fixation_check():
    """Send the planted ID to the store again, now: does it open a session?"""
    planted = request.cookies.get(PLANTED_COPY)
    current = id_prefix(session)
    if planted is None:
        return jsonify(planted=None, current=current, accepted=None)
    try:
        record = current_app.session_interface.signed_in_record(planted)
    except STORE_ERRORS:
        db.session.rollback()
        return store_unavailable_response()
    prefix = planted[:ID_PREFIX_LENGTH]
    return jsonify(planted=prefix, current=current, accepted=record is not None)
