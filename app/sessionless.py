"""Paths that never use the server-side session, declared by the blueprints that own them.

Flask opens the session before it matches the URL, so the session interface cannot ask which
view will run. Each blueprint instead declares the paths it serves without a session (the JWT
API, the health check), and the session interface skips the store for them: a JWT request from
a browser that also holds a session cookie must not pay for a lookup it does not need.
"""

from __future__ import annotations

from flask import Blueprint, Flask

EXTENSION_KEY = "lab_sessionless_paths"


def declare_sessionless(blueprint: Blueprint, *paths: str) -> None:
    """Mark paths (prefixes, relative to the blueprint's URL prefix) as never using the session."""
    blueprint.record_once(
        lambda state: declare_app_sessionless(
            state.app, *((state.url_prefix or "") + path for path in paths)
        )
    )


def declare_app_sessionless(app: Flask, *paths: str) -> None:
    """Mark absolute path prefixes of `app` as never using the session."""
    app.extensions[EXTENSION_KEY] = (*app.extensions.get(EXTENSION_KEY, ()), *paths)


def is_sessionless(app: Flask, path: str) -> bool:
    return path.startswith(app.extensions.get(EXTENSION_KEY, ()))
