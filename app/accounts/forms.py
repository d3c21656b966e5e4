"""Forms (Flask-WTF, so each carries a CSRF token) for signing in, signing up and changing a
password.

The rules live in credentials.py and the views apply them, so the session login, the JWT token
endpoint and sign-up cannot drift apart. The fields only carry the matching HTML limits.
"""

from flask import render_template, request
from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from werkzeug.datastructures import CombinedMultiDict
from wtforms import PasswordField, StringField

from app.accounts.credentials import (
    DISPLAY_NAME_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    USERNAME_MAX_LENGTH,
)

# What a form says when its CSRF token no longer matches, and it is sent back filled in.
FORM_EXPIRED = _(
    "This form expired, please send it again. Its security token no longer matches, "
    "perhaps because you signed in or out in another tab."
)


def render_form(template: str, form: FlaskForm, *, status: int = 200, **context):
    """A page with a credentials form, filled in as sent except the passwords, which are never
    sent back to the browser."""
    for field in form:
        if isinstance(field, PasswordField):
            field.data = ""
    return render_template(template, form=form, **context), status


class TextForm(FlaskForm):
    """A form whose fields are only ever text.

    Flask-WTF merges uploaded files into the form data, so a multipart request could make a
    field's value a file object and trip the validators. No form here takes a file.
    """

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            wrapped = super().wrap_formdata(form, formdata)
            if isinstance(wrapped, CombinedMultiDict):
                return request.form
            return wrapped

    def add_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            getattr(self, name).errors = [*getattr(self, name).errors, *messages]


def username_field() -> StringField:
    return StringField(
        _("Username"), render_kw={"maxlength": USERNAME_MAX_LENGTH, "autocomplete": "username"}
    )


def current_password_field(label) -> PasswordField:
    return PasswordField(
        label, render_kw={"maxlength": PASSWORD_MAX_LENGTH, "autocomplete": "current-password"}
    )


def new_password_field(label) -> PasswordField:
    """A field for choosing a password: the length rules of credentials.py, as HTML limits, and
    the hint that lets a password manager offer a generated one."""
    return PasswordField(
        label,
        render_kw={
            "maxlength": PASSWORD_MAX_LENGTH,
            "minlength": PASSWORD_MIN_LENGTH,
            "autocomplete": "new-password",
        },
    )


class LoginForm(TextForm):
    username = username_field()
    password = current_password_field(_("Password"))


class SignupForm(TextForm):
    username = username_field()
    display_name = StringField(
        _("Display name (optional)"),
        render_kw={"maxlength": DISPLAY_NAME_MAX_LENGTH, "autocomplete": "nickname"},
    )
    password = new_password_field(_("Password"))


class PasswordChangeForm(TextForm):
    current_password = current_password_field(_("Current password"))
    new_password = new_password_field(_("New password"))
    confirm_password = new_password_field(_("New password, again"))
