"""The session scheme: login, the cookie, the server-side record, logout and replay."""

from __future__ import annotations

from datetime import UTC, datetime
from http.cookies import SimpleCookie

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import SessionRecord
from harness.actions import SESSION_COOKIE, SessionActions, csrf_token_from
from tests.helpers import flow_marks


def set_cookie_header(response, name=SESSION_COOKIE) -> str:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            return header
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.getlist('Set-Cookie')}")


def session_rows(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(select(SessionRecord.session_id)).scalars())


def test_login_page_shows_form_and_demo_credentials(client):
    page = client.get("/session/login")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="csrf_token"' in html
    assert "alice" in html and "wonderland" in html and "bob" in html and "builder" in html


def test_successful_login_redirects_to_profile_with_a_safe_cookie(session_auth):
    response = session_auth.login()
    assert response.status_code == 302
    assert response.headers["Location"] == "/session/profile"
    header = set_cookie_header(response)
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Secure" not in header  # development serves plain HTTP on localhost
    cookie = SimpleCookie(header)[SESSION_COOKIE]
    assert len(cookie.value) == 43  # an opaque random ID, nothing else


def test_cookie_is_secure_in_production(app_config, tmp_path, monkeypatch):
    from app import create_app
    from harness.actions import SessionActions

    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "production-test-secret-key-0123456789-abcdefgh")
    monkeypatch.setenv("JWT_SECRET_KEY", "production-test-jwt-key-0123456789-ijklmnopqrs")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    app_config.pop("SECRET_KEY")
    app_config.pop("JWT_SECRET_KEY")
    app = create_app(app_config)
    client = app.test_client()
    # CSRF's strict referrer check applies to HTTPS; send what a browser on the site would.
    response = SessionActions(client).login(
        base_url="https://localhost", headers={"Referer": "https://localhost/session/login"}
    )
    assert response.status_code == 302
    # Over https the name carries the __Host- prefix: Secure, Path=/ and no Domain, or the
    # browser refuses it.
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-lab_session"
    header = set_cookie_header(response, "__Host-lab_session")
    assert "; Secure" in header and "; Path=/" in header and "Domain" not in header


def test_login_stores_the_session_server_side_and_the_cookie_holds_only_its_id(app, session_auth):
    response = session_auth.login()
    sid = SimpleCookie(set_cookie_header(response))[SESSION_COOKIE].value
    assert f"session:{sid}" in session_rows(app)
    assert "alice" not in sid


def test_a_visitor_who_has_not_signed_in_has_no_session_record(app, client):
    for path in ("/session/login", "/account/signup", "/", "/inspect", "/jwt/login"):
        response = client.get(path)
        assert response.status_code == 200
        assert f"{SESSION_COOKIE}=" not in " ".join(response.headers.getlist("Set-Cookie"))
    assert session_rows(app) == []
    assert client.get_cookie(SESSION_COOKIE) is None


def test_fifty_anonymous_page_views_leave_the_session_table_as_it_was(app, session_auth):
    session_auth.login()  # one real session, which must stay exactly as it is
    before = session_rows(app)
    for n in range(50):
        visitor = app.test_client()
        visitor.get("/session/login" if n % 2 else "/account/signup")
    assert session_rows(app) == before


def test_the_csrf_token_before_sign_in_lives_in_a_signed_cookie(app, client):
    from itsdangerous import URLSafeTimedSerializer

    from harness.actions import PRE_LOGIN_COOKIE

    page = client.get("/session/login")
    header = set_cookie_header(page, PRE_LOGIN_COOKIE)
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert "Expires" not in header  # a browser-session cookie
    cookie = client.get_cookie(PRE_LOGIN_COOKIE).value
    payload, _, _ = cookie.rpartition(".")[0].rpartition(".")
    assert "csrf_token" in base64url_json(payload)  # readable by whoever holds it...
    forged = URLSafeTimedSerializer("not-the-key", salt="x").dumps({"csrf_token": "f" * 40})
    client.set_cookie(PRE_LOGIN_COOKIE, forged)  # ...but not forgeable without SECRET_KEY
    response = client.post(
        "/session/login",
        data={"username": "alice", "password": "wonderland", "csrf_token": "f" * 40},
    )
    assert response.status_code == 400
    assert client.get("/session/api/me").status_code == 401


