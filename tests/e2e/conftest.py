"""Browser fixtures: Debian's Chromium driven by Playwright against a live server.

Without Chromium the browser tests are skipped on a developer machine, but when CI is set they
fail: CI must never pass without having run them.
"""

from __future__ import annotations

import os
import time

import pytest

from harness.actions import DEMO_PASSWORDS
from tests.availability import require_installed
from tests.e2e.server import CHROMIUM_ARGS, find_chromium, start_live_server


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return require_installed(find_chromium(), "Chromium", "chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, chromium_path):
    return {**browser_type_launch_args, "executable_path": chromium_path, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, chromium_path):
    server = start_live_server(tmp_path_factory.mktemp("live"))
    yield server
    server.stop()


@pytest.fixture
def base(live_server) -> str:
    return live_server.url


class Problems:
    """Console errors, failed requests and requests to other origins, collected from a page."""

    def __init__(self, page, origin: str) -> None:
        self.console: list[str] = []
        self.failed: list[str] = []
        self.foreign: list[str] = []
        page.on("console", lambda m: self.console.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console.append(str(e)))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.method} {r.url}"))
        page.on("response", self._check_response)
        page.on(
            "request",
            lambda r: (
                None
                if r.url.startswith((origin, "data:", "about:"))
                else self.foreign.append(r.url)
            ),
        )

    def _check_response(self, response) -> None:
        # The document may be a deliberate 404; every resource and fetch it makes must succeed
        # (the JWT API's 401s are tested elsewhere and never happen on these pages).
        if response.status >= 400 and response.request.resource_type != "document":
            self.failed.append(f"{response.status} {response.url}")

    def assert_none(self, document_status: int = 200) -> None:
        if document_status >= 400:
            # Chromium logs the document's own error status as a console error.
            own = f"status of {document_status}"
            self.console = [m for m in self.console if own not in m]
        assert self.console == [], self.console
        assert self.failed == [], self.failed
        assert self.foreign == [], self.foreign


@pytest.fixture
def problems(page, base) -> Problems:
    return Problems(page, base)


# The forms' words, in each language the site speaks.
FORM_WORDS = {
    "en": {"username": "Username", "password": "Password", "sign in": "Sign in",
           "get a token": "Sign in and get a token"},
    "ko": {"username": "아이디", "password": "비밀번호", "sign in": "로그인",
           "get a token": "로그인하고 토큰 받기"},
}  # fmt: skip


def session_login(
    page, base: str, username: str = "alice", language: str = "en", *, land: bool = True
) -> None:
    """Sign in through the form. With `land`, wait for the profile it leads to; without, only
    for the answer (behind several instances with memory sessions, the profile may be served
    by one that does not know the new session)."""
    words = FORM_WORDS[language]
    page.goto(f"{base}/session/login")
    page.get_by_label(words["username"]).fill(username)
    page.get_by_label(words["password"]).fill(DEMO_PASSWORDS[username])
    page.get_by_role("button", name=words["sign in"], exact=True).click()
    if land:
        page.wait_for_url(f"{base}/session/profile")
    else:
        page.wait_for_load_state()


def jwt_login(
    page,
    base: str,
    username: str = "alice",
    language: str = "en",
    storage: str = "localStorage",
    algorithm: str | None = None,
) -> None:
    """Sign in to the JWT lab through the real form, keeping the token where `storage` says,
    signed as `algorithm` (the form's default when None)."""
    words = FORM_WORDS[language]
    page.goto(f"{base}/jwt/login")
    page.get_by_label(words["username"]).fill(username)
    page.get_by_label(words["password"]).fill(DEMO_PASSWORDS[username])
    page.locator(f'input[name="storage"][value="{storage}"]').check()
    if algorithm is not None:
        page.locator(f'input[name="algorithm"][value="{algorithm}"]').check()
    page.get_by_role("button", name=words["get a token"]).click()
    page.wait_for_url(f"{base}/jwt/profile")


def plant_token(page, base: str, token: str) -> None:
    """Put a value in this browser's localStorage as the access token, as a script could."""
    if not page.url.startswith(base):
        page.goto(f"{base}/session/login")
    page.evaluate("t => localStorage.setItem('access_token', t)", token)


def server_token(live_server, **changes) -> str:
    """A token signed with the live server's own key: genuine, unless `changes` break it."""
    from tests.helpers import forge, good_claims

    return forge(good_claims(**changes), key=live_server.app.config["JWT_SECRET_KEY"])


def expired_token(live_server) -> str:
    """A token the live server signed, whose exp has passed: refused at step 2b."""
    now = int(time.time())
    return server_token(live_server, iat=now - 4000, exp=now - 60)
