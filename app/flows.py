"""The four flows of the study note, as data: pages draw them and mark the steps a trace took."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FlowStep:
    key: str
    actor: str  # who acts: client, server, store or db
    label: str


@dataclass(frozen=True)
class Flow:
    key: str
    title: str
    steps: tuple[FlowStep, ...]


SESSION_CREATION = Flow(
    "session-creation",
    "Session: signing in",
    (
        FlowStep("credentials", "client", "The browser sends the username and password"),
        FlowStep("verify_password", "server", "The server checks them against the password hash"),
        FlowStep("session_stored", "store", "The server creates a session and stores it"),
        FlowStep(
            "cookie_set", "server", "The server sends back a cookie holding only the session ID"
        ),
    ),
)

SESSION_USAGE = Flow(
    "session-usage",
    "Session: every request after that",
    (
        FlowStep("cookie", "client", "The browser sends the cookie, by itself"),
        FlowStep("id_check", "server", "The server checks the session ID's shape"),
        FlowStep("store_lookup", "store", "The server looks the session up in the store"),
        FlowStep("user_info", "store", "The store returns who the session belongs to"),
        FlowStep("data_query", "db", "The server asks the database for the user's data"),
        FlowStep("data_returned", "db", "The database returns the data"),
        FlowStep("response", "server", "The server sends the response"),
    ),
)

JWT_CREATION = Flow(
    "jwt-creation",
    "JWT: signing in",
    (
        FlowStep("credentials", "client", "The browser sends the username and password"),
        FlowStep("verify_password", "server", "The server checks them against the password hash"),
        FlowStep(
            "token_sent", "server", "The server signs a token and sends it; it stores nothing"
        ),
    ),
)

JWT_USAGE = Flow(
    "jwt-usage",
    "JWT: every request after that",
    (
        FlowStep("token", "client", "JavaScript sends the token in the Authorization header"),
        FlowStep("signature", "server", "The server verifies the signature with its key"),
        FlowStep("claims", "server", "The server checks exp, iss and aud: no store lookup"),
        FlowStep("data_query", "db", "The server asks the database for the user's data"),
        FlowStep("data_returned", "db", "The database returns the data"),
        FlowStep("response", "server", "The server sends the response"),
    ),
)

ALL_FLOWS = (SESSION_CREATION, SESSION_USAGE, JWT_CREATION, JWT_USAGE)
