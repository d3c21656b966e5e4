"""Who a session belongs to: signing in and out, and how Flask-Login learns it with no extra query.

At sign-in the session stores the user's id, username and display name next to Flask-Login's own
keys. Each later request reads the one session record, and that record already answers "who is
this?": step 4 of the study note's flow, with the store answering for the user table.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, g, request, session
from flask_babel import lazy_gettext as _
from flask_login import login_user, logout_user
from flask_wtf.csrf import generate_csrf

from app.accounts.credentials import Identity
from app.session_auth.store import (
    SESSION_ID_PATTERN,
    USER_AGENT_KEY,
    USER_AGENT_MAX_LENGTH,
    LabSession,
)
from app.tracing import traced

IDENTITY_KEY = "identity"
# The first characters of the session ID the browser held before this sign-in, if any: the
# profile shows them next to the new ID's, to show that sign-in never keeps an ID (fixation).
ID_BEFORE_SIGN_IN_KEY = "id_before_sign_in"
ID_PREFIX_LENGTH = 8


def start_signed_in_session(identity: Identity) -> None:
    """Sign `identity` in: a new record in the store, under a new ID, with a new CSRF token."""
    sent = request.cookies.get(current_app.config["SESSION_COOKIE_NAME"], "")
    session.clear()  # whatever the visitor held before signing in stays behind
    login_user(identity)
    session[IDENTITY_KEY] = {
        "id": identity.user_id,
        "username": identity.username,
        "display_name": identity.display_name,
    }
    session["login_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    session["login_ip"] = request.remote_addr or "unknown"
    session[USER_AGENT_KEY] = request.user_agent.string[:USER_AGENT_MAX_LENGTH]
    if SESSION_ID_PATTERN.fullmatch(sent):
        session[ID_BEFORE_SIGN_IN_KEY] = sent[:ID_PREFIX_LENGTH]
    # A new CSRF token: one seen before sign-in must not work after it. Flask-WTF caches this
    # request's token on `g` under the field's name, so that copy goes too.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    generate_csrf()
    current_app.session_interface.store_new_session(session)


def id_prefix(session: LabSession) -> str | None:
    """The first characters of this session's ID, to compare with the one before sign-in."""
    return session.sid[:ID_PREFIX_LENGTH] if session.stored else None


def end_signed_in_session() -> None:
    """Sign out: the record is deleted from the store now, so the old cookie is worth nothing."""
    logout_user()
    current_app.session_interface.delete_session_record(session)


def _describe(identity: Identity | None) -> str:
    if identity is None:
        return _("no user in record")
    return _("from the session record: %(name)s", name=identity.username)


@traced("user_info", _("User info returned"), scheme="session", describe=_describe)
def load_session_identity(user_id: str) -> Identity | None:
    """Flask-Login's user loader: the identity kept in this session record, if it matches."""
    stored = session.get(IDENTITY_KEY)
    if (
        isinstance(stored, dict)
        and str(stored.get("id")) == user_id
        and isinstance(stored.get("username"), str)
        and isinstance(stored.get("display_name"), str)
    ):
        return Identity(int(stored["id"]), stored["username"], stored["display_name"])
    return None
