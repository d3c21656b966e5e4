"""The device list: a user's live sessions, where each began, and ending them from another one.

A session can be ended on the server at any time, from anywhere, because the server holds it:
delete the record and its cookie is worth nothing, wherever the cookie is. A JWT has no record
to delete, which is why the JWT lab needs refresh tokens and a denylist to come close.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, session

from app.display import mask_ip
from app.session_auth.identity import end_signed_in_session
from app.session_auth.store import (
    REFRESHED_AT,
    SIGNED_IN_AT,
    USER_AGENT_KEY,
    UserSession,
)


def _iso(value: object) -> str | None:
    """Unix seconds as ISO 8601 UTC; None for anything a record should not hold there."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        moment = datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def describe_session(record: UserSession, current_store_id: str | None) -> dict:
    """One row of the device list, as the JSON API sends it. `id` is a public handle."""
    data = record.data
    return {
        "id": record.handle,
        "current": record.store_id == current_store_id,
        "created_at": _iso(data.get(SIGNED_IN_AT)),
        "last_seen_at": _iso(data.get(REFRESHED_AT)),
        "user_agent": str(data.get(USER_AGENT_KEY) or ""),
        "ip": mask_ip(data.get("login_ip")),
    }


def list_sessions(user_id: int) -> list[dict]:
    """The user's live sessions: this one first, then the most recently seen."""
    interface = current_app.session_interface
    current = interface.store_id_of(session)
    rows = [describe_session(record, current) for record in interface.user_sessions(user_id)]
    rows.sort(key=lambda row: row["last_seen_at"] or "", reverse=True)
    rows.sort(key=lambda row: not row["current"])
    return rows


class NoSuchSession(LookupError):
    """The handle names none of the user's live sessions (ended already, or never theirs)."""


def revoke_session(user_id: int, handle: str) -> bool:
    """End the user's session with this handle; True when it was this very session, which is
    then signed out like a sign-out would."""
    interface = current_app.session_interface
    current = interface.store_id_of(session)
    for record in interface.user_sessions(user_id):
        if record.handle != handle:
            continue
        if record.store_id == current:
            end_signed_in_session()
            return True
        interface.end_user_session(user_id, record.store_id)
        return False
    raise NoSuchSession(handle)


def revoke_other_sessions(user_id: int) -> int:
    """End every session of the user but this one; how many were ended."""
    interface = current_app.session_interface
    current = interface.store_id_of(session)
    ended = 0
    for record in interface.user_sessions(user_id):
        if record.store_id != current:
            interface.end_user_session(user_id, record.store_id)
            ended += 1
    return ended