def base64url_json(part: str) -> dict:
    import base64
    import json

    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_signing_in_replaces_the_pre_login_cookie_with_a_session(client, session_auth):
    from harness.actions import PRE_LOGIN_COOKIE

    client.get("/session/login")
    assert client.get_cookie(PRE_LOGIN_COOKIE) is not None
    response = session_auth.login()
    assert response.status_code == 302
    assert "Max-Age=0" in set_cookie_header(response, PRE_LOGIN_COOKIE)
    assert client.get_cookie(PRE_LOGIN_COOKIE) is None
    assert client.get_cookie(SESSION_COOKIE) is not None


def test_signing_in_again_replaces_the_old_session(app, client, session_auth):
    session_auth.login("bob")
    before = client.get_cookie(SESSION_COOKIE).value
    session_auth.login("alice")
    after = client.get_cookie(SESSION_COOKIE).value
    assert after != before
    assert session_rows(app) == [f"session:{after}"]  # bob's record is gone
    assert client.get("/session/api/me").get_json()["username"] == "alice"


def test_planted_session_id_is_not_adopted(app, client, session_auth):
    planted = "A" * 43
    client.set_cookie(SESSION_COOKIE, planted)
    session_auth.login()
    assert client.get_cookie(SESSION_COOKIE).value != planted
    assert f"session:{planted}" not in session_rows(app)


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("alice", "wrong-password"),
        ("nobody", "wonderland"),
        ("ALICE", "nope-nope"),
        ("a" * 32, "wonderland"),
        ("alice bob", "wonderland"),
    ],
)
def test_failed_login_is_401_with_one_generic_message(client, session_auth, username, password):
    response = session_auth.login(username, password)
    html = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "Invalid username or password." in html
    assert client.get("/session/api/me").status_code == 401


def test_username_is_case_insensitive(session_auth):
    assert session_auth.login("  Alice ", "wonderland").status_code == 302


def test_login_without_csrf_token_gives_the_form_back_with_a_clear_message(client):
    typed = {"username": "alice", "password": "a-secret-typed-here"}
    response = client.post("/session/login", data=typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This form expired, please send it again." in html
    assert 'value="alice"' in html  # what was typed is kept...
    assert "a-secret-typed-here" not in html  # ...except the password
    assert client.get("/session/api/me").status_code == 401


def test_profile_requires_a_session_and_keeps_a_safe_next(client):
    response = client.get("/session/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/session/login?next=")
    assert "%2Fsession%2Fprofile" in response.headers["Location"]


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/inspect", "/inspect"),
        ("https://evil.example/", "/session/profile"),
        ("//evil.example/", "/session/profile"),
        ("/\\evil.example", "/session/profile"),
        ("javascript:alert(1)", "/session/profile"),
    ],
)
def test_login_follows_only_local_next_urls(client, next_url, expected):
    page = client.get("/session/login", query_string={"next": next_url})
    response = SessionActions(client).submit_login(
        page.get_data(as_text=True), query_string={"next": next_url}
    )
    assert response.headers["Location"] == expected


def test_profile_shows_user_cookie_record_and_this_requests_flow(client, session_auth):
    session_auth.login()
    html = client.get("/session/profile").get_data(as_text=True)
    assert "Alice Liddell" in html
    assert "lab_session" in html
    assert "session:" in html  # the store key
    assert "&#34;login_at&#34;" in html and "&#34;identity&#34;" in html  # decoded record
    marks = flow_marks(html, "session-usage")
    for step in ("cookie", "id_check", "store_lookup", "user_info", "data_query", "response"):
        assert "done" in marks[step], step
    assert "Tea party" in html  # the user's data, from the database
    # The CSRF token in the record is masked, never shown whole.
    sid_value = client.get_cookie(SESSION_COOKIE).value
    assert sid_value not in html


