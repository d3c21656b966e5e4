"""Which instance served a response: `X-Served-By: <instance>/<process>` on every response.

With several instances behind a proxy (`make cluster`, or a PaaS running several), the header
and the page footer say which one answered: the instance's name (INSTANCE_NAME, else the host
name) and the worker process. Added around the whole app, static files included, so that no
response is without it.
"""

from __future__ import annotations

import os

from flask import Flask

HEADER = "X-Served-By"


def served_by(app: Flask) -> str:
    # The process ID is read per call: gunicorn forks its workers after the app is imported.
    return f"{app.config['INSTANCE_NAME']}/{os.getpid()}"


class ServedBy:
    """WSGI middleware adding the header to every response."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wsgi_app = app.wsgi_app

    def __call__(self, environ, start_response):
        value = served_by(self.app)

        def start(status, headers, exc_info=None):
            headers.append((HEADER, value))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def announce_instance(app: Flask) -> None:
    app.wsgi_app = ServedBy(app)
