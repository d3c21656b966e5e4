"""Forms (Flask-WTF, so each carries a CSRF token) for signing in and signing up."""

from flask import request
from flask_wtf import FlaskForm
from werkzeug.datastructures import CombinedMultiDict
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from app.accounts.credentials import PASSWORD_MAX_LENGTH


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


class LoginForm(TextForm):
    # No length rule here: a name nobody could have is answered like any wrong credential (401).
    username = StringField("Username", validators=[DataRequired(), Length(max=256)])
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(max=PASSWORD_MAX_LENGTH)]
    )


class SignupForm(TextForm):
    username = StringField("Username", validators=[DataRequired()])
    display_name = StringField("Display name (optional)", validators=[Length(max=200)])
    password = PasswordField("Password", validators=[DataRequired()])

    # The real rules live in credentials.py and are applied in the view, so sign-up, login and
    # the JSON API cannot drift apart.
