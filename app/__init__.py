"""Session vs JWT Lab: the application factory."""

from __future__ import annotations

import json
from pathlib import Path

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask import Flask, current_app, request, session
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.accounts.cli import register_commands as register_account_commands
from app.accounts.routes import bp as accounts_bp
from app.api_docs.routes import bp as api_docs_bp
from app.browser_lab.routes import bp as browser_lab_bp
from app.config import (
    build_config,
    check_cookie_prefixes,
    check_durations,
    check_keys,
    check_secure_cookies,
    instance_path_from_environment,
)
from app.display import describe_browser, format_duration, utc_time
from app.errors.handlers import register_error_handlers
from app.extensions import babel, csrf, db, login_manager, migrate
from app.i18n import current_language, init_i18n, select_language
from app.inspect.routes import bp as inspect_bp
from app.jwt_auth.cli import register_key_commands
from app.jwt_auth.denylist import init_denylist
from app.jwt_auth.keys import init_key_set
from app.jwt_auth.routes import bp as jwt_bp
from app.jwt_auth.routes import well_known_bp
from app.jwt_auth.tokens import check_pyjwt_internals
from app.main.routes import bp as main_bp
from app.page_strings import page_strings
from app.password_change.routes import bp as password_bp
from app.proxies import trust_proxies
from app.rate_limits import init_rate_limits
from app.redis_client import connect_redis
from app.scale.routes import bp as scale_bp
from app.served_by import announce_instance, served_by
from app.session_auth.identity import load_session_identity
from app.session_auth.routes import bp as session_bp
from app.session_auth.store import create_session_store
from app.sessionless import declare_app_sessionless
from app.static_files import serve_static_files, static_digest
from app.token_lab.routes import bp as token_lab_bp
from app.token_lab.routes import samples_bp as token_lab_samples_bp
from app.tracing import init_tracing

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STATIC_ROOT = PROJECT_ROOT / "static"
MIGRATIONS = PROJECT_ROOT / "migrations"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then the environment, then `test_config` for the tests."""
    app = Flask(
        __name__,
        instance_path=instance_path_from_environment(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(STATIC_ROOT),
        # The folder's content hash is part of every static URL: see app/static_files.py.
        static_url_path=f"/static/{static_digest(STATIC_ROOT)}",
    )
    configure(app, test_config)
    init_key_set(app)
    check_library_contracts()
    register_extensions(app)
    register_session_store(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_security_headers(app)
    register_template_helpers(app)
    register_commands(app)
    serve_static_files(app, STATIC_ROOT)
    # Outermost: X-Served-By on every response (static files too), and the proxy headers
    # applied before anything reads the client's address or the scheme.
    announce_instance(app)
    trust_proxies(app)
    return app


def configure(app: Flask, test_config: dict | None) -> None:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(build_config(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    check_durations(app.config)
    check_secure_cookies(app.config, app.logger)
    check_cookie_prefixes(app.config)
    app.json.sort_keys = False  # JSON keys in the order the code writes them
    check_keys(app.config, app.instance_path)
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A server database may drop idle connections; SQLite files never do, so skip the ping.
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("pool_pre_ping", True)


def check_library_contracts() -> None:
    """Internals of pinned libraries that the site leans on: refuse to start if they moved."""
    check_pyjwt_internals()


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    # Before CSRF: a refused attempt is answered before anything else looks at it.
    init_rate_limits(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    app.extensions["lab_schema_heads"] = migration_heads(MIGRATIONS)
    csrf.init_app(app)
    babel.init_app(
        app, locale_selector=select_language, default_translation_directories=str(TRANSLATIONS)
    )
    init_i18n(app)
    login_manager.init_app(app)
    login_manager.login_view = "session_auth.login"
    login_manager.login_message = lazy_gettext("Sign in with a session to see that page.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_session_identity)
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        tune_sqlite(engine)
    init_tracing(app, engine)


def migration_heads(directory: Path) -> set[str]:
    """The schema revisions this code expects the database to be at (for /healthz)."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(directory))
    return set(ScriptDirectory.from_config(config).get_heads())


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
    # After init_tracing: the store's own after_request hook must run before the tracing one.
    redis = connect_redis(app)
    create_session_store(app, redis).init_app(app)
    # Revoked access tokens live where the sessions do: in Redis if they are there.
    init_denylist(app, redis)
    # WhiteNoise answers static files before Flask sees them; this covers Flask's own route.
    declare_app_sessionless(app, app.static_url_path + "/")


