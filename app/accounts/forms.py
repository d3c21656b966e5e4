"""Forms (Flask-WTF, so each carries a CSRF token) for signing in and signing up."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from app.accounts.credentials import DISPLAY_NAME_MAX_LENGTH, PASSWORD_MAX_LENGTH


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(max=PASSWORD_MAX_LENGTH)]
    )


class SignupForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired()])
    display_name = StringField("Display name (optional)", validators=[Length(max=200)])
    password = PasswordField("Password", validators=[DataRequired()])

    # The real rules live in credentials.py and are applied in the view, so sign-up, login and
    # the JSON API cannot drift apart.
    display_name_max = DISPLAY_NAME_MAX_LENGTH
