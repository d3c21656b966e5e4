"""The third place to keep a token: an HttpOnly cookie, with a double-submit CSRF check."""

from __future__ import annotations

import time

import pytest

from app.extensions import csrf
from app.jwt_auth.guard import token_required
from tests.helpers import set_cookie_header

FETCH = {"X-Requested-With": "fetch"}
CREDENTIALS = {"username": "alice", "password": "wonderland"}


@pytest.fixture
def cookie_client(client):
    response = client.post("/jwt/api/token", json={**CREDENTIALS, "storage": "cookie"})
    assert response.status_code == 200
    client.sign_in_response = response
    return client


def csrf_value(client) -> str:
    return client.get_cookie("lab_access_csrf", path="/").value


def test_cookie_storage_sets_the_token_in_an_httponly_cookie_instead_of_the_body(cookie_client):
    response = cookie_client.sign_in_response
    body = response.get_json()
    assert "access_token" not in body
    assert body["storage"] == "cookie" and body["token_type"] == "Bearer"
    access = set_cookie_header(response, "lab_access")
    assert "HttpOnly" in access and "SameSite=Lax" in access and "Path=/jwt/api" in access
    assert "Max-Age=300" in access
    readable = set_cookie_header(response, "lab_access_csrf")
    assert "HttpOnly" not in readable and "Path=/;" in readable + ";"
    assert "HttpOnly" in set_cookie_header(response, "lab_refresh")


def test_production_marks_both_access_cookies_secure(make_app):
    client = make_app(SESSION_COOKIE_SECURE=True).test_client()
    response = client.post("/jwt/api/token", json={**CREDENTIALS, "storage": "cookie"})
    assert "Secure" in set_cookie_header(response, "lab_access")
    assert "Secure" in set_cookie_header(response, "lab_access_csrf")


def test_a_get_with_the_cookie_alone_works_like_a_session(cookie_client):
    for path in ("/jwt/api/me", "/jwt/api/checked/me", "/jwt/api/notes"):
        response = cookie_client.get(path)
        assert response.status_code == 200, path
    verdict = cookie_client.get("/jwt/api/check?trace=1").get_json()
    assert verdict["valid"] is True and verdict["source"] == "cookie"
    received = next(s for s in verdict["trace"]["steps"] if s["key"] == "token")
    assert "HttpOnly cookie" in received["detail"]


def test_a_state_changing_request_without_the_csrf_header_is_refused(cookie_client):
    response = cookie_client.post("/jwt/api/auth/logout", headers=FETCH)
    body = response.get_json()
    assert response.status_code == 403
    assert body["error"] == "csrf_failed" and "X-CSRF-Token" in body["reason"]
    # Nothing was signed out: the cookie still authenticates.
    assert cookie_client.get("/jwt/api/checked/me").status_code == 200


def test_a_wrong_csrf_value_is_refused_even_with_a_matching_forged_cookie(cookie_client):
    cookie_client.set_cookie("lab_access_csrf", "attacker-chosen", path="/")
    response = cookie_client.post(
        "/jwt/api/auth/logout", headers={**FETCH, "X-CSRF-Token": "attacker-chosen"}
    )
    assert response.status_code == 403
    assert "does not match" in response.get_json()["reason"]


def test_the_double_submit_lets_the_sites_own_script_sign_out(cookie_client):
    response = cookie_client.post(
        "/jwt/api/auth/logout", headers={**FETCH, "X-CSRF-Token": csrf_value(cookie_client)}
    )
    assert response.status_code == 200
    assert response.get_json()["access_token_revoked"] is True
    for name in ("lab_access", "lab_access_csrf"):
        deleted = set_cookie_header(response, name)
        set_with = set_cookie_header(cookie_client.sign_in_response, name)
        # A deletion names the cookie as it was set, or a browser may keep the original.
        assert "Max-Age=0" in deleted
        assert attributes(deleted) == attributes(set_with)
    assert cookie_client.get("/jwt/api/me").status_code == 401


def attributes(set_cookie: str) -> set[str]:
    """A Set-Cookie header's flags and attributes, without the value and lifetime."""
    parts = [part.strip() for part in set_cookie.split(";")[1:]]
    return {part for part in parts if part.split("=")[0] not in {"Max-Age", "Expires"}}


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_every_state_changing_method_needs_the_double_submit(make_app, method):
    app = make_app()

    @app.route("/jwt/api/test-change", methods=[method])
    @csrf.exempt  # as the real API routes are: the token's own double submit is under test
    @token_required
    def change(claims):
        return {"changed_for": claims["sub"]}

    client = app.test_client()
    client.post("/jwt/api/token", json={**CREDENTIALS, "storage": "cookie"})
    without = client.open("/jwt/api/test-change", method=method)
    assert without.status_code == 403 and without.get_json()["error"] == "csrf_failed"
    header = {"X-CSRF-Token": csrf_value(client)}
    assert client.open("/jwt/api/test-change", method=method, headers=header).status_code == 200


def test_a_refresh_in_cookie_storage_renews_the_cookies_not_the_body(cookie_client):
    old_csrf = csrf_value(cookie_client)
    response = cookie_client.post("/jwt/api/auth/refresh", headers=FETCH)
    assert response.status_code == 200
    assert "access_token" not in response.get_json()
    assert set_cookie_header(response, "lab_access")
    assert csrf_value(cookie_client) != old_csrf
    assert cookie_client.get("/jwt/api/me").status_code == 200


def test_a_bearer_header_takes_precedence_over_the_cookie(cookie_client):
    response = cookie_client.get("/jwt/api/me", headers={"Authorization": "Bearer junk"})
    assert response.status_code == 401


def test_signing_in_with_local_storage_clears_an_old_access_cookie(cookie_client):
    response = cookie_client.post("/jwt/api/token", json=CREDENTIALS)
    assert "access_token" in response.get_json()
    assert "Max-Age=0" in set_cookie_header(response, "lab_access")


def test_a_malformed_access_cookie_is_reported_as_a_cookie(client):
    client.set_cookie("lab_access", "한" * 10, path="/jwt/api")
    verdict = client.get("/jwt/api/check").get_json()
    assert verdict["present"] is True and verdict["valid"] is False
    assert verdict["source"] == "cookie" and verdict["failed_step"] == "token"


def test_the_verdict_says_how_long_by_the_servers_clock_and_why_in_a_code(cookie_client):
    import time_machine

    verdict = cookie_client.get("/jwt/api/check").get_json()
    assert 295 <= verdict["expires_in"] <= 300
    with time_machine.travel(time.time() + 301):
        refused = cookie_client.get("/jwt/api/check").get_json()
    assert refused["code"] == "token_expired" and refused["valid"] is False