def register_blueprints(app: Flask) -> None:
    for blueprint in (
        main_bp,
        accounts_bp,
        password_bp,
        session_bp,
        jwt_bp,
        inspect_bp,
        scale_bp,
        browser_lab_bp,
        token_lab_bp,
        token_lab_samples_bp,
        api_docs_bp,
        well_known_bp,
    ):
        app.register_blueprint(blueprint)


# Everything is served by the app itself, with no inline script or style: a strict policy fits.
def content_security_policy(form_action: str = "'self'") -> str:
    """The policy every page gets; only where forms may post can differ (see below)."""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action {form_action}; "
        "frame-ancestors 'none'"
    )


CONTENT_SECURITY_POLICY = content_security_policy()


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    # No page here needs a camera, a microphone, a location or a payment: nothing may ask.
    (
        "Permissions-Policy",
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
        "microphone=(), payment=(), usb=()",
    ),
    # A page this site opens, or that opens it, shares no window with it across origins.
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def register_security_headers(app: Flask) -> None:
    static_prefix = app.static_url_path + "/"
    hsts = app.config["PRODUCTION"]

    @app.after_request
    def _security_headers(response):
        # No view sets these, so they are appended without a lookup first: this runs on every
        # response, and each lookup scans the whole header list.
        response.headers.extend(SECURITY_HEADERS)
        # One page plays another site (the browser lab's attacker page), whose forms post to
        # `target`: that directive changes, and the Referrer-Policy is the browser's default, as
        # on any real site (ours, same-origin, would send its forms' Origin as "null").
        target = getattr(response, "plays_another_site_for", None)
        if target is not None:
            response.headers["Content-Security-Policy"] = content_security_policy(target)
            response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        if "Cache-Control" not in response.headers and not request.path.startswith(static_prefix):
            # Every page may show who is signed in, and the API answers show identities and
            # tokens: none of it may be cached by the browser or anything in between.
            response.headers["Cache-Control"] = "no-store"
        if hsts:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response


def register_template_helpers(app: Flask) -> None:
    # {% trans %} blocks may wrap over lines: their message is the text with whitespace folded.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.filters["utc_time"] = utc_time
    app.jinja_env.filters["duration"] = format_duration
    app.jinja_env.filters["browser_name"] = describe_browser
    # What a user typed (a name, a note) is data, not the site's words: isolated for
    # right-to-left text, and told apart from the interface by the language tests.
    app.jinja_env.filters["bdi"] = lambda value: Markup("<bdi>%s</bdi>") % value
    # Like tojson, but keeps "…" and Korean readable; Jinja's autoescape still applies.
    app.jinja_env.filters["pretty_json"] = lambda value: json.dumps(
        value, indent=2, ensure_ascii=False, default=str
    )

    @app.context_processor
    def _site_context():
        return {
            "site_name": gettext("Session vs JWT Lab"),
            "html_lang": current_language(),
            "page_strings": page_strings,
            "served_by": served_by(app),
            "page_csrf_token": page_csrf_token,
            "session_cookie_withheld": session_cookie_withheld,
        }


def session_cookie_withheld() -> bool:
    """Whether this request came from a form on another site, which the browser sends without
    the SameSite=Lax session cookie: the page cannot tell who is signed in, and must not say
    "nobody" (its other tabs would believe it)."""
    return (
        request.method not in ("GET", "HEAD")
        and request.headers.get("Sec-Fetch-Site") == "cross-site"
        and not current_user.is_authenticated
    )


def page_csrf_token() -> str:
    """The CSRF token for page scripts (`<meta name="csrf-token">`), where the visitor already
    holds one: a signed-in session always does. A visitor who holds none gets none, so that
    reading a page never costs a cookie; there is nothing they could change with it anyway."""
    field = current_app.config["WTF_CSRF_FIELD_NAME"]
    return generate_csrf() if field in session else ""


def register_commands(app: Flask) -> None:
    register_account_commands(app)
    register_key_commands(app)
