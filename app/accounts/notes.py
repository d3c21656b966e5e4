"""The user's own data: what an authenticated request fetches once it knows who is asking."""

from __future__ import annotations

from flask_babel import gettext, ngettext
from sqlalchemy import select

from app.extensions import db
from app.models import Note
from app.tracing import current_trace, traced_step


def load_notes(user_id: int) -> list[Note]:
    """The notes of `user_id`: steps 5 and 6 of the session flow, 3 and 4 of the JWT flow."""
    with traced_step("data_query", gettext("Data requested from the database"), "SELECT notes"):
        notes = list(
            db.session.execute(select(Note).where(Note.user_id == user_id).order_by(Note.id))
            .scalars()
            .all()
        )
    trace = current_trace()
    if trace is not None:
        trace.add(
            "data_returned",
            gettext("Data returned"),
            detail=ngettext("%(num)d note", "%(num)d notes", len(notes)),
        )
    return notes
