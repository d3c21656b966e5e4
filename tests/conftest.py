"""Shared fixtures: a real, migrated SQLite file per test, the Flask test client, and helpers."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from flask_migrate import upgrade
from redis import Redis

from app import create_app
from app.accounts.cli import seed_demo_users
from app.config import ENVIRONMENT_VARIABLES
from app.extensions import db
from harness.actions import JwtActions, SessionActions
from harness.servers import RedisServer
from tests.availability import require_binary
from tests.helpers import TEST_JWT_SECRET, TEST_SECRET, StatementCounter

# Compressed static files are keyed by their content hash, so every test can share one build.
STATIC_BUILD_FOLDER = Path(tempfile.gettempdir()) / "session-vs-jwt-lab-test-static"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    """No variable of a developer's shell may change what a test sees."""
    for name in ENVIRONMENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)


def make_test_config(db_path: Path, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "JWT_SECRET_KEY": TEST_JWT_SECRET,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
        "STATIC_BUILD_FOLDER": str(STATIC_BUILD_FOLDER),
        # The suite signs in as alice far more often than any limit allows; the limits have
        # their own tests (tests/test_rate_limits.py), which turn them on.
        "RATELIMIT_ENABLED": False,
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


@pytest.fixture(params=["sql", "memory", "redis"])
def store_app(request, make_app):
    """The app with each session store in turn (Redis: a real server, emptied first)."""
    if request.param == "redis":
        server = request.getfixturevalue("redis_server")
        Redis.from_url(server.url).flushdb()
        return make_app(SESSION_STORE="redis", REDIS_URL=server.url)
    return make_app(SESSION_STORE=request.param)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def sql_counter_factory():
    """Attach a StatementCounter to any app's database; detached after the test."""
    detachers = []

    def attach(application) -> StatementCounter:
        counter = StatementCounter()
        with application.app_context():
            detachers.append(counter.attach(db.engine))
        return counter

    yield attach
    for detach in detachers:
        detach()


@pytest.fixture
def sql_counter(app, sql_counter_factory):
    return sql_counter_factory(app)


@pytest.fixture
def session_auth(client) -> SessionActions:
    return SessionActions(client)


@pytest.fixture
def jwt_auth(client) -> JwtActions:
    return JwtActions(client)


@pytest.fixture
def cluster(tmp_path, request):
    """`make cluster`'s setup named by the test's parameter (indirect): instances behind nginx."""
    from harness.cluster import start_cluster

    require_binary("nginx", "nginx")
    started = start_cluster(request.param, tmp_path)
    yield started
    started.stop()
