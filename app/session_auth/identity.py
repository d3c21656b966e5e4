"""How Flask-Login learns who a session belongs to: from the session record, with no extra query.

At login the session stores the user's id, username and display name next to Flask-Login's own
keys. Each later request reads the one session record, and that record already answers "who is
this?": step 4 of the study note's flow, with the store answering for the user table.
"""

from __future__ import annotations

import time

from flask import session

from app.accounts.credentials import Identity
from app.extensions import login_manager
from app.tracing import current_trace

IDENTITY_KEY = "identity"


def remember_identity(identity: Identity) -> None:
    session[IDENTITY_KEY] = {
        "id": identity.user_id,
        "username": identity.username,
        "display_name": identity.display_name,
    }


@login_manager.user_loader
def load_session_identity(user_id: str) -> Identity | None:
    """Return the identity kept in this session record if it matches Flask-Login's user id."""
    started = time.perf_counter()
    stored = session.get(IDENTITY_KEY)
    identity = None
    if (
        isinstance(stored, dict)
        and str(stored.get("id")) == user_id
        and isinstance(stored.get("username"), str)
        and isinstance(stored.get("display_name"), str)
    ):
        identity = Identity(int(stored["id"]), stored["username"], stored["display_name"])
    trace = current_trace()
    if trace is not None:
        elapsed = (time.perf_counter() - started) * 1000
        trace.scheme = "session"
        trace.authenticated = identity is not None
        trace.auth_ms += elapsed
        trace.add(
            "user_info",
            "User info returned",
            elapsed,
            f"from the session record: {identity.username}" if identity else "no user in record",
        )
    return identity
