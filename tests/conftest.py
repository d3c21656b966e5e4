"""Shared fixtures: a real, migrated SQLite file per test, the Flask test client, and helpers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import event

from app import create_app
from app.accounts.cli import seed_demo_users
from app.extensions import db
from tests.helpers import TEST_JWT_SECRET, TEST_SECRET, JwtActions, SessionActions, StatementCounter
from tests.servers import RedisServer, require_binary

# Variables a developer's shell might carry that would change what the tests see.
APP_ENV_VARS = (
    "APP_ENV",
    "SECRET_KEY",
    "JWT_SECRET_KEY",
    "DATABASE_URL",
    "SESSION_STORE",
    "SESSION_COOKIE_SECURE",
    "SESSION_LIFETIME_MINUTES",
    "JWT_ACCESS_TOKEN_TTL_SECONDS",
    "JWT_ISSUER",
    "JWT_AUDIENCE",
    "JWT_LEEWAY_SECONDS",
    "MAX_CONTENT_LENGTH",
    "INSTANCE_PATH",
    "REDIS_URL",
    "FLASK_APP",
    "FLASK_DEBUG",
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    for name in APP_ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def make_test_config(db_path: Path, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "JWT_SECRET_KEY": TEST_JWT_SECRET,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """One real redis-server for the whole run (tests flush it as they need)."""
    server = RedisServer(
        require_binary("redis-server", "redis-server"), tmp_path_factory.mktemp("redis")
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory) -> Path:
    """One database migrated with `flask db upgrade` and seeded; each test gets a copy."""
    folder = tmp_path_factory.mktemp("template-db")
    path = folder / "lab.sqlite3"
    app = create_app(make_test_config(path))
    with app.app_context():
        upgrade()
        seed_demo_users()
        db.engine.dispose()
    return path


@pytest.fixture
def app_config(seeded_database, tmp_path) -> dict:
    """Test settings on this test's own copy of the seeded database; tests may edit it."""
    path = tmp_path / "lab.sqlite3"
    shutil.copy(seeded_database, path)
    return make_test_config(path)


@pytest.fixture
def make_app(app_config, tmp_path, monkeypatch):
    """Build apps on this test's database, with extra settings; their engines close after."""
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    built = []

    def build(**overrides):
        application = create_app({**app_config, **overrides})
        built.append(application)
        return application

    yield build
    for application in built:
        with application.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def sql_counter_factory():
    """Attach a StatementCounter to any app's engine; detached after the test."""
    attached = []

    def attach(application) -> StatementCounter:
        counter = StatementCounter()
        with application.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", counter)
        attached.append((engine, counter))
        return counter

    yield attach
    for engine, counter in attached:
        event.remove(engine, "before_cursor_execute", counter)


@pytest.fixture
def sql_counter(app, sql_counter_factory):
    return sql_counter_factory(app)


@pytest.fixture
def session_auth(client) -> SessionActions:
    return SessionActions(client)


@pytest.fixture
def jwt_auth(client) -> JwtActions:
    return JwtActions(client)