def test_api_me_answers_json_for_both_states(client, session_auth):
    anonymous = client.get("/session/api/me")
    assert anonymous.status_code == 401
    assert anonymous.get_json()["error"] == "not_authenticated"
    session_auth.login()
    me = client.get("/session/api/me").get_json()
    assert me["username"] == "alice"
    assert me["display_name"] == "Alice Liddell"
    assert me["scheme"] == "session"


def test_logout_deletes_the_record_and_clears_the_cookie(app, client, session_auth):
    session_auth.login()
    sid = client.get_cookie(SESSION_COOKIE).value
    response = session_auth.logout()
    assert response.status_code == 302
    assert f"session:{sid}" not in session_rows(app)
    header = set_cookie_header(response)
    assert "Expires=Thu, 01 Jan 1970" in header or "Max-Age=0" in header


def test_old_cookie_no_longer_authenticates_after_logout(app, client, session_auth):
    session_auth.login()
    stolen = client.get_cookie(SESSION_COOKIE).value
    session_auth.logout()
    attacker = app.test_client()
    attacker.set_cookie(SESSION_COOKIE, stolen)
    assert attacker.get("/session/api/me").status_code == 401
    assert attacker.get("/session/profile").status_code == 302


def test_logout_with_a_stale_token_offers_a_fresh_form_and_keeps_the_session(client, session_auth):
    session_auth.login()
    response = client.post("/session/logout", data={"csrf_token": "stale"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This form expired, please send it again." in html
    assert client.get("/session/api/me").status_code == 200  # still signed in
    fresh = csrf_token_from(html)
    signed_out = client.post("/session/logout", data={"csrf_token": fresh})
    assert signed_out.status_code == 302
    assert client.get("/session/api/me").status_code == 401


@pytest.mark.parametrize("token", [None, "stale"])
def test_signing_out_when_already_signed_out_lands_on_the_login_page(client, token):
    data = {} if token is None else {"csrf_token": token}
    response = client.post("/session/logout", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == "/session/login"
    page = client.get("/session/login").get_data(as_text=True)
    assert "You were already signed out" in page


def test_a_sign_out_in_another_tab_leaves_this_tabs_form_resendable(client, session_auth):
    """Tab 1 holds the login form; tab 2 signs in and out. Tab 1's form then says it expired."""
    stale_form = client.get("/session/login").get_data(as_text=True)
    session_auth.login()
    session_auth.logout()
    response = session_auth.submit_login(stale_form)
    assert response.status_code == 400
    assert "This form expired, please send it again." in response.get_data(as_text=True)


def test_the_signed_out_notice_is_shown_once_and_writes_no_record(app, client, session_auth):
    session_auth.login()
    signed_out = session_auth.logout()
    first = client.get(signed_out.headers["Location"]).get_data(as_text=True)
    second = client.get("/session/login").get_data(as_text=True)
    assert "The session record was deleted from the store" in first
    assert "The session record was deleted from the store" not in second
    assert session_rows(app) == []


def test_the_signed_out_notice_cannot_be_summoned_by_a_link(client, session_auth, time_machine):
    page = client.get("/session/login?signed_out=1").get_data(as_text=True)
    assert "The session record was deleted" not in page
    time_machine.move_to(datetime.now(UTC), tick=False)
    session_auth.login()
    genuine = session_auth.logout().headers["Location"]
    time_machine.shift(61)  # the mark in the URL is good for a minute
    assert "The session record was deleted" not in client.get(genuine).get_data(as_text=True)


def test_sign_out_tells_the_browser_to_clear_the_sites_cookies_and_storage(session_auth):
    session_auth.login()
    response = session_auth.logout()
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cookies", "storage"'


@pytest.mark.parametrize(
    ("base_url", "claimed"),
    [
        ("http://localhost", True),
        ("http://127.0.0.1:5000", True),
        ("https://lab.example.org", True),
        ("http://192.168.1.20:5000", False),  # not a secure context: the browser ignores it
    ],
)
def test_the_pages_claim_the_clearing_only_where_the_browser_obeys_it(app, base_url, claimed):
    client = app.test_client()
    page = client.get("/session/login", base_url=base_url).get_data(as_text=True)
    client.post(
        "/session/login",
        data={"username": "alice", "password": "wonderland", "csrf_token": csrf_token_from(page)},
        base_url=base_url,
    )
    profile = client.get("/session/profile", base_url=base_url).get_data(as_text=True)
    assert ("Clear-Site-Data" in profile) is claimed
    token = csrf_token_from(profile)
    signed_out = client.post("/session/logout", data={"csrf_token": token}, base_url=base_url)
    notice = client.get(signed_out.headers["Location"], base_url=base_url).get_data(as_text=True)
    assert "Signed out. The session record was deleted" in notice
    assert ("told to clear this site" in notice) is claimed


def test_a_chosen_language_survives_the_clearing_sign_out(client, session_auth):
    client.get("/?lang=ko")
    session_auth.login()
    location = session_auth.logout().headers["Location"]
    assert "lang=ko" in location  # the header clears the lang cookie too; the URL sets it again
    client.delete_cookie("lang")  # as the browser does on Clear-Site-Data
    page = client.get(location)
    assert page.headers["Content-Language"] == "ko"
    assert client.get_cookie("lang").value == "ko"


def test_a_cross_site_sign_out_form_is_told_apart_from_an_earlier_sign_out(client):
    answer = client.post(
        "/session/logout", headers={"Sec-Fetch-Site": "cross-site"}, follow_redirects=True
    )
    page = answer.get_data(as_text=True)
    assert "A page on another site sent a sign-out request here" in page
    assert "You were already signed out" not in page


@pytest.mark.parametrize(
    "cookie_value",
    ["", "x", "' OR 1=1 --", "A" * 4000, "한국어세션", "\x00\x01", "A" * 42 + "!"],
)
def test_malformed_session_cookies_are_ignored_not_errors(app, client, cookie_value):
    client.set_cookie(SESSION_COOKIE, cookie_value)
    for path in ("/session/api/me", "/session/profile", "/inspect", "/"):
        assert client.get(path).status_code in (200, 302, 401)
    # A malformed ID never becomes a store key; any record made is under a fresh random ID.
    for key in session_rows(app):
        assert len(key) == len("session:") + 43
        assert len(cookie_value) < 8 or cookie_value not in key


def test_expired_session_reads_as_signed_out_and_is_removed(app, client, session_auth):
    from datetime import datetime, timedelta

    from sqlalchemy import update

    session_auth.login()
    sid = client.get_cookie(SESSION_COOKIE).value
    with app.app_context():
        db.session.execute(
            update(SessionRecord).values(expiry=datetime(2000, 1, 1) - timedelta(seconds=1))
        )
        db.session.commit()
    assert client.get("/session/api/me").status_code == 401
    assert f"session:{sid}" not in session_rows(app)


def test_a_csrf_token_from_before_login_is_dead_after_it(client, session_auth):
    before = csrf_token_from(client.get("/session/login").get_data(as_text=True))
    session_auth.login()
    response = client.post("/session/logout", data={"csrf_token": before})
    assert response.status_code == 400
    assert client.get("/session/api/me").status_code == 200


def test_a_planted_session_issued_by_the_server_gives_the_attacker_nothing(
    app, client, session_auth
):
    attacker = app.test_client()
    SessionActions(attacker).login("bob")  # a real session: anonymous visitors get none
    planted = attacker.get_cookie(SESSION_COOKIE).value
    client.set_cookie(SESSION_COOKIE, planted)  # ...planted in the victim's browser
    session_auth.login("alice")
    assert client.get_cookie(SESSION_COOKIE).value != planted
    assert client.get("/session/api/me").get_json()["username"] == "alice"
    assert attacker.get("/session/api/me").status_code == 401  # and the planted one is gone


def test_the_raw_csrf_token_in_the_record_is_never_shown(app, client, session_auth):
    import msgspec

    session_auth.login()
    html = client.get("/session/profile").get_data(as_text=True)
    sid = client.get_cookie(SESSION_COOKIE).value
    with app.app_context():
        raw = db.session.execute(
            select(SessionRecord.data).where(SessionRecord.session_id == f"session:{sid}")
        ).scalar_one()
    record = msgspec.msgpack.decode(raw)
    assert record["csrf_token"] and record["csrf_token"] not in html
    assert record["csrf_token"][:6] + "…" in html  # masked, recognisable


@pytest.mark.parametrize("cookie_value", ["x", "A" * 42 + "!", "A" * 44, "' OR 1=1 --"])
def test_a_malformed_session_id_never_reaches_the_store(client, sql_counter, cookie_value):
    client.set_cookie(SESSION_COOKIE, cookie_value)
    sql_counter.reset()
    assert client.get("/session/api/me").status_code == 401
    assert sql_counter.statements == []


@pytest.mark.parametrize("path", ["/session/login", "/account/signup"])
@pytest.mark.parametrize("field", ["username", "password"])
def test_files_sent_as_form_fields_are_rejected_not_a_crash(client, path, field):
    import io

    from harness.actions import csrf_token_from

    token = csrf_token_from(client.get(path).get_data(as_text=True))
    data = {"username": "alice", "password": "wonderland", "csrf_token": token}
    data[field] = (io.BytesIO(b"alice"), "name.txt")
    response = client.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code in (400, 401)
    assert client.get("/session/api/me").status_code == 401


def test_unknown_users_cost_a_password_check_too(app, monkeypatch):
    from app.accounts import credentials

    calls = []
    real = credentials.check_password_hash
    monkeypatch.setattr(credentials, "check_password_hash", lambda *a: calls.append(a) or real(*a))
    with app.app_context():
        assert credentials.authenticate("nobody-here", "whatever-pass") is None
        assert credentials.authenticate("alice", "wrong-password") is None
    assert len(calls) == 2  # one check each: a miss costs what a wrong password costs


def test_the_login_page_says_where_its_csrf_token_is_kept(client, session_auth):
    anonymous = client.get("/session/login").get_data(as_text=True)
    assert "a <em>signed cookie</em>, not a session" in anonymous
    session_auth.login()
    signed_in = client.get("/session/login").get_data(as_text=True)
    assert "checked against your session record" in signed_in
    assert "signed cookie" not in signed_in


def test_sign_out_with_replay_keeps_a_copy_that_only_the_replay_route_receives(
    client, session_auth
):
    from harness.actions import csrf_token_from
    from tests.helpers import set_cookie_header

    session_auth.login()
    sid = client.get_cookie("lab_session").value
    page = client.get("/session/profile").get_data(as_text=True)
    response = client.post(
        "/session/logout", data={"csrf_token": csrf_token_from(page), "keep_copy": "1"}
    )
    assert response.status_code == 302 and response.location.endswith("/session/replay")
    copy = set_cookie_header(response, "lab_session_copy")
    assert f"lab_session_copy={sid};" in copy
    assert "HttpOnly" in copy and "SameSite=Strict" in copy and "Path=/session/api/replay" in copy
    assert client.get_cookie("lab_session") is None
    # The copy is looked up in the store like any session cookie: the record is gone.
    report = client.get("/session/api/replay?trace=1").get_json()
    assert report["copy"] is True and report["status"] == 401
    assert report["body"]["error"] == "not_authenticated"
    assert report["trace"]["store"]["reads"] == 1
    assert client.get("/session/replay").status_code == 200


def test_the_session_replay_without_a_copy_says_so(client):
    assert client.get("/session/api/replay").get_json() == {
        "copy": False,
        "status": None,
        "body": None,
    }


def test_a_plain_sign_out_keeps_no_copy(client, session_auth):
    session_auth.login()
    response = session_auth.logout()
    assert not any(
        h.startswith("lab_session_copy=") for h in response.headers.getlist("Set-Cookie")
    )
