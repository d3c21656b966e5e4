"""The four flows of the study note, as data: pages draw them and mark the steps a trace took.

Each step keeps the note's number. The note's JWT step 2 ("the server verifies the token") is two
steps here, 2a (the signature) and 2b (the claims), because they are timed and can fail apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _


@dataclass(frozen=True)
class FlowStep:
    number: str  # as the study note numbers it: "1", "2a"
    key: str
    actor: str  # who acts: client, server, store or db
    label: str  # translated when shown

    @property
    def actor_name(self) -> str:
        return str(ACTOR_NAMES[self.actor])


ACTOR_NAMES = {
    "client": _("client"),
    "server": _("server"),
    "store": _("store"),
    "db": _("DB"),
}


@dataclass(frozen=True)
class Flow:
    key: str
    title: str
    steps: tuple[FlowStep, ...]


SESSION_CREATION = Flow(
    "session-creation",
    _("Session: signing in"),
    (
        FlowStep("1", "credentials", "client", _("The browser sends the username and password")),
        FlowStep(
            "2", "verify_password", "server", _("The server checks them against the password hash")
        ),
        FlowStep("3", "session_stored", "store", _("The server creates a session and stores it")),
        FlowStep(
            "4",
            "cookie_set",
            "server",
            _("The server sends back a cookie holding only the session ID"),
        ),
    ),
)

SESSION_USAGE = Flow(
    "session-usage",
    _("Session: every request after that"),
    (
        FlowStep("1", "cookie", "client", _("The browser sends the cookie, by itself")),
        FlowStep("2", "id_check", "server", _("The server checks the session ID's shape")),
        FlowStep("3", "store_lookup", "store", _("The server looks the session up in the store")),
        FlowStep("4", "user_info", "store", _("The store returns who the session belongs to")),
        FlowStep("5", "data_query", "db", _("The server asks the database for the user's data")),
        FlowStep("6", "data_returned", "db", _("The database returns the data")),
        FlowStep("7", "response", "server", _("The server sends the response")),
    ),
)

JWT_CREATION = Flow(
    "jwt-creation",
    _("JWT: signing in"),
    (
        FlowStep("1", "credentials", "client", _("The browser sends the username and password")),
        FlowStep(
            "2", "verify_password", "server", _("The server checks them against the password hash")
        ),
        FlowStep(
            "3",
            "token_sent",
            "server",
            _("The server signs a token and sends it; it stores nothing for that token"),
        ),
    ),
)

JWT_USAGE = Flow(
    "jwt-usage",
    _("JWT: every request after that"),
    (
        FlowStep(
            "1", "token", "client", _("JavaScript sends the token in the Authorization header")
        ),
        FlowStep("2a", "signature", "server", _("The server verifies the signature with its key")),
        FlowStep(
            "2b", "claims", "server", _("The server checks exp, iss and aud: no store lookup")
        ),
        FlowStep("3", "data_query", "db", _("The server asks the database for the user's data")),
        FlowStep("4", "data_returned", "db", _("The database returns the data")),
        FlowStep("5", "response", "server", _("The server sends the response")),
    ),
)

ALL_FLOWS = (SESSION_CREATION, SESSION_USAGE, JWT_CREATION, JWT_USAGE)
