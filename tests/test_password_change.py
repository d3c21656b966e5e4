"""Changing a password: the current one is checked, and every other sign-in ends."""

from __future__ import annotations

import pytest

from harness.actions import SESSION_COOKIE, JwtActions, SessionActions, csrf_token_from

FETCH = {"X-Requested-With": "fetch"}
NEW = "a-brand-new-passphrase"


def change(client, current="wonderland", new=NEW, confirm=None, **kwargs):
    page = client.get("/account/password").get_data(as_text=True)
    return client.post(
        "/account/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm_password": new if confirm is None else confirm,
            "csrf_token": csrf_token_from(page),
        },
        **kwargs,
    )


def signed_in(app):
    client = app.test_client()
    assert SessionActions(client).login().status_code == 302
    return client


def test_the_new_password_works_and_the_old_one_no_longer_does(app):
    client = signed_in(app)
    answer = change(client)
    assert answer.status_code == 302 and answer.headers["Location"] == "/session/devices"
    fresh = app.test_client()
    assert SessionActions(fresh).login("alice", "wonderland").status_code == 401
    assert SessionActions(fresh).login("alice", NEW).status_code == 302


def test_every_other_session_ends_and_this_one_gets_a_new_id(store_app):
    app = store_app
    client = signed_in(app)
    others = [signed_in(app) for _ in range(2)]
    before = client.get_cookie(SESSION_COOKIE).value

    page = change(client, follow_redirects=True).get_data(as_text=True)

    assert "2 other sessions were ended" in page
    assert all(other.get("/session/api/me").status_code == 401 for other in others)
    after = client.get_cookie(SESSION_COOKIE).value
    assert after != before
    assert client.get("/session/api/me").status_code == 200
    stale = app.test_client()
    stale.set_cookie(SESSION_COOKIE, before)
    assert stale.get("/session/api/me").status_code == 401


def test_every_refresh_token_is_revoked_but_issued_access_tokens_live_on(app):
    jwt_browser = app.test_client()
    access = JwtActions(jwt_browser).token()
    client = signed_in(app)

    page = change(client, follow_redirects=True).get_data(as_text=True)

    assert "1 JWT sign-in lost its refresh token" in page
    refused = jwt_browser.post("/jwt/api/auth/refresh", headers=FETCH)
    assert refused.status_code == 401
    assert refused.get_json()["reason"] == "the refresh token was revoked: the password was changed"
    # What the page says: an access token already issued is still accepted until it expires.
    assert JwtActions(jwt_browser).get("/jwt/api/me", access).status_code == 200


def test_the_page_says_what_it_cannot_end(app):
    page = signed_in(app).get("/account/password").get_data(as_text=True)
    assert "access tokens already issued stay valid until they expire" in page
    assert "/jwt/api/checked/me" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"current": "not-the-password"}, "That is not your current password."),
        ({"current": ""}, "Enter a password."),
        ({"new": "short"}, "A password has at least 8 characters."),
        ({"new": "wonderland"}, "The new password must differ from the current one."),
        ({"confirm": "something-else"}, "The two new passwords differ."),
    ],
)
def test_a_refused_change_changes_nothing(app, fields, message):
    client = signed_in(app)
    other = signed_in(app)
    answer = change(client, **fields)
    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)
    assert other.get("/session/api/me").status_code == 200
    assert SessionActions(app.test_client()).login("alice", "wonderland").status_code == 302


def test_the_passwords_are_never_sent_back(app):
    page = change(signed_in(app), confirm="typed-differently-1").get_data(as_text=True)
    assert NEW not in page and "typed-differently-1" not in page and "wonderland" not in page


def test_only_a_signed_in_session_can_change_a_password(client):
    answer = client.get("/account/password")
    assert answer.status_code == 302 and "/session/login" in answer.headers["Location"]


def test_guessing_the_current_password_is_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    client = signed_in(app)
    statuses = [change(client, current=f"guess-{n}").status_code for n in range(12)]
    assert statuses[:10] == [400] * 10
    assert statuses[10:] == [429, 429]
