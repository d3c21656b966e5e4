"""A real server for browser tests: the app on werkzeug in a thread, on a free loopback port."""

from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import BaseWSGIServer, make_server

from app import create_app
from app.accounts.cli import seed_demo_users
from app.extensions import db

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# As root Chromium needs --no-sandbox; the rest keep it off a network it cannot reach here.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
]


def find_chromium() -> str | None:
    override = os.environ.get("CHROMIUM_PATH")
    candidates = (override,) if override else CHROMIUM_CANDIDATES
    for path in candidates:
        if path and Path(path).exists():
            return path
    return shutil.which("chromium")


class RequestLog:
    """The paths that reached the server, in order: what the browser did not take from its cache."""

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app
        self.paths: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self._lock:
            self.paths.append(environ.get("PATH_INFO", ""))
        return self.wsgi_app(environ, start_response)


@dataclass
class LiveServer:
    url: str
    app: Flask
    server: BaseWSGIServer
    thread: threading.Thread
    log: RequestLog

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        with self.app.app_context():
            db.engine.dispose()


def start_live_server(workdir: Path) -> LiveServer:
    """Migrate and seed a fresh SQLite file in `workdir`, then serve the app on 127.0.0.1."""
    workdir.mkdir(parents=True, exist_ok=True)
    previous = os.environ.get("INSTANCE_PATH")
    os.environ["INSTANCE_PATH"] = str(workdir / "instance")  # keys are generated in here
    try:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'lab.sqlite3'}",
                # The browser suite signs in as alice hundreds of times a minute.
                "RATELIMIT_ENABLED": False,
            }
        )
    finally:
        if previous is None:
            os.environ.pop("INSTANCE_PATH", None)
        else:
            os.environ["INSTANCE_PATH"] = previous
    with app.app_context():
        upgrade()
        seed_demo_users()
    log = RequestLog(app)
    server = make_server("127.0.0.1", 0, log, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    return LiveServer(f"http://127.0.0.1:{server.server_port}", app, server, thread, log)
