"""`/account/password`: a new password ends every other session and every refresh token.

Someone who learned the old password may be signed in somewhere already. So the change ends
every other session of the user (their records are deleted), revokes every refresh family of
theirs, and gives this browser's session a new ID. Access tokens already issued are another
matter: they are checked with no record, so they keep working until they expire, except on the
checked route that asks the denylist.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError

from app.accounts.credentials import (
    PASSWORD_MIN_LENGTH,
    Identity,
    password_change_errors,
    password_matches,
    set_password,
)
from app.accounts.forms import FORM_EXPIRED, PasswordChangeForm, render_form
from app.display import format_duration
from app.errors.handlers import error_response, store_unavailable_response
from app.extensions import db
from app.jwt_auth.refresh import REVOKED_BY_PASSWORD, revoke_user_families
from app.models import User
from app.rate_limits import limit_password_change
from app.redis_client import log_store_failure
from app.session_auth.devices import revoke_other_sessions
from app.session_auth.identity import start_signed_in_session
from app.session_auth.store import STORE_ERRORS

bp = Blueprint("password_change", __name__, url_prefix="/account")

WRONG_PASSWORD = _("That is not your current password.")
SESSIONS_NOT_ENDED = _(
    "Your password was changed and every refresh token revoked, but the session store could not "
    "be reached, so your other sessions were not ended. When it is back, sign in again and end "
    "them on your devices page."
)
RETRY_SOON = {"Retry-After": "5"}


def render_change(form: PasswordChangeForm, *, status: int = 200, error: str | None = None):
    return render_form(
        "password_change/change.html",
        form,
        status=status,
        error=error,
        password_min_length=PASSWORD_MIN_LENGTH,
        access_ttl=format_duration(current_app.config["JWT_ACCESS_TOKEN_TTL"]),
    )


@bp.errorhandler(CSRFError)
def form_expired(error: CSRFError):
    """A stale token: the form again, if there is still someone signed in to change it for."""
    if session.store_unavailable:
        return store_unavailable_response()
    if not current_user.is_authenticated:  # signed out in another tab meanwhile
        return current_app.login_manager.unauthorized()
    return render_change(PasswordChangeForm(), status=400, error=FORM_EXPIRED)


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limit_password_change
def change():
    """Check the current password, store the new one, and end every other sign-in."""
    form = PasswordChangeForm()
    if request.method == "GET":
        return render_change(form)
    current, new = form.current_password.data, form.new_password.data
    errors = password_change_errors(current, new, form.confirm_password.data)
    if errors:
        form.add_errors(errors)
        return render_change(form, status=400)
    user = db.session.get(User, current_user.user_id)
    if user is None or not password_matches(user, current):
        form.add_errors({"current_password": [str(WRONG_PASSWORD)]})
        return render_change(form, status=400)
    # The new password and the end of every refresh family commit together.
    set_password(user, new)
    families_revoked = revoke_user_families(user.id, REVOKED_BY_PASSWORD)
    try:
        sessions_ended = revoke_other_sessions(user.id)
        # This browser stays signed in, under a new session ID.
        start_signed_in_session(Identity.of(user))
    except STORE_ERRORS as exc:
        log_store_failure(current_app.logger, logging.WARNING, exc)
        db.session.rollback()
        return error_response(503, "service_unavailable", SESSIONS_NOT_ENDED, RETRY_SOON)
    flash(changed_message(sessions_ended, families_revoked), "success")
    return redirect(url_for("session_auth.devices"))


def changed_message(sessions_ended: int, families_revoked: int) -> str:
    sessions = ngettext(
        "%(num)d other session was ended.", "%(num)d other sessions were ended.", sessions_ended
    )
    families = ngettext(
        "%(num)d JWT sign-in lost its refresh token.",
        "%(num)d JWT sign-ins lost their refresh tokens.",
        families_revoked,
    )
    return gettext(
        "Password changed. %(sessions)s %(families)s This browser is still signed in, under a "
        "new session ID.",
        sessions=sessions,
        families=families,
    )
