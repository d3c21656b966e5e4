"""The one place credentials are checked: both login schemes and sign-up call these functions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_login import UserMixin
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import User

USERNAME_MIN_LENGTH = 3
USERNAME_MAX_LENGTH = 32
USERNAME_PATTERN = re.compile(r"[a-z0-9_-]{3,32}")
USERNAME_RULE = "3–32 characters: lowercase letters, digits, '_' or '-'"
PASSWORD_MIN_LENGTH = 8
# Hashing a megabyte-long password would only burn CPU; nobody types one.
PASSWORD_MAX_LENGTH = 256
DISPLAY_NAME_MAX_LENGTH = 64

# Verified against when the username does not exist, so a miss costs as much as a wrong password
# and response times do not reveal which usernames are taken.
_DUMMY_HASH = generate_password_hash("timing-equaliser-not-a-password")


class InvalidFields(ValueError):
    """Input that breaks the rules: every problem at once, as {field: [messages]}."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(m for messages in errors.values() for m in messages))
        self.errors = errors


@dataclass(frozen=True)
class Identity(UserMixin):
    """Who a request is authenticated as: all either scheme needs to know, without a query."""

    user_id: int
    username: str
    display_name: str

    def get_id(self) -> str:
        return str(self.user_id)

    @classmethod
    def of(cls, user: User) -> Identity:
        return cls(user.id, user.username, user.display_name)


def normalise_username(raw: str) -> str:
    return raw.strip().lower()


def _text_problem(value: object, what: str, max_length: int) -> str | None:
    """The first thing wrong with a required text field, in words a visitor understands."""
    if value is None or value == "" or (isinstance(value, str) and value.strip() == ""):
        return f"Enter {what}."
    if not isinstance(value, str):
        return f"The {what.split()[-1]} must be text."
    if not is_encodable(value):
        return f"The {what.split()[-1]} has characters that are not valid text."
    if len(value.strip()) > max_length:
        return f"The {what.split()[-1]} has at most {max_length} characters."
    return None


def login_field_errors(username: object, password: object) -> dict[str, list[str]]:
    """The input rules both sign-in endpoints apply before they check any credentials.

    A username that breaks only the sign-up pattern is not refused here: it is answered like
    any wrong credentials, so the answer says nothing about which names exist.
    """
    errors = {}
    for field, value, what, limit in (
        ("username", username, "a username", USERNAME_MAX_LENGTH),
        ("password", password, "a password", PASSWORD_MAX_LENGTH),
    ):
        problem = _text_problem(value, what, limit)
        if problem:
            errors[field] = [problem]
    return errors


def signup_field_errors(username: str, password: str, display_name: str) -> dict[str, list[str]]:
    """Every rule sign-up applies, checked together so the form shows every problem at once."""
    errors: dict[str, list[str]] = {}
    problem = _text_problem(username, "a username", USERNAME_MAX_LENGTH)
    if problem is None and not USERNAME_PATTERN.fullmatch(normalise_username(username)):
        problem = f"A username has {USERNAME_RULE}."
    if problem:
        errors["username"] = [problem]
    problem = _text_problem(password, "a password", PASSWORD_MAX_LENGTH)
    if problem is None and len(password) < PASSWORD_MIN_LENGTH:
        problem = f"A password has at least {PASSWORD_MIN_LENGTH} characters."
    if problem:
        errors["password"] = [problem]
    name = " ".join((display_name or "").split())  # folds tabs, newlines and runs of spaces
    if any(not ch.isprintable() for ch in name) or not is_encodable(name):
        errors["display_name"] = ["The display name has characters that cannot be shown."]
    elif len(name) > DISPLAY_NAME_MAX_LENGTH:
        errors["display_name"] = [
            f"The display name has at most {DISPLAY_NAME_MAX_LENGTH} characters."
        ]
    return errors


def is_encodable(text: str) -> bool:
    """Whether `text` is real Unicode text: JSON can carry lone surrogates, UTF-8 cannot."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def authenticate(username: str, password: str) -> User | None:
    """Return the user these credentials belong to, or None; the same cost either way.

    Call it with input that passed `login_field_errors`.
    """
    user = None
    candidate = normalise_username(username)
    # A name sign-up would refuse cannot belong to anyone: no query, but the same hash work.
    if USERNAME_PATTERN.fullmatch(candidate):
        user = db.session.execute(
            select(User).where(User.username == candidate)
        ).scalar_one_or_none()
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    return user


def register_user(username: str, password: str, display_name: str = "") -> User:
    """Create a user after checking every field; raises InvalidFields with every problem."""
    errors = signup_field_errors(username, password, display_name)
    if errors:
        raise InvalidFields(errors)
    username = normalise_username(username)
    taken = InvalidFields({"username": ["That username is taken."]})
    if db.session.execute(select(User.id).where(User.username == username)).first():
        raise taken
    user = User(
        username=username,
        password_hash=generate_password_hash(password),
        display_name=" ".join(display_name.split()) or username,
    )
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        # Another sign-up took the name between our check and our insert: the unique index
        # decides, and this one is told the name is taken like any other.
        db.session.rollback()
        raise taken from None
    return user
