"""Configuration: keys that survive restarts, production refusals, and a factory that runs twice."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from app.config import ConfigurationError, normalise_database_url
from tests.conftest import make_test_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent


# Keys as a generator makes them: long, and many different characters.
STRONG_SECRET = "kD8s-Qw3ZrT7uVx1Yb5NcM0pLa9HgF2e"
STRONG_JWT_SECRET = "Jt4Rn8Wq2Ys6Uv0Xz3Bc7Dm1Fg5Hk9Lp"


def dev_config(db_path: Path) -> dict:
    config = make_test_config(db_path)
    del config["SECRET_KEY"], config["JWT_SECRET_KEY"]
    return config


def test_development_keys_are_generated_once_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    first = create_app(dev_config(tmp_path / "a.sqlite3"))
    second = create_app(dev_config(tmp_path / "a.sqlite3"))
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert first.config["JWT_SECRET_KEY"] == second.config["JWT_SECRET_KEY"]
    assert first.config["SECRET_KEY"] != first.config["JWT_SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 48
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_a_token_from_one_process_verifies_in_a_restarted_one(tmp_path, monkeypatch):
    """Workers and restarts share the instance keys, so nobody is logged out at random."""
    from flask_migrate import upgrade

    from app.accounts.cli import seed_demo_users
    from app.extensions import db
    from harness.actions import JwtActions

    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    config = dev_config(tmp_path / "lab.sqlite3")
    first = create_app(config)
    with first.app_context():
        upgrade()
        seed_demo_users()
    token = JwtActions(first.test_client()).token()
    restarted = create_app(config)
    assert JwtActions(restarted.test_client()).get("/jwt/api/me", token).status_code == 200
    with first.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    ("secret", "jwt_secret", "message"),
    [
        (None, STRONG_JWT_SECRET, "SECRET_KEY is not set"),
        (STRONG_SECRET, None, "JWT_SECRET_KEY is not set"),
        ("short", STRONG_JWT_SECRET, "SECRET_KEY is too weak"),
        (STRONG_SECRET, STRONG_JWT_SECRET[:31], "JWT_SECRET_KEY is too weak"),
        (STRONG_SECRET, STRONG_SECRET, "must differ"),
        ("s" * 40, STRONG_JWT_SECRET, "SECRET_KEY is too weak"),  # long, but one character
        (STRONG_SECRET, "abab" * 10, "JWT_SECRET_KEY is too weak"),
    ],
)
def test_production_refuses_missing_or_weak_keys(
    tmp_path, monkeypatch, secret, jwt_secret, message
):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    for name, value in (("SECRET_KEY", secret), ("JWT_SECRET_KEY", jwt_secret)):
        if value is not None:
            monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=message):
        create_app(dev_config(tmp_path / "lab.sqlite3"))
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_production_starts_with_strong_keys_and_secure_cookies(tmp_path, monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("SECRET_KEY", STRONG_SECRET)
    monkeypatch.setenv("JWT_SECRET_KEY", STRONG_JWT_SECRET)
    app = create_app(dev_config(tmp_path / "lab.sqlite3"))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert "Strict-Transport-Security" in app.test_client().get("/").headers


def import_wsgi(tmp_path, **environment) -> subprocess.CompletedProcess:
    """Start the app as a WSGI server would, in a fresh process with only `environment` set."""
    env = {
        "PATH": "/usr/bin:/bin",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
        **environment,
    }
    return subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_wsgi_refuses_to_start_with_a_clear_message(tmp_path):
    result = import_wsgi(tmp_path, APP_ENV="production")
    assert result.returncode != 0
    assert "Refusing to start: SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql+psycopg://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls_from_paas_platforms_are_normalised(url, expected):
    assert normalise_database_url(url) == expected


def test_create_app_twice_in_one_process(make_app):
    """Flask-Session's own SQLAlchemy backend fails this (its issue #245); ours must not."""
    from harness.actions import SessionActions

    first = make_app()
    second = make_app()
    for app in (first, second):
        client = app.test_client()
        assert SessionActions(client).login().status_code == 302
        assert client.get("/session/api/me").get_json()["username"] == "alice"


