"""The one place credentials are checked: both login schemes and sign-up call these functions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_login import UserMixin
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import User

USERNAME_PATTERN = re.compile(r"[a-z0-9_-]{3,32}")
USERNAME_RULE = "3–32 characters: lowercase letters, digits, '_' or '-'"
PASSWORD_MIN_LENGTH = 8
# Hashing a megabyte-long password would only burn CPU; nobody types one.
PASSWORD_MAX_LENGTH = 256
DISPLAY_NAME_MAX_LENGTH = 64

# Verified against when the username does not exist, so a miss costs as much as a wrong password
# and response times do not reveal which usernames are taken.
_DUMMY_HASH = generate_password_hash("timing-equaliser-not-a-password")


class CredentialError(ValueError):
    """A username, password or display name that breaks the rules; `field` says which."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


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


def validate_username(raw: str) -> str:
    username = normalise_username(raw)
    if not USERNAME_PATTERN.fullmatch(username):
        raise CredentialError("username", f"Username must be {USERNAME_RULE}.")
    return username


def validate_password(password: str) -> str:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise CredentialError(
            "password", f"Password must be at least {PASSWORD_MIN_LENGTH} characters."
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        raise CredentialError(
            "password", f"Password must be at most {PASSWORD_MAX_LENGTH} characters."
        )
    return password


def validate_display_name(raw: str, fallback: str) -> str:
    name = " ".join(raw.split())  # folds tabs, newlines and runs of spaces
    if any(not ch.isprintable() for ch in name):
        raise CredentialError("display_name", "Display name has characters that cannot be shown.")
    if len(name) > DISPLAY_NAME_MAX_LENGTH:
        raise CredentialError(
            "display_name", f"Display name must be at most {DISPLAY_NAME_MAX_LENGTH} characters."
        )
    return name or fallback


def is_encodable(text: str) -> bool:
    """Whether `text` is real Unicode text: JSON can carry lone surrogates, UTF-8 cannot."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def authenticate(username: str, password: str) -> User | None:
    """Return the user these credentials belong to, or None; the same cost either way."""
    if not is_encodable(password):
        return None  # werkzeug would raise on it; it cannot be anyone's password anyway
    user = None
    try:
        # The same rule sign-up applies: a name it would refuse cannot belong to anyone.
        candidate = validate_username(username)
    except CredentialError:
        candidate = None
    if candidate is not None and len(password) <= PASSWORD_MAX_LENGTH:
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
    """Create a user after checking every field with the same rules login uses."""
    username = validate_username(username)
    password = validate_password(password)
    display_name = validate_display_name(display_name, fallback=username)
    taken = db.session.execute(select(User.id).where(User.username == username)).first()
    if taken:
        raise CredentialError("username", "That username is taken.")
    user = User(
        username=username,
        password_hash=generate_password_hash(password),
        display_name=display_name,
    )
    db.session.add(user)
    db.session.commit()
    return user
