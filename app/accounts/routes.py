"""Sign-up page."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext
from flask_wtf.csrf import CSRFError

from app.accounts.credentials import (
    PASSWORD_MIN_LENGTH,
    USERNAME_RULE,
    InvalidFields,
    register_user,
)
from app.accounts.forms import FORM_EXPIRED, SignupForm, render_form
from app.rate_limits import limit_sign_in

bp = Blueprint("accounts", __name__, url_prefix="/account")


def render_signup(form: SignupForm, *, status: int = 200, error: str | None = None):
    return render_form(
        "accounts/signup.html",
        form,
        status=status,
        error=error,
        username_rule=USERNAME_RULE,
        password_min_length=PASSWORD_MIN_LENGTH,
    )


@bp.errorhandler(CSRFError)
def form_expired(error: CSRFError):
    """A stale or missing CSRF token: the same form back, filled in except the password."""
    return render_signup(SignupForm(), status=400, error=FORM_EXPIRED)


@bp.route("/signup", methods=["GET", "POST"])
@limit_sign_in
def signup():
    """Create an account; it can then sign in under either scheme."""
    form = SignupForm()
    if request.method == "GET":
        return render_signup(form)
    try:
        user = register_user(
            form.username.data or "", form.password.data or "", form.display_name.data or ""
        )
    except InvalidFields as invalid:
        form.add_errors(invalid.errors)
        return render_signup(form, status=400)
    flash(
        gettext("Account '%(name)s' created. Sign in under either scheme.", name=user.username),
        "success",
    )
    return redirect(url_for("session_auth.login", username=user.username))
