"""Generated hostile input (Hypothesis): whatever arrives, the answer is a clear 4xx in the format
the client expects, never a 500, and nothing is written for a visitor who has not signed in."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.extensions import db
from app.models import SessionRecord
from harness.actions import PRE_LOGIN_COOKIE, SESSION_COOKIE, csrf_token_from

# Every code point, lone surrogates included: JSON can carry them even though UTF-8 cannot.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=300)
# What a browser can put in a form: any text that UTF-8 can carry.
FORM_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
# What an HTTP header or cookie value can carry at all (the test client sends Latin-1).
HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=400)
JSON_VALUES = st.one_of(
    ANY_TEXT, st.integers(), st.floats(), st.booleans(), st.none(), st.lists(ANY_TEXT, max_size=3)
)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def session_rows(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(SessionRecord.id))).scalar_one()


@SETTINGS
@given(username=JSON_VALUES, password=JSON_VALUES)
def test_the_token_endpoint_answers_any_json_with_json(client, username, password):
    body = json.dumps({"username": username, "password": password})
    response = client.post("/jwt/api/token", data=body, content_type="application/json")
    assert response.status_code in (200, 400, 401)
    answer = response.get_json()
    assert answer is not None
    assert "access_token" in answer if response.status_code == 200 else answer["error"]


@SETTINGS
@given(header=HEADER_TEXT)
def test_any_authorization_header_is_refused_cleanly(client, header):
    for path in ("/jwt/api/me", "/jwt/api/notes"):
        response = client.get(path, headers={"Authorization": header})
        assert response.status_code == 401
        assert response.get_json()["error"] in ("missing_token", "invalid_token")
        assert response.headers["WWW-Authenticate"].isascii()
    verdict = client.get("/jwt/api/check", headers={"Authorization": header})
    assert verdict.status_code == 200 and verdict.get_json()["valid"] is False


@SETTINGS
@given(session_cookie=HEADER_TEXT, pre_login_cookie=HEADER_TEXT)
def test_any_cookie_values_give_pages_not_errors_and_store_nothing(
    app, session_cookie, pre_login_cookie
):
    client = app.test_client()
    client.set_cookie(SESSION_COOKIE, session_cookie)
    client.set_cookie(PRE_LOGIN_COOKIE, pre_login_cookie)
    for path in ("/", "/inspect", "/session/login", "/session/profile", "/session/api/me"):
        assert client.get(path).status_code in (200, 302, 401), path
    assert session_rows(app) == 0


@SETTINGS
@given(username=FORM_TEXT, password=FORM_TEXT)
def test_the_login_form_answers_any_text_with_a_page(app, username, password):
    client = app.test_client()
    token = csrf_token_from(client.get("/session/login").get_data(as_text=True))
    response = client.post(
        "/session/login",
        data={"username": username, "password": password, "csrf_token": token},
    )
    assert response.status_code in (302, 400, 401)
    if response.status_code != 302:
        assert response.mimetype == "text/html"


def family_rows(app) -> int:
    from app.models import RefreshFamily

    with app.app_context():
        return db.session.execute(select(func.count(RefreshFamily.id))).scalar_one()


@SETTINGS
@given(refresh=HEADER_TEXT, access=HEADER_TEXT, csrf=HEADER_TEXT, body=JSON_VALUES)
def test_any_token_cookies_and_bodies_get_json_4xx_and_store_nothing(
    app, refresh, access, csrf, body
):
    client = app.test_client()
    client.set_cookie("lab_refresh", refresh, path="/jwt/api/auth")
    client.set_cookie("lab_access", access, path="/jwt/api")
    client.set_cookie("lab_refresh_copy", refresh, path="/jwt/api/auth/replay")
    client.set_cookie("lab_access_copy", access, path="/jwt/api/auth/replay")
    headers = {"X-Requested-With": "fetch", "X-CSRF-Token": csrf}
    payload = json.dumps({"keep_copy": body, "storage": body})
    for method, path in (
        ("POST", "/jwt/api/auth/refresh"),
        ("POST", "/jwt/api/auth/logout"),
        ("POST", "/jwt/api/auth/replay"),
        ("GET", "/jwt/api/auth/family"),
        ("GET", "/jwt/api/me"),
        ("GET", "/jwt/api/checked/me"),
    ):
        response = client.open(
            path, method=method, headers=headers, data=payload, content_type="application/json"
        )
        assert response.status_code in (200, 400, 401, 403), (path, response.status_code)
        assert response.get_json() is not None, path
    assert family_rows(app) == 0
