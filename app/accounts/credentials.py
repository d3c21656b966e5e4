"""The one place credentials are checked: both login schemes and sign-up call these functions."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from flask_babel import gettext
from flask_babel import lazy_gettext as _
from flask_login import UserMixin
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import User

USERNAME_MIN_LENGTH = 3
USERNAME_MAX_LENGTH = 32
USERNAME_RULE = _(
    "3 to 32 characters: letters of any alphabet (Hangul too), digits, '_' or '-'. "
    "Capitals and full-width forms count as the plain letter."
)
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
    """One spelling per name, as Unicode advises for identifiers.

    NFKC folds look-alike forms ("ａｌｉｃｅ" is "alice"; a Hangul syllable typed as separate jamo
    is the syllable), then case is folded.
    """
    folded = unicodedata.normalize("NFKC", raw.strip()).casefold()
    return unicodedata.normalize("NFKC", folded)


def is_valid_username(name: str) -> bool:
    """3 to 32 letters (any script, with their combining marks), ASCII digits, '_' or '-'."""
    if not USERNAME_MIN_LENGTH <= len(name) <= USERNAME_MAX_LENGTH:
        return False
    for index, ch in enumerate(name):
        category = unicodedata.category(ch)
        if category.startswith("L") or ch in "0123456789_-":
            continue
        if category.startswith("M") and index > 0:
            continue
        return False
    return True


# The first thing wrong with a required text field, in words a visitor understands.
FIELD_PROBLEMS = {
    "username": {
        "missing": _("Enter a username."),
        "not_text": _("The username must be text."),
        "not_unicode": _("The username has characters that are not valid text."),
        "too_long": _("A username has at most %(max)d characters."),
    },
    "password": {
        "missing": _("Enter a password."),
        "not_text": _("The password must be text."),
        "not_unicode": _("The password has characters that are not valid text."),
        "too_long": _("A password has at most %(max)d characters."),
    },
}


def _text_problem(value: object, field: str, max_length: int) -> str | None:
    problems = FIELD_PROBLEMS[field]
    if value is None or value == "" or (isinstance(value, str) and value.strip() == ""):
        return str(problems["missing"])
    if not isinstance(value, str):
        return str(problems["not_text"])
    if not is_encodable(value):
        return str(problems["not_unicode"])
    if len(value.strip()) > max_length:
        return str(problems["too_long"]) % {"max": max_length}
    return None


def login_field_errors(username: object, password: object) -> dict[str, list[str]]:
    """The input rules both sign-in endpoints apply before they check any credentials.

    A username that breaks only the sign-up pattern is not refused here: it is answered like
    any wrong credentials, so the answer says nothing about which names exist.
    """
    errors = {}
    for field, value, limit in (
        ("username", username, USERNAME_MAX_LENGTH),
        ("password", password, PASSWORD_MAX_LENGTH),
    ):
        problem = _text_problem(value, field, limit)
        if problem:
            errors[field] = [problem]
    return errors


def signup_field_errors(username: str, password: str, display_name: str) -> dict[str, list[str]]:
    """Every rule sign-up applies, checked together so the form shows every problem at once."""
    errors: dict[str, list[str]] = {}
    problem = _text_problem(username, "username", USERNAME_MAX_LENGTH)
    if problem is None and not is_valid_username(normalise_username(username)):
        problem = gettext(
            "A username has 3 to 32 characters: letters of any alphabet, digits, '_' or '-'."
        )
    if problem:
        errors["username"] = [problem]
    problem = _text_problem(password, "password", PASSWORD_MAX_LENGTH)
    if problem is None and len(password) < PASSWORD_MIN_LENGTH:
        problem = gettext("A password has at least %(min)d characters.", min=PASSWORD_MIN_LENGTH)
    if problem:
        errors["password"] = [problem]
    name = " ".join((display_name or "").split())  # folds tabs, newlines and runs of spaces
    if any(not ch.isprintable() for ch in name) or not is_encodable(name):
        errors["display_name"] = [gettext("The display name has characters that cannot be shown.")]
    elif len(name) > DISPLAY_NAME_MAX_LENGTH:
        errors["display_name"] = [
            gettext("The display name has at most %(max)d characters.", max=DISPLAY_NAME_MAX_LENGTH)
        ]
    return errors


def password_change_errors(current: object, new: object, confirm: object) -> dict[str, list]:
    """The rules of a password change, before the current password is checked."""
    errors: dict[str, list] = {}
    problem = _text_problem(current, "password", PASSWORD_MAX_LENGTH)
    if problem:
        errors["current_password"] = [problem]
    problem = _text_problem(new, "password", PASSWORD_MAX_LENGTH)
    if problem is None and len(new) < PASSWORD_MIN_LENGTH:
        problem = gettext("A password has at least %(min)d characters.", min=PASSWORD_MIN_LENGTH)
    if problem is None and new == current:
        problem = gettext("The new password must differ from the current one.")
    if problem:
        errors["new_password"] = [problem]
    elif confirm != new:
        errors["confirm_password"] = [gettext("The two new passwords differ.")]
    return errors


def password_matches(user: User, password: str) -> bool:
    """Whether `password` is the user's (one scrypt check; the caller rate-limits)."""
    return check_password_hash(user.password_hash, password)


def set_password(user: User, password: str) -> None:
    """Put a new password (hashed, never the password itself) in the database session; the
    caller commits, together with what the change must end."""
    user.password_hash = generate_password_hash(password)


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
    if is_valid_username(candidate):
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
    taken = InvalidFields({"username": [gettext("That username is taken.")]})
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
