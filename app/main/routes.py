"""Home (the two schemes explained, with the flows and the comparison) and `/healthz`."""

from __future__ import annotations

import os

from flask import Blueprint, current_app, jsonify, render_template
from flask_babel import lazy_gettext as _
from flask_babel import lazy_pgettext
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.flows import JWT_CREATION, JWT_USAGE, SESSION_CREATION, SESSION_USAGE
from app.sessionless import declare_sessionless
from app.tracing import current_trace, recent_auth_costs

bp = Blueprint("main", __name__)
# The health check and the benchmark's ceiling never touch the session.
declare_sessionless(bp, "/healthz", "/api/ping")

# The five questions of the comparison, with the study note's verdict for each scheme and the
# reason, each linked to the place where it can be watched live.
COMPARISON = (
    {
        "question": _("Where does the user's data live?"),
        "session": (_("On the server"), _("in the session store, under a random ID")),
        "jwt": (_("On the client"), _("in the token, which the client holds")),
        "see": ("inspect.index", "server-keeps"),
        "labs": (("session_auth.profile", "trace", _("the session record")),),
    },
    {
        "question": _("What does the client send with each request?"),
        "session": (_("A cookie"), _("holding a meaningless ID; the browser adds it by itself")),
        "jwt": (
            _("The token"),
            _(
                "from localStorage, in an Authorization header that JavaScript adds; from an "
                "HttpOnly cookie, in that cookie, which the browser adds by itself"
            ),
        ),
        "see": ("inspect.index", "browser-sends"),
        "labs": (("jwt_auth.profile", "trace", _("the call with your token")),),
    },
    {
        "question": _("Does each request need the database?"),
        "session": (
            lazy_pgettext("comparison", "Always"),
            _("every request looks the session up in the store (SQL or Redis)"),
        ),
        "jwt": (
            _("Only for other data, or to honour sign-outs"),
            _(
                "who you are is in the signed payload: no lookup, except on a route that reads "
                "the denylist of signed-out tokens"
            ),
        ),
        "see": ("inspect.index", "cost"),
        "labs": (
            ("session_auth.profile", "trace", _("session steps")),
            ("jwt_auth.profile", "trace", _("JWT steps")),
        ),
    },
    {
        "question": _("Can the client read the auth data?"),
        "session": (
            lazy_pgettext("comparison", "No"),
            _("the cookie is HttpOnly, and it holds only an ID"),
        ),
        "jwt": (
            lazy_pgettext("comparison", "From localStorage, yes"),
            _(
                "any script on the page can read the token there and decode its payload; from an "
                "HttpOnly cookie no script can, though whoever holds the token still can"
            ),
        ),
        "see": ("inspect.index", "js-reads"),
        "labs": (("jwt_auth.profile", "token-heading", _("what scripts see of your token")),),
    },
    {
        "question": _("How easily does it scale out?"),
        "session": (
            _("Hard"),
            _("every instance must reach one shared session store, which must scale with them"),
        ),
        "jwt": (
            _("Easy"),
            _(
                "verifying an access token needs only the signing key; refreshing tokens, and "
                "the denylist that /jwt/api/checked/me reads, need a store every instance shares"
            ),
        ),
        "see": ("inspect.index", "scaling"),
        "labs": (("scale.index", "your-requests", _("several instances, request by request")),),
    },
)


@bp.get("/")
def home():
    """Both schemes in the site's own words, the four flows and the five-row comparison.

    If this request came with a session, the session flow is drawn with its real steps; the
    JWT flow is lit the same way by static/js/home-trace.js when the browser holds a token.
    """
    trace = current_trace()
    signed_in = current_user.is_authenticated  # loads the user now, so the trace includes it
    return render_template(
        "main/home.html",
        session_flows=(SESSION_CREATION, SESSION_USAGE),
        jwt_flows=(JWT_CREATION, JWT_USAGE),
        comparison=COMPARISON,
        costs=recent_auth_costs(current_app),
        worker_pid=os.getpid(),
        trace=trace if signed_in else None,
    )


@bp.get("/api/ping")
def ping():
    """The cheapest JSON answer the app can give: the benchmark's ceiling."""
    return jsonify(pong=True)


@bp.get("/healthz")
def healthz():
    """200 when the database holds the schema this code expects and the session store answers;
    503 otherwise. `session_store` is the database's own state when sessions live there."""
    database = _database_health()
    store = current_app.session_interface.health()
    session_store = database if store is None else store
    healthy = database == "ok" and session_store == "ok"
    return jsonify(
        status="ok" if healthy else "unavailable", database=database, session_store=session_store
    ), (200 if healthy else 503)


def _database_health() -> str:
    expected = current_app.extensions["lab_schema_heads"]
    try:
        found = set(db.session.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except SQLAlchemyError:
        db.session.rollback()
        return _why_no_schema()
    if found != expected:
        return "schema out of date: run `flask db upgrade`"
    return "ok"


def _why_no_schema() -> str:
    try:
        db.session.execute(text("SELECT 1")).scalar_one()
    except SQLAlchemyError:
        db.session.rollback()
        return "unreachable"
    return "no schema: run `flask db upgrade`"
