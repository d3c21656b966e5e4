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
    assert {"refresh_families", "refresh_tokens", "revoked_access_tokens"} <= tables


def test_app_uses_psycopg_on_postgres(pg_app):
    assert pg_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert pg_app.test_client().get("/healthz").get_json() == {
        "status": "ok",
        "database": "ok",
        "session_store": "ok",
    }


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


def test_refresh_rotation_reuse_and_the_denylist_on_postgres(pg_app):
    fetch = {"X-Requested-With": "fetch"}
    client = pg_app.test_client()
    token = JwtActions(client).token()
    spent = client.get_cookie("lab_refresh", path="/jwt/api/auth").value
    rotated = client.post("/jwt/api/auth/refresh", headers=fetch)
    assert rotated.status_code == 200
    fresh = rotated.get_json()["access_token"]
    thief = pg_app.test_client()
    thief.set_cookie("lab_refresh", spent, path="/jwt/api/auth")
    reused = thief.post("/jwt/api/auth/refresh", headers=fetch).get_json()
    assert reused["reason"] == "refresh token reuse detected; this sign-in was revoked"
    assert client.post("/jwt/api/auth/refresh", headers=fetch).status_code == 401
    bearer = {"Authorization": f"Bearer {fresh}"}
    assert client.post("/jwt/api/auth/logout", headers=bearer).status_code == 200
    # Twice: the second sign-out of the same jti must not trip over the first entry.
    assert client.post("/jwt/api/auth/logout", headers=bearer).status_code == 200
    assert client.get("/jwt/api/me", headers=bearer).status_code == 200
    checked = client.get("/jwt/api/checked/me?trace=1", headers=bearer)
    assert checked.status_code == 401
    assert checked.get_json()["trace"]["store"]["reads"] == 1
    assert (
        client.get("/jwt/api/checked/me", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )


def test_two_refreshes_racing_on_postgres_never_both_succeed(pg_app):
    from tests.helpers import race

    client = pg_app.test_client()
    JwtActions(client).token()
    token = client.get_cookie("lab_refresh", path="/jwt/api/auth").value
    fetch = {"X-Requested-With": "fetch"}
    refresh = lambda c: c.post("/jwt/api/auth/refresh", headers=fetch)  # noqa: E731
    statuses = sorted(answer.status_code for answer in race(pg_app, token, refresh, refresh))
    assert statuses in ([200, 401], [401, 401])
