"""The same app on a real PostgreSQL server: migrations, both schemes, and the session store."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select

from app import create_app
from app.extensions import db
from app.models import SessionRecord
from harness.actions import SESSION_COOKIE, JwtActions, SessionActions
from harness.servers import PostgresServer, flask_cli
from tests.availability import require_postgres_bin


@pytest.fixture(scope="module")
def postgres():
    # Not pytest's tmp_path: PostgreSQL runs as another user, who cannot enter root's folders.
    workdir = Path(tempfile.mkdtemp(prefix="lab-pg-"))
    server = PostgresServer(require_postgres_bin(), workdir)
    yield server
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def migrated_url(postgres, tmp_path_factory):
    """A database built by `flask db upgrade` and `flask seed-demo`, as a PaaS release would."""
    url = postgres.database("lab_app")
    paas_style = url.replace("postgresql://", "postgres://")  # what Heroku-like hosts hand out
    instance = tmp_path_factory.mktemp("pg-instance")
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": paas_style, "INSTANCE_PATH": str(instance)}
    for args in (("db", "upgrade"), ("seed-demo",), ("seed-demo",)):
        result = flask_cli(env, *args)
        assert result.returncode == 0, result.stderr
    return url


@pytest.fixture
def pg_app(migrated_url, tmp_path, monkeypatch):
    from tests.helpers import TEST_JWT_SECRET, TEST_SECRET

    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", migrated_url)
    app = create_app(
        {"TESTING": True, "SECRET_KEY": TEST_SECRET, "JWT_SECRET_KEY": TEST_JWT_SECRET}
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def test_migrations_build_the_schema_on_postgres(migrated_url):
    engine = create_engine(migrated_url.replace("postgresql://", "postgresql+psycopg://"))
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"users", "notes", "sessions", "alembic_version"} <= tables


def test_app_uses_psycopg_on_postgres(pg_app):
    assert pg_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert pg_app.test_client().get("/healthz").get_json() == {"status": "ok", "database": "ok"}


def test_session_scheme_on_postgres(pg_app, sql_counter_factory):
    client = pg_app.test_client()
    actions = SessionActions(client)
    assert actions.login().status_code == 302
    sid = client.get_cookie(SESSION_COOKIE).value
    with pg_app.app_context():
        keys = set(db.session.execute(select(SessionRecord.session_id)).scalars())
    assert f"session:{sid}" in keys

    counter = sql_counter_factory(pg_app)
    response = client.get("/session/api/me")
    assert response.get_json()["username"] == "alice"
    assert len(counter.statements) == 1 and counter.writes == []

    actions.logout()
    replay = pg_app.test_client()
    replay.set_cookie(SESSION_COOKIE, sid)
    assert replay.get("/session/api/me").status_code == 401


def test_jwt_scheme_on_postgres(pg_app):
    client = pg_app.test_client()
    jwt = JwtActions(client)
    token = jwt.token("bob", "builder")
    notes = jwt.get("/jwt/api/notes", token).get_json()["notes"]
    assert [n["title"] for n in notes] == ["Site plan"]


@pytest.mark.parametrize("cookie", ["A" * 300, "한국어", "x' OR '1'='1"])
def test_odd_cookies_never_reach_postgres_as_errors(pg_app, cookie):
    client = pg_app.test_client()
    client.set_cookie(SESSION_COOKIE, cookie)
    assert client.get("/session/api/me").status_code == 401
