"""The schema comes from Alembic migrations, and the demo seed is safe to run twice."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, inspect, select

from app.extensions import db
from app.models import User
from harness.servers import app_environment
from harness.servers import flask_cli as run_flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def flask_cli(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = app_environment(tmp_path)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    return run_flask(env, *args)


def test_db_upgrade_on_an_empty_database_creates_every_table(tmp_path):
    result = flask_cli("db", "upgrade", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    tables = set(inspect(engine).get_table_names())
    assert {"users", "notes", "sessions", "alembic_version"} <= tables
    engine.dispose()


def test_no_table_is_created_outside_the_migrations(tmp_path):
    """Flask-Session would create `sessions` at import; here only `db upgrade` creates tables."""
    result = flask_cli("seed-demo", tmp_path=tmp_path)
    assert result.returncode != 0  # no tables yet: the command fails rather than invent them
    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    assert "sessions" not in inspect(engine).get_table_names()
    engine.dispose()


def test_seed_demo_is_safe_to_run_twice(tmp_path):
    assert flask_cli("db", "upgrade", tmp_path=tmp_path).returncode == 0
    first = flask_cli("seed-demo", tmp_path=tmp_path)
    second = flask_cli("seed-demo", tmp_path=tmp_path)
    assert "Created demo users: alice, bob" in first.stdout
    assert "already present" in second.stdout
    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    with engine.connect() as conn:
        names = sorted(row[0] for row in conn.execute(select(User.username)))
    assert names == ["alice", "bob"]
    engine.dispose()


def test_models_and_migrations_agree(app):
    """Autogenerate finds nothing to add: the committed migrations match the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_session_cleanup_deletes_only_expired_records(app, runner):
    """SQL has no TTL: `flask session_cleanup` (from Flask-Session) clears what has expired."""
    from datetime import datetime

    from app.models import SessionRecord

    with app.app_context():
        far = datetime(2999, 1, 1)
        db.session.add_all(
            [
                SessionRecord(session_id="session:old", data=b"\x80", expiry=datetime(2000, 1, 1)),
                SessionRecord(session_id="session:live", data=b"\x80", expiry=far),
            ]
        )
        db.session.commit()
    result = runner.invoke(args=["session_cleanup"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        left = set(db.session.execute(select(SessionRecord.session_id)).scalars())
    assert left == {"session:live"}


def test_migrating_inside_a_running_process_leaves_the_apps_log_on(make_app, tmp_path):
    """Alembic's env.py configures logging from alembic.ini; it must not switch off the loggers
    that already exist, or the app's own warnings (a store outage) vanish after a migration."""
    from flask_migrate import upgrade

    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'migrated-here.sqlite3'}")
    logger = app.logger  # it exists before the migration, as in a process that already served
    with app.app_context():
        upgrade()
    heard: list[logging.LogRecord] = []
    listener = logging.Handler()
    listener.emit = heard.append
    logging.getLogger().addHandler(listener)
    try:
        logger.warning("still heard after the migration")
    finally:
        logging.getLogger().removeHandler(listener)
    assert [r.getMessage() for r in heard] == ["still heard after the migration"]
    with app.app_context():
        db.engine.dispose()
