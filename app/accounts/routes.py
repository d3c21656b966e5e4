"""Sign-up page."""

from flask import Blueprint, flash, redirect, render_template, url_for

from app.accounts.credentials import USERNAME_RULE, CredentialError, register_user
from app.accounts.forms import SignupForm

bp = Blueprint("accounts", __name__, url_prefix="/account")


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """Create an account; it can then sign in under either scheme."""
    form = SignupForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = register_user(
                form.username.data, form.password.data, form.display_name.data or ""
            )
        except CredentialError as err:
            getattr(form, err.field).errors.append(err.message)
            status = 400
        else:
            flash(f"Account '{user.username}' created. Sign in under either scheme.", "success")
            return redirect(url_for("session_auth.login", username=user.username))
    elif form.is_submitted():
        status = 400
    return render_template("accounts/signup.html", form=form, username_rule=USERNAME_RULE), status
