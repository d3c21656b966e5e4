"""Session vs JWT Lab: the application factory."""

from __future__ import annotations

import json
import os
from pathlib import Path

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.accounts.cli import register_commands as register_account_commands
from app.accounts.routes import bp as accounts_bp
from app.config import build_config, check_keys
from app.display import utc_time
from app.errors.handlers import register_error_handlers
from app.extensions import csrf, db, login_manager, migrate
from app.inspect.routes import bp as inspect_bp
from app.jwt_auth.routes import bp as jwt_bp
from app.main.routes import bp as main_bp
from app.session_auth import identity  # noqa: F401  (registers Flask-Login's user loader)
from app.session_auth.routes import bp as session_bp
from app.session_auth.store import create_session_store
from app.tracing import init_tracing

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then the environment, then `test_config` for the tests."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    configure(app, test_config)
    register_extensions(app)
    register_session_store(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_security_headers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def configure(app: Flask, test_config: dict | None) -> None:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(build_config(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    check_keys(app.config, app.instance_path)
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A server database may drop idle connections; SQLite files never do, so skip the ping.
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("pool_pre_ping", True)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "session_auth.login"
    login_manager.login_message = "Sign in with a session to see that page."
    login_manager.login_message_category = "info"
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        tune_sqlite(engine)
    init_tracing(app, engine)


def tune_sqlite(engine: Engine) -> None:
    """WAL lets readers and a writer work at once, so gunicorn workers do not hit 'locked'."""

    @event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection, connection_record):  # noqa: ARG001
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def register_session_store(app: Flask) -> None:
    app.session_interface = create_session_store(app)


def register_blueprints(app: Flask) -> None:
    for blueprint in (main_bp, accounts_bp, session_bp, jwt_bp, inspect_bp):
        app.register_blueprint(blueprint)


# Everything is served by the app itself, with no inline script or style: a strict policy fits.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if not request.path.startswith("/static/"):
            # Every page may show who is signed in, and the API answers show identities and
            # tokens: none of it may be cached by the browser or anything in between.
            response.headers.setdefault("Cache-Control", "no-store")
        if app.config["PRODUCTION"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["utc_time"] = utc_time
    # Like tojson, but keeps "…" and Korean readable; Jinja's autoescape still applies.
    app.jinja_env.filters["pretty_json"] = lambda value: json.dumps(
        value, indent=2, ensure_ascii=False, default=str
    )

    @app.context_processor
    def _site_context():
        return {"site_name": "Session vs JWT Lab"}


def register_commands(app: Flask) -> None:
    register_account_commands(app)
