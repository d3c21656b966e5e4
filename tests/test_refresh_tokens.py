"""Access and refresh tokens: the refresh cookie, rotation, reuse detection and the family."""

from __future__ import annotations

import hashlib
import time

import jwt
import pytest
import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import RefreshFamily, RefreshToken
from tests.helpers import TEST_JWT_SECRET, race, set_cookie_header

FETCH = {"X-Requested-With": "fetch"}
REUSE = "refresh token reuse detected; this sign-in was revoked"


def sign_in(client, storage=None, username="alice", password="wonderland"):
    body = {"username": username, "password": password}
    if storage:
        body["storage"] = storage
    response = client.post("/jwt/api/token", json=body)
    assert response.status_code == 200, response.get_json()
    return response


def refresh_cookie(client) -> str | None:
    cookie = client.get_cookie("lab_refresh", path="/jwt/api/auth")
    return cookie.value if cookie else None


def refresh(client, **kwargs):
    return client.post("/jwt/api/auth/refresh", headers=FETCH, **kwargs)


def test_sign_in_sets_a_strict_httponly_refresh_cookie_for_the_auth_routes_only(client):
    response = sign_in(client)
    cookie = set_cookie_header(response, "lab_refresh")
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/jwt/api/auth;" in cookie + ";"
    assert "Secure" not in cookie  # development over plain HTTP
    assert f"Max-Age={7 * 24 * 3600}" in cookie
    body = response.get_json()
    assert body["expires_in"] == 300 and body["refresh_expires_in"] == 7 * 24 * 3600
    assert body["storage"] == "localStorage" and body["access_token"].count(".") == 2


def test_the_refresh_cookie_never_rides_along_on_api_calls(client):
    sign_in(client)
    echoed = client.get("/inspect/api/request").get_json()
    assert "lab_refresh" not in [c["name"] for c in echoed["cookies"]]


def test_production_marks_the_refresh_cookie_secure(make_app, monkeypatch):
    client = make_app(SESSION_COOKIE_SECURE=True).test_client()
    assert "Secure" in set_cookie_header(sign_in(client), "lab_refresh")


