"""Deploying: the Procfile rehearsed as a platform runs it, and the deploy files kept in step.

The rehearsal runs the Procfile's `release` and `web` lines with honcho, in production mode,
with `PORT`, a `postgres://` DATABASE_URL and a REDIS_URL pointing at real local servers, behind
nginx saying `X-Forwarded-Proto: https` as a platform's router does after ending TLS.
"""

from __future__ import annotations

import http.client
import json
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
import yaml

from app.config import ENVIRONMENT_VARIABLES
from harness.actions import DEMO_PASSWORDS, csrf_token_from
from harness.servers import (
    PROJECT_ROOT,
    NginxServer,
    PostgresServer,
    RedisServer,
    free_port,
    wait_for_port,
)
from tests.availability import require_binary, require_postgres_bin

VENV_BIN = Path(sys.executable).parent
# Read by gunicorn itself (gunicorn.conf.py and its own defaults), not by the app.
GUNICORN_VARIABLES = {"PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS"}


def procfile() -> dict[str, str]:
    lines = (PROJECT_ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def render_web_service() -> dict:
    blueprint = yaml.safe_load((PROJECT_ROOT / "render.yaml").read_text())
    return next(service for service in blueprint["services"] if service["type"] == "web")


def test_every_way_of_serving_runs_the_same_gunicorn_line():
    web = procfile()["web"]
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    command = json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE).group(1))
    assert command == shlex.split(web)
    assert render_web_service()["startCommand"] == web
    # `make run` adds only where to bind and how many workers.
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert "$(VENV)/bin/" + web.replace(" wsgi:app", "") in makefile


def test_render_runs_the_release_line_before_each_deploy_and_checks_health():
    service = render_web_service()
    assert service["preDeployCommand"] == procfile()["release"]
    assert service["healthCheckPath"] == "/healthz"


def test_the_deploy_files_set_only_variables_something_reads():
    app_json = json.loads((PROJECT_ROOT / "app.json").read_text())
    named = set(app_json["env"]) | {item["key"] for item in render_web_service()["envVars"]}
    assert named <= set(ENVIRONMENT_VARIABLES) | GUNICORN_VARIABLES
    # Keys are generated per deploy, never written down.
    assert app_json["env"]["SECRET_KEY"] == {
        "description": app_json["env"]["SECRET_KEY"]["description"],
        "generator": "secret",
    }
    assert app_json["env"]["JWT_SECRET_KEY"]["generator"] == "secret"
    plans = {addon["plan"].split(":")[0] for addon in app_json["addons"]}
    assert plans == {"heroku-postgresql", "heroku-redis"}
    for deploy in (app_json["env"], {i["key"]: i for i in render_web_service()["envVars"]}):
        assert deploy["APP_ENV"]["value"] == "production"
        assert deploy["PROXY_FIX_HOPS"]["value"] == "1"


class Browser:
    """Just enough of a browser: keeps cookies (Secure ones too, as it would over https)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.set_cookie_headers: list[str] = []

    def send(self, method: str, path: str, body: bytes | None = None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            answer = response.read()
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            self.set_cookie_headers.append(header)
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response, answer


@pytest.fixture
def rehearsal(tmp_path):
    nginx = require_binary("nginx", "nginx")
    # Not pytest's tmp_path: PostgreSQL runs as another user, who cannot enter root's folders.
    pg_dir = Path(tempfile.mkdtemp(prefix="lab-deploy-pg-"))
    postgres = PostgresServer(require_postgres_bin(), pg_dir)
    redis = RedisServer(require_binary("redis-server", "redis-server"), tmp_path)
    port = free_port()
    empty_env_file = tmp_path / "no.env"
    empty_env_file.write_text("")
    env = {
        "PATH": f"{VENV_BIN}:/usr/bin:/bin",
        "PORT": str(port),
        # As Heroku hands it out: the old scheme name.
        "DATABASE_URL": postgres.database("deploy").replace("postgresql://", "postgres://", 1),
        "REDIS_URL": redis.url,
        "SESSION_STORE": "redis",
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "JWT_SECRET_KEY": secrets.token_urlsafe(48),
        "PROXY_FIX_HOPS": "1",
        "WEB_CONCURRENCY": "2",
        "INSTANCE_PATH": str(tmp_path / "instance"),
    }
    honcho = [str(VENV_BIN / "honcho"), "--env", str(empty_env_file), "start"]
    web = None
    proxy = None
    try:
        release = subprocess.run(
            [*honcho, "release"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
            timeout=180,
        )  # fmt: skip
        assert release.returncode == 0, release.stdout + release.stderr
        log = open(tmp_path / "web.log", "w+")  # noqa: SIM115 (closed below)
        web = subprocess.Popen(
            [*honcho, "web"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        wait_for_port(port, timeout=30)
        proxy = NginxServer(nginx, tmp_path, [f"127.0.0.1:{port}"], proto="https")
        yield proxy, release.stdout
    finally:
        web_log = ""
        if proxy is not None:
            proxy.stop()
        if web is not None:
            web.terminate()
            web.wait(timeout=30)
            log.seek(0)
            web_log = log.read()
            log.close()
        redis.stop()
        postgres.stop()
        shutil.rmtree(pg_dir, ignore_errors=True)
    assert "Traceback" not in web_log, web_log


def test_the_procfile_rehearsed_behind_an_https_proxy(rehearsal):
    proxy, release_output = rehearsal
    origin = f"https://127.0.0.1:{proxy.port}"
    browser = Browser(proxy.port)

    response, body = browser.send("GET", "/healthz")
    assert response.status == 200
    assert json.loads(body) == {"status": "ok", "database": "ok", "session_store": "ok"}
    assert response.getheader("Strict-Transport-Security")  # production, over https

    # A session sign-in through the real form, as a browser on https sends it.
    response, page = browser.send("GET", "/session/login")
    assert response.status == 200
    form = {
        "username": "alice",
        "password": DEMO_PASSWORDS["alice"],
        "csrf_token": csrf_token_from(page.decode()),
    }
    response, _ = browser.send(
        "POST",
        "/session/login",
        "&".join(f"{k}={v}" for k, v in form.items()).encode(),
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": origin,
            "Referer": f"{origin}/session/login",
        },
    )
    assert response.status == 302, response.status
    response, body = browser.send("GET", "/session/api/me")
    assert response.status == 200
    assert json.loads(body)["username"] == "alice"

    # A JWT sign-in, and the token used.
    credentials = {"username": "bob", "password": DEMO_PASSWORDS["bob"]}
    response, body = browser.send(
        "POST",
        "/jwt/api/token",
        json.dumps(credentials).encode(),
        {"Content-Type": "application/json"},
    )
    assert response.status == 200
    token = json.loads(body)["access_token"]
    response, body = browser.send(
        "GET", "/jwt/api/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 200
    assert json.loads(body)["username"] == "bob"

    # Every cookie the site set is Secure; the whole-site ones carry the __Host- prefix.
    cookies = {SimpleCookie(h).popitem()[0]: h for h in browser.set_cookie_headers}
    assert {"__Host-lab_session", "__Host-lab_csrf", "lab_refresh"} <= set(cookies)
    for name, header in cookies.items():
        assert "; Secure" in header, header
        if name.startswith("__Host-"):
            assert "; Path=/" in header and "Domain=" not in header, header
