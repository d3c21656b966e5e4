"""What the site claims about browsers, checked in a real Chromium."""

from __future__ import annotations

import base64
import json
import re

from playwright.sync_api import expect

from harness.actions import SESSION_COOKIE
from tests.e2e.conftest import jwt_login, session_login


def decode_part(token: str, index: int) -> dict:
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def decode_header(token: str) -> dict:
    return decode_part(token, 0)


def decode_payload(token: str) -> dict:
    return decode_part(token, 1)


def test_session_cookie_is_httponly_and_hidden_from_javascript(page, context, base, browser):
    session_login(page, base)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alice Liddell")

    assert SESSION_COOKIE not in page.evaluate("document.cookie")
    cookie = next(c for c in context.cookies() if c["name"] == SESSION_COOKIE)
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"

    page.goto(f"{base}/inspect")
    verdict = page.locator("[data-session-cookie-verdict]")
    expect(verdict).to_contain_text("absent")
    expect(verdict).to_contain_text("although the server received it")
    expect(page.locator("[data-nav-cookies]")).to_contain_text(SESSION_COOKIE)

    # Sign out, then replay the old cookie from a fresh browser context.
    page.goto(f"{base}/session/profile")
    page.get_by_role("button", name="Sign out (delete the session)").click()
    expect(page.get_by_role("status")).to_contain_text("Signed out")
    replay = browser.new_context()
    try:
        replay.add_cookies([{"name": SESSION_COOKIE, "value": cookie["value"], "url": base}])
        other = replay.new_page()
        response = other.goto(f"{base}/session/api/me")
        assert response.status == 401
        other.goto(f"{base}/session/profile")
        assert other.url.startswith(f"{base}/session/login")
    finally:
        replay.close()


def test_jwt_lives_in_localstorage_and_travels_as_a_bearer_header(page, context, base):
    jwt_login(page, base)
    token = page.evaluate("localStorage.getItem('access_token')")
    assert token and token.count(".") == 2 and all(token.split("."))

    payload = decode_payload(token)
    expect(page.locator("[data-decoded-payload]")).to_contain_text('"username": "alice"')
    expect(page.locator("[data-decoded-payload]")).to_contain_text(f'"exp": {payload["exp"]}')
    # A live countdown from the 5-minute lifetime, e.g. "4 minutes, 59 seconds left", that
    # really ticks.
    countdown = page.locator("[data-countdown]")
    expect(countdown).to_have_text(re.compile(r"^[45] minutes?(, \d{1,2} seconds?)? left$"))
    first = countdown.inner_text()
    expect(countdown).not_to_have_text(first, timeout=3000)
    expect(page.locator("[data-api-line]")).to_contain_text("Response status: 200 OK.")

    # Watch the API call: a Bearer header carries the token, and no cookie is needed.
    with page.expect_request(lambda r: "/jwt/api/me" in r.url) as caught:
        page.reload()
    request = caught.value
    headers = request.all_headers()
    assert headers["authorization"] == f"Bearer {token}"
    assert "cookie" not in headers
    assert request.response().status == 200

    page.goto(f"{base}/inspect")
    expect(page.locator("[data-token-verdict]")).to_contain_text("present")
    expect(page.locator("[data-token-payload]")).to_contain_text('"username": "alice"')

    page.goto(f"{base}/jwt/profile")
    page.get_by_role("button", name="Sign out", exact=True).click()
    notice = page.locator("[data-signed-out-notice]")
    expect(notice).to_be_visible()
    # The token is gone; only what became of it stays behind, for the notice: no credential.
    assert page.evaluate("Object.keys(localStorage)") == ["lab:signed_out_token"]
    left = json.loads(page.evaluate("localStorage.getItem('lab:signed_out_token')"))
    assert left["exp"] == payload["exp"] and left["revoked"] is True and token not in str(left)
    expect(notice).to_contain_text("still accepted by the stateless GET /jwt/api/me")

    # And it is true: the copied token still works on the stateless route until exp, and the
    # checked route refuses it.
    response = page.request.get(f"{base}/jwt/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200
    checked = page.request.get(
        f"{base}/jwt/api/checked/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert checked.status == 401


def test_the_login_form_signs_with_the_algorithm_the_visitor_picks(page, base):
    page.goto(f"{base}/jwt/login")
    expect(page.get_by_role("radio", name=re.compile("^HS256"))).to_be_checked()  # the default
    jwt_login(page, base, algorithm="ES256")
    token = page.evaluate("localStorage.getItem('access_token')")
    assert decode_header(token)["alg"] == "ES256"
    expect(page.locator("[data-api-line]")).to_contain_text("Response status: 200 OK.")
    # The choice outlives the token: the refresh token's family remembers it.
    page.get_by_role("button", name="Refresh now").click()
    expect(page.locator("[data-refresh-log] li").first).to_contain_text("refreshed on request")
    refreshed = page.evaluate("localStorage.getItem('access_token')")
    assert refreshed != token and decode_header(refreshed)["alg"] == "ES256"


def test_inspect_shows_both_columns_when_signed_in_under_both(page, base):
    session_login(page, base, "alice")
    jwt_login(page, base, "bob")
    page.goto(f"{base}/inspect")
    expect(page.locator("[data-session-cookie-verdict]")).to_contain_text("absent")
    expect(page.locator("[data-server-session]")).to_contain_text("alice")
    expect(page.locator("[data-token-payload]")).to_contain_text('"username": "bob"')
    received = page.locator("[data-fetch-received]")
    expect(received).to_contain_text(f"{SESSION_COOKIE} = ")
    expect(received).to_contain_text("(the session ID: a random key into the server's store)")
    expect(received).to_contain_text("Authorization: Bearer")
    expect(page.locator("[data-server-jwt-verdict]")).to_contain_text("verified your token for bob")
    # The navigation itself carried the cookie but no token.
    expect(page.locator("[data-nav-authorization]")).to_have_text("absent")


def test_inspect_when_signed_in_under_neither(page, base):
    page.goto(f"{base}/inspect")
    expect(page.locator("[data-session-cookie-verdict]")).to_contain_text("not signed in")
    expect(page.locator("[data-token-verdict]")).to_contain_text("null")
    expect(page.locator("[data-fetch-received]")).to_contain_text("Authorization: none")


def test_the_token_alone_is_enough_even_when_the_browser_holds_a_session(page, context, base):
    session_login(page, base)
    jwt_login(page, base)
    # The profile's own calls are done, so the one caught below is the reload's.
    expect(page.locator("[data-api-line]")).to_contain_text("Response status: 200 OK.")
    # The browser has a session cookie too.
    assert any(c["name"] == SESSION_COOKIE for c in context.cookies())
    seen = []

    def strip_cookies(route):
        headers = {k: v for k, v in route.request.headers.items() if k.lower() != "cookie"}
        seen.append(route.request.headers)
        route.continue_(headers=headers)  # whatever the page sent, the server gets no cookie

    page.route("**/jwt/api/me*", strip_cookies)
    with page.expect_response(lambda r: "/jwt/api/me" in r.url) as caught:
        page.goto(f"{base}/jwt/profile")
    assert caught.value.status == 200
    assert seen and "cookie" not in seen[0] and seen[0]["authorization"].startswith("Bearer ")
    expect(page.locator("[data-api-line]")).to_contain_text("Response status: 200 OK.")
