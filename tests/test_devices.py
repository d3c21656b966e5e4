"""The device list: a user's live sessions, listed and ended, in every store."""

from __future__ import annotations

import pytest

from harness.actions import SESSION_COOKIE, SessionActions, csrf_meta_from

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0"
PHONE = (
    "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/150.0.0.0 Mobile Safari/537.36"
)


def signed_in(app, user_agent: str, address: str = "203.0.113.7", username: str = "alice"):
    client = app.test_client()
    client.environ_base.update(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address)
    assert SessionActions(client).login(username).status_code == 302
    return client


def revoke(client, body: dict, *, token: str | None = None):
    if token is None:
        token = csrf_meta_from(client.get("/session/devices").get_data(as_text=True))
    return client.post("/session/api/sessions/revoke", json=body, headers={"X-CSRFToken": token})


def test_every_live_session_is_listed_with_its_browser_and_network(store_app):
    laptop = signed_in(store_app, FIREFOX, "203.0.113.7")
    signed_in(store_app, PHONE, "2001:db8:1:2::5")
    signed_in(store_app, FIREFOX, username="bob")  # someone else's: never listed

    sessions = laptop.get("/session/api/sessions").get_json()["sessions"]

    assert len(sessions) == 2
    mine, phone = sessions
    assert mine["current"] is True and phone["current"] is False
    assert mine["user_agent"] == FIREFOX and phone["user_agent"] == PHONE
    assert mine["ip"] == "203.0.113.0/24"
    assert phone["ip"] == "2001:db8:1::/48"
    assert mine["created_at"].endswith("Z") and mine["last_seen_at"].endswith("Z")
    page = laptop.get("/session/devices").get_data(as_text=True)
    assert "Firefox 140 on Windows" in page
    assert "Chrome 150 on Android" in page


def test_the_public_id_is_never_the_session_id(store_app):
    laptop = signed_in(store_app, FIREFOX)
    sid = laptop.get_cookie(SESSION_COOKIE).value
    listed = laptop.get("/session/api/sessions").get_json()["sessions"][0]["id"]
    assert listed not in sid and sid not in listed
    assert sid not in laptop.get("/session/devices").get_data(as_text=True)


def test_ending_another_session_logs_that_browser_out_at_once(store_app):
    laptop = signed_in(store_app, FIREFOX)
    phone = signed_in(store_app, PHONE)
    phone_id = next(
        row["id"]
        for row in laptop.get("/session/api/sessions").get_json()["sessions"]
        if not row["current"]
    )

    answer = revoke(laptop, {"id": phone_id})

    assert answer.status_code == 200
    assert answer.get_json() == {"revoked": 1, "signed_out": False}
    assert phone.get("/session/api/me").status_code == 401
    assert laptop.get("/session/api/me").status_code == 200
    assert len(laptop.get("/session/api/sessions").get_json()["sessions"]) == 1


def test_ending_every_other_session_keeps_only_this_one(store_app):
    laptop = signed_in(store_app, FIREFOX)
    others = [signed_in(store_app, PHONE) for _ in range(3)]
    bob = signed_in(store_app, PHONE, username="bob")

    assert revoke(laptop, {"all_others": True}).get_json() == {"revoked": 3, "signed_out": False}

    assert all(other.get("/session/api/me").status_code == 401 for other in others)
    assert laptop.get("/session/api/me").status_code == 200
    assert bob.get("/session/api/me").status_code == 200  # another user's sessions are untouched


def test_ending_this_very_session_signs_it_out(store_app):
    laptop = signed_in(store_app, FIREFOX)
    mine = laptop.get("/session/api/sessions").get_json()["sessions"][0]["id"]
    assert revoke(laptop, {"id": mine}).get_json() == {"revoked": 1, "signed_out": True}
    assert laptop.get("/session/api/me").status_code == 401


def test_a_sign_out_drops_the_session_from_the_list(store_app):
    laptop = signed_in(store_app, FIREFOX)
    phone = signed_in(store_app, PHONE)
    SessionActions(phone).logout()
    assert len(laptop.get("/session/api/sessions").get_json()["sessions"]) == 1


def test_the_page_form_ends_another_session_without_javascript(store_app):
    laptop = signed_in(store_app, FIREFOX)
    phone = signed_in(store_app, PHONE)
    page = laptop.get("/session/devices").get_data(as_text=True)
    token = csrf_meta_from(page)
    assert token  # a signed-in page carries the token its scripts need

    answer = laptop.post(
        "/session/devices", data={"all_others": "1", "csrf_token": token}, follow_redirects=True
    )

    assert "Ended 1 other session" in answer.get_data(as_text=True)
    assert phone.get("/session/api/me").status_code == 401


def test_revoking_needs_the_csrf_token_in_a_header(app):
    laptop = signed_in(app, FIREFOX)
    phone = signed_in(app, PHONE)
    answer = laptop.post("/session/api/sessions/revoke", json={"all_others": True})
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "csrf_failed"
    assert revoke(laptop, {"all_others": True}, token="forged").status_code == 400
    assert phone.get("/session/api/me").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"id": ""},
        {"id": 5},
        {"all_others": False},
        {"all_others": "yes"},
        {"id": "abc", "all_others": True},
        {"id": "x" * 65},
        {"id": "abc", "extra": 1},
        {"all_others": True, "id": 5},
        {"all_others": True, "extra": 1},
        [],
    ],
)
def test_a_revoke_body_that_says_neither_one_thing_is_a_400(app, body):
    laptop = signed_in(app, FIREFOX)
    answer = revoke(laptop, body)
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "invalid_request"


def test_an_unknown_id_is_a_404_and_another_users_session_cannot_be_named(app):
    laptop = signed_in(app, FIREFOX)
    bob = signed_in(app, FIREFOX, username="bob")
    bobs_id = bob.get("/session/api/sessions").get_json()["sessions"][0]["id"]
    answer = revoke(laptop, {"id": bobs_id})
    assert answer.status_code == 404
    assert answer.get_json()["error"] == "not_found"
    assert bob.get("/session/api/me").status_code == 200


def test_without_a_session_the_api_says_401_and_the_page_asks_to_sign_in(client):
    assert client.get("/session/api/sessions").status_code == 401
    assert client.post("/session/api/sessions/revoke", json={"all_others": True}).status_code in (
        400,
        401,
    )
    page = client.get("/session/devices")
    assert page.status_code == 302 and "/session/login" in page.headers["Location"]


def test_an_anonymous_page_carries_an_empty_token_and_sets_no_cookie(client):
    page = client.get("/inspect")
    assert csrf_meta_from(page.get_data(as_text=True)) == ""
    assert "Set-Cookie" not in page.headers


def test_the_last_seen_time_moves_with_the_sliding_expiry(make_app, time_machine):
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    time_machine.move_to(start, tick=False)
    app = make_app()
    laptop = signed_in(app, FIREFOX)
    first = laptop.get("/session/api/sessions").get_json()["sessions"][0]
    assert first["last_seen_at"] == first["created_at"] == "2026-03-02T09:00:00Z"
    time_machine.move_to(start + timedelta(minutes=20), tick=False)
    laptop.get("/session/api/me")  # the refresh is due: the record is written, last seen moves
    later = laptop.get("/session/api/sessions").get_json()["sessions"][0]
    assert later["created_at"] == "2026-03-02T09:00:00Z"
    assert later["last_seen_at"] == "2026-03-02T09:20:00Z"
