"""One set of input rules: both sign-in endpoints agree, the HTML limits match the server's, and
sign-up shows every problem at once, even when twenty visitors race for one name."""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.accounts.credentials import (
    DISPLAY_NAME_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    USERNAME_MAX_LENGTH,
)
from harness.actions import csrf_token_from
from harness.servers import GunicornServer, app_environment, prepare_database

LOGIN_CASES = [
    # (username, password, session status, JWT status, fields with an error)
    ("", "wonderland", 400, 400, {"username"}),
    ("alice", "", 400, 400, {"password"}),
    ("   ", "wonderland", 400, 400, {"username"}),
    ("", "", 400, 400, {"username", "password"}),
    ("a" * (USERNAME_MAX_LENGTH + 1), "wonderland", 400, 400, {"username"}),
    ("alice", "x" * (PASSWORD_MAX_LENGTH + 1), 400, 400, {"password"}),
    ("alice", "wrong-password", 401, 401, set()),
    ("alice bob", "wonderland", 401, 401, set()),
    ("a" * USERNAME_MAX_LENGTH, "wonderland", 401, 401, set()),
    ("alice", "wonderland", 302, 200, set()),
]


@pytest.mark.parametrize(("username", "password", "session", "jwt", "fields"), LOGIN_CASES)
def test_both_sign_in_endpoints_apply_the_same_rules(app, username, password, session, jwt, fields):
    browser = app.test_client()
    page = browser.get("/session/login").get_data(as_text=True)
    form = browser.post(
        "/session/login",
        data={"username": username, "password": password, "csrf_token": csrf_token_from(page)},
    )
    api = app.test_client().post(
        "/jwt/api/token", json={"username": username, "password": password}
    )
    assert (form.status_code, api.status_code) == (session, jwt)
    html = form.get_data(as_text=True)
    shown = set(re.findall(r'<ul class="field-errors" id="(\w+)-errors"', html))
    assert shown == fields  # every field error at once, on the field it belongs to
    if fields:
        assert set(api.get_json()["fields"]) == fields


def input_limits(html: str) -> dict[str, int]:
    found = re.findall(r'<input\b[^>]*\bname="(\w+)"[^>]*>', html)
    limits = {}
    for name in found:
        tag = re.search(rf'<input\b[^>]*\bname="{name}"[^>]*>', html).group(0)
        match = re.search(r'maxlength="(\d+)"', tag)
        if match:
            limits[name] = int(match.group(1))
    return limits


@pytest.mark.parametrize("path", ["/session/login", "/jwt/login", "/account/signup"])
def test_the_html_limits_are_the_servers_limits(client, path):
    limits = input_limits(client.get(path).get_data(as_text=True))
    expected = {"username": USERNAME_MAX_LENGTH, "password": PASSWORD_MAX_LENGTH}
    if path == "/account/signup":
        expected["display_name"] = DISPLAY_NAME_MAX_LENGTH
    assert limits == expected


def test_signup_shows_every_problem_at_once_and_keeps_what_was_typed(client):
    page = client.get("/account/signup").get_data(as_text=True)
    response = client.post(
        "/account/signup",
        data={
            "username": "x",
            "display_name": "d" * (DISPLAY_NAME_MAX_LENGTH + 1),
            "password": "shrt7",
            "csrf_token": csrf_token_from(page),
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert set(re.findall(r'id="(\w+)-errors"', html)) == {"username", "display_name", "password"}
    assert 'value="x"' in html and "shrt7" not in html


def test_a_stale_signup_form_comes_back_filled_in(client):
    response = client.post(
        "/account/signup",
        data={"username": "carol", "display_name": "Carol", "password": "long enough secret"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This form expired, please send it again." in html
    assert 'value="carol"' in html and 'value="Carol"' in html
    assert "long enough secret" not in html


def test_ten_signups_racing_for_one_name_give_one_account(tmp_path):
    """Real gunicorn workers: ten forms filled in first, then sent at once. One account, nine
    clear refusals, no 503 (the unique index decides what the first check missed). Ten, since
    the rate limit allows ten sign-ups a minute for one username (tests/test_rate_limits.py)."""
    env = app_environment(tmp_path)
    prepare_database(env)
    server = GunicornServer(env, workers=2)
    visitors = []
    for _ in range(10):
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        page = opener.open(f"{server.url}/account/signup", timeout=30).read().decode()
        form = {
            "username": "racer",
            "password": "correct horse",
            "csrf_token": csrf_token_from(page),
        }
        visitors.append((opener, urllib.parse.urlencode(form).encode()))

    def sign_up(visitor) -> tuple[int, str]:
        opener, body = visitor
        try:
            with opener.open(f"{server.url}/account/signup", body, timeout=60) as answer:
                return answer.status, answer.url
        except urllib.error.HTTPError as refused:
            return refused.code, refused.read().decode()

    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            results = list(pool.map(sign_up, visitors))
    finally:
        log = server.stop()
    successes = [url for status, url in results if status == 200 and "/session/login" in url]
    refusals = [body for status, body in results if status == 400]
    assert len(successes) == 1, [status for status, _ in results]
    assert len(refusals) == 9, [status for status, _ in results]
    assert all("That username is taken." in body for body in refusals)
    assert "Traceback" not in log and "database unavailable" not in log
