"""One error handler for every HTTP error, answering in the format the client expects."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from flask_wtf.csrf import CSRFError
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db
from app.logs import one_line
from app.redis_client import log_store_failure

# Messages for people, in the page's language; the JSON `error` codes stay English.
FRIENDLY_MESSAGES = {
    400: _("The request could not be understood."),
    401: _("You need to sign in first."),
    403: _("You are not allowed to do that."),
    404: _("There is no page at this address."),
    405: _("This address does not accept that method."),
    413: _("The request body is too large."),
    415: _("The request body is not in a format this address accepts."),
    429: _("Too many requests: slow down and try again shortly."),
    500: _("Something went wrong on our side. Nothing you sent was lost."),
    503: _("The database is unavailable right now. Try again in a moment."),
}
STORE_UNAVAILABLE = _("The session store is unavailable right now. Try again in a moment.")
CSRF_FAILED = _("The form's security token is missing or out of date. Reload the page and retry.")


JSON_PATHS = frozenset({"/healthz", "/.well-known/jwks.json"})
JSON_PREFIXES = ("/lab/naive/",)  # the token lab's naive verifier answers JSON only


def wants_json() -> bool:
    """`/api/` routes (and the other JSON addresses) and clients that ask for JSON get JSON;
    browsers get HTML."""
    path = request.path
    if "/api/" in path or path in JSON_PATHS or path.startswith(JSON_PREFIXES):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(status: int, code: str, message, headers: dict | None = None) -> Response:
    message = str(message)
    if wants_json():
        response = jsonify(error=code, message=message)
        response.status_code = status
    else:
        page = render_template("errors/error.html", status=status, message=message)
        response = make_response(page, status)
    if headers:
        response.headers.update(headers)
    return response


def store_unavailable_response() -> Response:
    """The one answer for a session store that cannot be reached: 503, retry shortly."""
    return error_response(503, "service_unavailable", STORE_UNAVAILABLE, {"Retry-After": "5"})


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError) -> Response:
        # Forms that can be re-sent have their own handler in their blueprint; this is the rest.
        return error_response(400, "csrf_failed", CSRF_FAILED)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> Response:
        status = error.code or 500
        message = FRIENDLY_MESSAGES.get(status, _("The request failed."))
        if status == 413:
            limit_kib = app.config["MAX_CONTENT_LENGTH"] // 1024
            message = gettext(
                "The request body is too large: the limit is %(kib)d KiB.", kib=limit_kib
            )
        code = (error.name or "error").lower().replace(" ", "_")
        headers = {k: v for k, v in error.get_headers() if k in ("Allow", "Retry-After")}
        return error_response(status, code, message, headers)

    @app.errorhandler(SQLAlchemyError)
    def handle_database_error(error: SQLAlchemyError) -> Response:
        # One line for the operator (no bound values: see SQLALCHEMY_ENGINE_OPTIONS); the
        # client sees a calm 503, never the SQL.
        app.logger.error("database unavailable: %s", one_line(error))
        db.session.rollback()
        return error_response(
            503, "database_unavailable", FRIENDLY_MESSAGES[503], {"Retry-After": "5"}
        )

    @app.errorhandler(RedisError)
    def handle_store_error(error: RedisError) -> Response:
        # Raised inside a view, e.g. while login rotates the session ID in a Redis store.
        log_store_failure(app.logger, logging.ERROR, error)
        return store_unavailable_response()

    @app.errorhandler(InternalServerError)
    def handle_internal_error(error: InternalServerError) -> Response:
        return error_response(500, "internal_error", FRIENDLY_MESSAGES[500])