def test_only_a_hash_of_the_opaque_256_bit_refresh_token_is_stored(app, client):
    sign_in(client)
    token = refresh_cookie(client)
    assert len(token) == 43  # 32 random bytes, base64url
    with app.app_context():
        stored = db.session.scalars(select(RefreshToken.token_hash)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in stored


def test_refresh_rotates_the_token_and_issues_a_fresh_access_token(client):
    sign_in(client)
    first = refresh_cookie(client)
    response = refresh(client)
    body = response.get_json()
    assert response.status_code == 200
    assert set(body) == {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_expires_in",
        "storage",
    }
    assert body["token_type"] == "Bearer" and body["expires_in"] == 300
    assert response.headers["Cache-Control"] == "no-store"
    claims = jwt.decode(
        body["access_token"],
        TEST_JWT_SECRET,
        algorithms=["HS256"],
        audience="session-vs-jwt-lab:api",
    )
    assert claims["username"] == "alice"
    second = refresh_cookie(client)
    assert second and second != first
    assert (
        client.get(
            "/jwt/api/me", headers={"Authorization": f"Bearer {body['access_token']}"}
        ).status_code
        == 200
    )


def test_refresh_needs_the_fetch_header(client):
    sign_in(client)
    response = client.post("/jwt/api/auth/refresh")
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"
    assert "X-Requested-With" in response.get_json()["message"]


@pytest.mark.parametrize("cookie", [None, "", "not-a-token", "A" * 43])
def test_refresh_without_a_valid_cookie_is_401_with_a_reason(client, cookie):
    if cookie is not None:
        client.set_cookie("lab_refresh", cookie, path="/jwt/api/auth")
    response = refresh(client)
    body = response.get_json()
    assert response.status_code == 401
    assert body["error"] == "invalid_refresh_token"
    assert body["reason"] in {
        "no refresh token was sent: the lab_refresh cookie is missing (never set here, deleted "
        "at sign-out, or expired with its sign-in)",
        "the refresh token is not one this server issued",
    }


def test_a_spent_refresh_token_revokes_the_whole_family(client, app):
    sign_in(client)
    stolen = refresh_cookie(client)
    assert refresh(client).status_code == 200
    newest = refresh_cookie(client)
    # The thief replays the spent token: refused, and the family with it.
    thief = app.test_client()
    thief.set_cookie("lab_refresh", stolen, path="/jwt/api/auth")
    replayed = refresh(thief)
    assert replayed.status_code == 401
    assert replayed.get_json()["reason"] == REUSE
    # The visitor's newest token, never used, now fails too.
    client.set_cookie("lab_refresh", newest, path="/jwt/api/auth")
    after = refresh(client)
    assert after.status_code == 401
    assert after.get_json()["reason"] == REUSE
    with app.app_context():
        family = db.session.scalars(select(RefreshFamily)).one()
        assert family.revoked_reason == "reuse" and family.revoked_at is not None


def test_families_survive_a_restart_and_are_seen_by_every_worker(make_app, client):
    sign_in(client)
    token = refresh_cookie(client)
    other_worker = make_app().test_client()  # a second app on the same database file
    other_worker.set_cookie("lab_refresh", token, path="/jwt/api/auth")
    assert refresh(other_worker).status_code == 200
    # The first worker now sees that token as spent.
    assert refresh(client).get_json()["reason"] == REUSE


def test_an_expired_refresh_token_is_refused(client):
    with time_machine.travel(time.time(), tick=False) as clock:
        sign_in(client)
        clock.shift(7 * 24 * 3600 + 1)
        response = refresh(client)
    assert response.status_code == 401
    assert response.get_json()["reason"] == "the refresh token has expired"


def test_the_refresh_lifetime_is_configurable(make_app, monkeypatch):
    monkeypatch.setenv("JWT_REFRESH_TOKEN_TTL_SECONDS", "120")
    client = make_app().test_client()
    response = sign_in(client)
    assert response.get_json()["refresh_expires_in"] == 120
    assert "Max-Age=120" in set_cookie_header(response, "lab_refresh")


def test_the_family_lists_each_token_with_its_use_and_revocation(client, app):
    with time_machine.travel(1_900_000_000, tick=False) as clock:
        sign_in(client)
        first = refresh_cookie(client)
        clock.shift(60)
        refresh(client)
        family = client.get("/jwt/api/auth/family").get_json()["family"]
        assert [t["state"] for t in family["tokens"]] == ["spent", "active"]
        assert [t["current"] for t in family["tokens"]] == [False, True]
        assert family["tokens"][0]["used_at"] == 1_900_000_060
        assert family["revoked_at"] is None and family["token_count"] == 2
        thief = app.test_client()
        thief.set_cookie("lab_refresh", first, path="/jwt/api/auth")
        refresh(thief)
        family = client.get("/jwt/api/auth/family").get_json()["family"]
    assert [t["state"] for t in family["tokens"]] == ["spent", "revoked"]
    assert family["revoked_reason_code"] == "reuse"
    assert family["revoked_reason"] == REUSE


def test_no_refresh_cookie_means_no_family(client):
    assert client.get("/jwt/api/auth/family").get_json() == {"family": None}


def test_an_unknown_storage_choice_is_a_400(client):
    response = client.post(
        "/jwt/api/token", json={"username": "alice", "password": "wonderland", "storage": "disk"}
    )
    assert response.status_code == 400
    assert "storage" in response.get_json()["message"]


def test_two_refreshes_racing_with_one_token_never_both_succeed(app, client):
    sign_in(client)
    token = refresh_cookie(client)
    for _ in range(5):
        answers = race(app, token, refresh, refresh)
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses in ([200, 401], [401, 401]), statuses
        if statuses == [200, 401]:
            break
    loser = next(a for a in answers if a.status_code == 401).get_json()
    assert loser["reason"] == REUSE


def test_a_refresh_racing_a_sign_out_is_refused_or_revoked_with_the_family(app, client):
    sign_in(client)
    token = refresh_cookie(client)
    sign_out = lambda c: c.post("/jwt/api/auth/logout", headers=FETCH)  # noqa: E731
    refreshed, signed_out = race(app, token, refresh, sign_out)
    assert signed_out.status_code == 200
    # Whichever came first, nothing the refresh issued can be refreshed again.
    if refreshed.status_code == 200:
        later = app.test_client()
        later.set_cookie(
            "lab_refresh",
            set_cookie_header(refreshed, "lab_refresh").split(";")[0].split("=", 1)[1],
            path="/jwt/api/auth",
        )
        assert refresh(later).status_code == 401
    with app.app_context():
        family = db.session.scalars(select(RefreshFamily)).one()
        assert family.revoked_at is not None


def test_a_sign_in_can_be_refreshed_for_the_refresh_lifetime_and_no_longer(client):
    with time_machine.travel(time.time(), tick=False) as clock:
        sign_in(client)
        for _ in range(3):
            clock.shift(3 * 24 * 3600)  # three days, three times: past the seven
            response = refresh(client)
            if response.status_code != 200:
                break
    assert response.status_code == 401
    assert response.get_json()["reason"] == "the refresh token has expired"


def test_expired_families_are_swept_by_later_sign_ins_with_no_scheduler(make_app):
    app = make_app(JWT_SWEEP_BATCH=2)
    client = app.test_client()

    def families() -> int:
        with app.app_context():
            return len(db.session.scalars(select(RefreshFamily.id)).all())

    with time_machine.travel(time.time(), tick=False) as clock:
        for _ in range(3):
            sign_in(client)
        clock.shift(7 * 24 * 3600 + 1)  # all three are past their seven days
        sign_in(client)
        assert families() == 2  # one batch of two swept, the new family added
        sign_in(client)
        assert families() == 2  # the last stale one swept, another added
    with app.app_context():
        orphans = db.session.scalars(
            select(RefreshToken.id).where(RefreshToken.family_id.not_in(select(RefreshFamily.id)))
        ).all()
    assert orphans == []  # a swept family's tokens go with it


def steal(client):
    return client.post("/jwt/api/auth/thief/copy", headers=FETCH)


def thief_uses_copy(client):
    return client.post("/jwt/api/auth/thief/use", headers=FETCH)


def test_the_thiefs_copy_is_httponly_and_reaches_only_the_thiefs_routes(client):
    sign_in(client)
    response = steal(client)
    assert response.status_code == 200 and response.get_json() == {"copied": True, "number": 1}
    stolen = set_cookie_header(response, "lab_refresh_stolen")
    assert "HttpOnly" in stolen and "SameSite=Strict" in stolen
    assert "Path=/jwt/api/auth/thief" in stolen
    assert client.get_cookie("lab_refresh_stolen", path="/jwt/api/auth/thief").value == (
        refresh_cookie(client)
    )
    # The visitor's own cookie is untouched.
    assert not any(h.startswith("lab_refresh=") for h in response.headers.getlist("Set-Cookie"))


def test_a_thief_who_comes_second_is_reuse_and_revokes_the_visitors_sign_in(client):
    sign_in(client)
    steal(client)
    assert refresh(client).status_code == 200  # the visitor spends the token first
    used = thief_uses_copy(client).get_json()
    assert used == {"status": 401, "body": used["body"]}
    assert used["body"]["reason"] == REUSE
    response = refresh(client)  # the visitor's newest token dies with the family
    assert response.status_code == 401 and response.get_json()["reason"] == REUSE


def test_a_thief_who_comes_first_leaves_the_reuse_to_the_visitors_next_refresh(client):
    sign_in(client)
    steal(client)
    used = thief_uses_copy(client)
    assert used.get_json() == {"status": 200, "body": {"refreshed": True}}
    # The demo keeps nothing that works: the copy is deleted, and what it got is dropped.
    assert "Max-Age=0" in set_cookie_header(used, "lab_refresh_stolen")
    assert client.get_cookie("lab_refresh_stolen", path="/jwt/api/auth/thief") is None
    response = refresh(client)  # now the visitor's token is the spent one: reuse
    assert response.status_code == 401 and response.get_json()["reason"] == REUSE
    family = client.get("/jwt/api/auth/family").get_json()["family"]
    assert family["revoked_reason_code"] == "reuse"
    # #1, spent by the thief (and presented again by the visitor); #2, issued to it, revoked
    assert [token["state"] for token in family["tokens"]] == ["spent", "revoked"]


def test_the_thiefs_routes_need_the_fetch_header_and_a_copy(client):
    sign_in(client)
    assert client.post("/jwt/api/auth/thief/copy").status_code == 400
    assert thief_uses_copy(client).status_code == 400  # nothing copied yet
    steal(client)
    without_header = client.post("/jwt/api/auth/thief/use")
    assert without_header.status_code == 400
    assert "X-Requested-With" in without_header.get_json()["message"]
    assert refresh(client).status_code == 200  # and the copy was not spent
    client.delete_cookie("lab_refresh", path="/jwt/api/auth")
    assert steal(client).status_code == 401