def test_invalid_session_store_name_is_refused(make_app, monkeypatch):
    monkeypatch.setenv("SESSION_STORE", "mongo")
    with pytest.raises(ConfigurationError, match="SESSION_STORE"):
        make_app(SESSION_STORE="mongo")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("JWT_ACCESS_TOKEN_TTL_SECONDS", "0", "JWT_ACCESS_TOKEN_TTL_SECONDS must be a positive"),
        ("JWT_ACCESS_TOKEN_TTL_SECONDS", "-5", "JWT_ACCESS_TOKEN_TTL_SECONDS must be a positive"),
        ("SESSION_IDLE_TIMEOUT_SECONDS", "0", "SESSION_IDLE_TIMEOUT_SECONDS must be a positive"),
        ("SESSION_ABSOLUTE_TIMEOUT_SECONDS", "-1", "SESSION_ABSOLUTE_TIMEOUT_SECONDS must be a"),
        ("SESSION_LIFETIME_MINUTES", "480", "was replaced by SESSION_IDLE_TIMEOUT_SECONDS"),
        ("SESSION_REFRESH_INTERVAL_SECONDS", "1800", "must be shorter than SESSION_IDLE"),
        ("SESSION_REFRESH_INTERVAL_SECONDS", "0", "SESSION_REFRESH_INTERVAL_SECONDS must be"),
        ("JWT_LEEWAY_SECONDS", "-1", "JWT_LEEWAY_SECONDS must be a whole number of seconds, 0"),
        ("MAX_CONTENT_LENGTH", "0", "MAX_CONTENT_LENGTH must be a positive"),
        ("JWT_ACCESS_TOKEN_TTL_SECONDS", "soon", "must be a positive whole number of seconds"),
    ],
)
def test_a_lifetime_of_zero_or_less_refuses_to_start_in_one_line(tmp_path, name, value, message):
    result = import_wsgi(tmp_path, **{name: value})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Refusing to start: ")
    assert message in lines[0]


@pytest.mark.parametrize(
    "setting", ["JWT_ACCESS_TOKEN_TTL", "PERMANENT_SESSION_LIFETIME", "SESSION_REFRESH_INTERVAL"]
)
def test_durations_set_in_code_are_checked_too(make_app, setting):
    from datetime import timedelta

    with pytest.raises(ConfigurationError, match=setting):
        make_app(**{setting: timedelta(0)})


def test_every_environment_variable_the_app_reads_is_listed(monkeypatch):
    """The fixtures clear ENVIRONMENT_VARIABLES; a variable read but not listed would leak in."""
    import re

    from app.config import ENVIRONMENT_VARIABLES, env_text

    source = "\n".join(p.read_text() for p in (PROJECT_ROOT / "app").rglob("*.py"))
    assert "os.environ" not in source.replace("os.environ.get(name, default)", "")
    read = set(re.findall(r'_env_(?:int|bool)\(\s*"([A-Z_]+)"', source))
    read |= set(re.findall(r'env_text\(\s*"([A-Z_]+)"', source))
    assert read == set(ENVIRONMENT_VARIABLES)
    with pytest.raises(KeyError):
        env_text("SOME_UNLISTED_VARIABLE")


def test_a_developers_shell_cannot_change_what_the_tests_see():
    """The autouse fixture has cleared all of them, whatever this shell exported."""
    import os

    from app.config import ENVIRONMENT_VARIABLES

    assert [name for name in ENVIRONMENT_VARIABLES if name in os.environ] == []
    assert [name for name in os.environ if name.startswith("FLASK_")] == []


@pytest.mark.parametrize("batch", [0, -1, True, "20"])
def test_the_sweep_batch_must_be_a_positive_number(make_app, batch):
    with pytest.raises(ConfigurationError, match="SESSION_SWEEP_BATCH"):
        make_app(SESSION_SWEEP_BATCH=batch)


def test_cookies_without_secure_in_production_need_an_explicit_logged_override(
    tmp_path, monkeypatch, caplog
):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("SECRET_KEY", STRONG_SECRET)
    monkeypatch.setenv("JWT_SECRET_KEY", STRONG_JWT_SECRET)
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "0")
    with pytest.raises(ConfigurationError, match="ALLOW_INSECURE_COOKIES"):
        create_app(dev_config(tmp_path / "lab.sqlite3"))
    monkeypatch.setenv("ALLOW_INSECURE_COOKIES", "1")
    app = create_app(dev_config(tmp_path / "lab.sqlite3"))
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["SESSION_COOKIE_NAME"] == "lab_session"  # no __Host- without Secure
    assert "SESSION_COOKIE_SECURE is off in production" in caplog.text
