"""Signing in the way a visitor does: through the real forms, CSRF token included.

`SessionActions` and `JwtActions` drive a Flask test client; `sign_in_over_http` and
`access_token_over_http` do the same against a running server, for the benchmark and the
multi-process tests.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.parse
import urllib.request

SESSION_COOKIE = "lab_session"
PRE_LOGIN_COOKIE = "lab_csrf"
DEMO_PASSWORDS = {"alice": "wonderland", "bob": "builder"}

# A form's hidden field (`name` and `value` in either order) or the page's <meta> tag.
_CSRF_INPUT = re.compile(r'<input\b[^>]*\bname="csrf_token"[^>]*>')
_VALUE = re.compile(r'\bvalue="([^"]+)"')


def csrf_token_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF_INPUT.search(html)
    value = _VALUE.search(found.group(0)) if found else None
    if value is None:
        raise AssertionError("the page has no form with a CSRF token")
    return value.group(1)


_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


def csrf_meta_from(html: str) -> str:
    """The token every page carries for its scripts (empty for a visitor who holds none)."""
    found = _CSRF_META.search(html)
    if found is None:
        raise AssertionError('the page has no <meta name="csrf-token">')
    return found.group(1)


class SessionActions:
    """Sign in and out with a session through the real forms of a Flask test client."""

    def __init__(self, client) -> None:
        self.client = client

    def login(self, username="alice", password=None, **kwargs):
        page = self.client.get("/session/login")
        return self.submit_login(page.get_data(as_text=True), username, password, **kwargs)

    def submit_login(self, form_page: str, username="alice", password=None, **kwargs):
        """Send the sign-in form of a page fetched earlier: one left open, or another tab's."""
        password = DEMO_PASSWORDS.get(username, "") if password is None else password
        return self.client.post(
            "/session/login",
            data={
                "username": username,
                "password": password,
                "csrf_token": csrf_token_from(form_page),
            },
            **kwargs,
        )

    def logout(self):
        page = self.client.get("/session/profile")
        token = csrf_token_from(page.get_data(as_text=True))
        return self.client.post("/session/logout", data={"csrf_token": token})


class JwtActions:
    """Get tokens from the real token endpoint of a Flask test client and call the API."""

    def __init__(self, client) -> None:
        self.client = client

    def token(self, username="alice", password=None, algorithm: str | None = None) -> str:
        """An access token, signed as `algorithm` asks (the server's JWT_ALGORITHM by default)."""
        password = DEMO_PASSWORDS.get(username, "") if password is None else password
        body = {"username": username, "password": password}
        if algorithm is not None:
            body["algorithm"] = algorithm
        response = self.client.post("/jwt/api/token", json=body)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["access_token"]

    def get(self, path: str, token: str, **kwargs):
        return self.client.get(path, headers={"Authorization": f"Bearer {token}"}, **kwargs)


def sign_in_over_http(base: str, username: str = "alice", timeout: float = 20) -> str:
    """Sign in with a session on a running server; return the `Cookie` header value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/session/login", timeout=timeout).read().decode()
    form = {
        "username": username,
        "password": DEMO_PASSWORDS[username],
        "csrf_token": csrf_token_from(page),
    }
    opener.open(
        f"{base}/session/login", data=urllib.parse.urlencode(form).encode(), timeout=timeout
    ).read()
    cookie = next((c for c in jar if c.name == SESSION_COOKIE), None)
    if cookie is None:
        raise RuntimeError(f"signing in at {base} set no {SESSION_COOKIE} cookie")
    return f"{SESSION_COOKIE}={cookie.value}"


def access_token_over_http(
    base: str, username: str = "alice", timeout: float = 20, algorithm: str | None = None
) -> str:
    """Get an access token from a running server's token endpoint, signed as `algorithm` asks
    (the server's JWT_ALGORITHM by default)."""
    body = {"username": username, "password": DEMO_PASSWORDS[username]}
    if algorithm is not None:
        body["algorithm"] = algorithm
    request = urllib.request.Request(
        f"{base}/jwt/api/token",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)["access_token"]
