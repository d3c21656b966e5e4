"""Every sentence the pages say, checked in a real Chromium in the states a visitor reaches:
refused, expired and junk tokens, signing out, two tabs, and a repeat visit."""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    Problems,
    expired_token,
    jwt_login,
    plant_token,
    server_token,
    session_login,
)
from tests.helpers import b64url, tampered


def alg_none(live_server) -> str:
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = server_token(live_server).split(".")[1]
    return f"{header}.{payload}."


# (a bad token, made from the live server; the step that must refuse it; words of the reason)
BAD_TOKENS = {
    "tampered": (lambda s: tampered(server_token(s)), "2a", "signature does not match"),
    "expired": (expired_token, "2b", "expired"),
    "alg none": (alg_none, "2a", "algorithm"),
    "junk": (lambda s: "hello", "2a", "malformed"),
    "hangul junk": (lambda s: "한국어 토큰", "2a", "malformed"),
}
STEP_KEYS = {"2a": "signature", "2b": "claims"}


@pytest.fixture(params=sorted(BAD_TOKENS))
def bad_token(request, live_server):
    make, step, words = BAD_TOKENS[request.param]
    return request.param, make(live_server), step, words


def test_the_nav_pill_names_nobody_for_a_refused_token(page, base, bad_token):
    kind, token, _, _ = bad_token
    problems = Problems(page, base)
    plant_token(page, base, token)
    for path in ("/", "/inspect", "/jwt/profile", "/session/login"):
        page.goto(f"{base}{path}")
        pill = page.locator("[data-jwt-status]")
        expect(pill).to_have_text("JWT: refused")
        expect(pill).to_have_class(re.compile(r"\bpill-refused\b"))
    problems.assert_none()  # a refusal is a verdict, not a failed request


def test_the_jwt_profile_says_where_and_why_a_token_was_refused(page, base, bad_token):
    kind, token, step, words = bad_token
    problems = Problems(page, base)
    api_calls = []
    page.on("request", lambda r: api_calls.append(r.url) if "/jwt/api/" in r.url else None)
    plant_token(page, base, token)
    page.goto(f"{base}/jwt/profile")
    refusal = page.locator("[data-refusal]")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text(f"refused this token at step {step}")
    expect(refusal).to_contain_text(words)
    failed = page.locator('[data-flow="jwt-usage"] .flow-step.failed')
    expect(failed).to_have_count(1)
    expect(failed).to_have_attribute("data-step", STEP_KEYS[step])
    expect(failed.locator("[data-step-note]")).to_have_text("(refused at this step)")
    caption = page.locator('[data-flow="jwt-usage"] [data-flow-caption]')
    expect(caption).to_contain_text("GET /jwt/api/check")
    # Measured: the refusal's own cost, never an empty heading.
    expect(page.locator("[data-measured]")).to_be_visible()
    expect(page.locator("[data-trace-summary]")).to_contain_text("auth cost of refusing it")
    expect(page.locator("[data-notes]")).to_contain_text("Not fetched")
    # Nothing the page did assumed a good token: only the check, and the refresh family
    # (whether a refresh could help), were asked, both verdicts that never fail.
    asked = {url.split("?")[0].removeprefix(base) for url in api_calls}
    assert asked <= {"/jwt/api/check", "/jwt/api/auth/family"}, api_calls
    # A forged token was never issued by this server, so that flow stays unlit.
    expect(page.locator('[data-flow="jwt-creation"] .flow-step.done')).to_have_count(0)
    expect(page.locator("[data-signout-explained]")).to_contain_text("opens nothing anyway")
    if kind in ("junk", "hangul junk"):
        expect(page.locator("[data-token-junk]")).to_be_visible()
        expect(page.locator("[data-token-shape]")).to_be_hidden()
        expect(page.locator("[data-token-raw]")).to_have_text(token)
        expect(page.locator("[data-token-heading]")).to_have_text("What is stored as the token")
    else:
        countdown = page.locator("[data-countdown]")
        expected = "expired" if kind == "expired" else "stopped: the server refused this token"
        expect(countdown).to_contain_text(expected)
        first = countdown.inner_text()
        page.wait_for_timeout(1500)
        assert countdown.inner_text() == first  # stopped, not counting
    problems.assert_none()


def test_the_api_itself_answers_a_refused_token_with_401_when_asked(page, base, live_server):
    plant_token(page, base, tampered(server_token(live_server)))
    page.goto(f"{base}/jwt/profile")
    with page.expect_response(lambda r: "/jwt/api/me" in r.url) as caught:
        page.get_by_role("button", name="Send it to GET /jwt/api/me").click()
    assert caught.value.status == 401
    line = page.locator("[data-api-line]")
    expect(line).to_contain_text("401 refused")
    expect(line).to_contain_text('WWW-Authenticate: Bearer realm="session-vs-jwt-lab"')


def test_inspect_says_a_sent_token_was_refused_and_what_refusing_it_cost(page, base, bad_token):
    kind, token, step, words = bad_token
    plant_token(page, base, token)
    page.goto(f"{base}/inspect")
    cost = page.locator("[data-fetch-trace]")
    expect(cost).to_contain_text(f"Token check (Authorization header): refused at step {step}")
    expect(cost).to_contain_text("Refusing it still cost")
    expect(cost).not_to_contain_text("carried neither")
    expect(page.locator("[data-server-jwt-verdict]")).to_contain_text(
        f"refused the token at step {step}"
    )
    expect(page.locator('[data-flow="jwt-usage"] .flow-step.failed')).to_have_count(1)


def test_inspect_names_the_cookies_a_fetch_carried_only_when_it_carried_some(page, base):
    jwt_login(page, base)
    page.context.clear_cookies()
    page.goto(f"{base}/inspect")
    note = page.locator("[data-fetch-sentence]")
    expect(note).to_contain_text("adding the token to an Authorization header itself")
    expect(note).to_contain_text("the browser had no cookie for this site to add")
    session_login(page, base)
    page.goto(f"{base}/inspect")
    expect(note).to_contain_text("the browser added lab_session by itself")


def test_the_home_page_marks_a_refused_token_and_lights_a_good_one(page, base, live_server):
    plant_token(page, base, expired_token(live_server))
    page.goto(f"{base}/")
    note = page.locator("[data-home-trace-jwt]")
    expect(note).to_contain_text("Your stored token was refused at step 2b")
    expect(page.locator('[data-flow="jwt-usage"] .flow-step.failed')).to_have_attribute(
        "data-step", "claims"
    )
    jwt_login(page, base)
    page.goto(f"{base}/")
    expect(note).to_contain_text("Your token, just now on /jwt/api/check")
    usage = page.locator('[data-flow="jwt-usage"]')
    expect(usage.locator(".flow-step.done")).to_have_count(4)  # token, 2a, 2b, response
    for item in usage.locator("[data-step]").all():
        taken = "done" in (item.get_attribute("class") or "")
        expected = "(this request took this step)" if taken else ""
        expect(item.locator("[data-step-note]")).to_have_text(expected)


def test_a_token_that_expires_on_the_page_is_shown_refused_without_a_reload(
    page, base, live_server
):
    now = int(time.time())
    plant_token(page, base, server_token(live_server, iat=now, exp=now + 3))
    before = len(live_server.log.paths)
    page.goto(f"{base}/jwt/profile")
    expect(page.locator("[data-jwt-status]")).to_have_text("JWT: alice")
    expect(page.locator("[data-countdown]")).to_contain_text("left")
    # A planted token has no refresh token beside it: no timer, and no refresh sent.
    expect(page.locator("[data-next-refresh]")).to_have_text(
        "No automatic refresh: this browser holds no refresh token the server would accept."
    )
    expect(page.locator("[data-refusal]")).to_contain_text("at step 2b", timeout=8000)
    expect(page.locator("[data-refusal]")).to_contain_text("expired")
    expect(page.locator("[data-countdown]")).to_contain_text("expired")
    expect(page.locator("[data-jwt-status]")).to_have_text("JWT: refused")  # the pill, too
    assert "/jwt/api/auth/refresh" not in live_server.log.paths[before:]


def test_inspect_and_the_pill_follow_a_token_that_expires_while_open(page, base, live_server):
    now = int(time.time())
    plant_token(page, base, server_token(live_server, iat=now, exp=now + 3))
    page.goto(f"{base}/inspect")
    verdict = page.locator("[data-server-jwt-verdict]")
    expect(verdict).to_contain_text("verified your token for alice")
    expect(page.locator("[data-jwt-status]")).to_have_text("JWT: alice")
    expect(verdict).to_contain_text("refused the token at step 2b", timeout=8000)
    expect(page.locator("[data-jwt-status]")).to_have_text("JWT: refused")


def test_signing_out_a_refused_token_never_calls_it_still_valid(page, base, live_server):
    plant_token(page, base, tampered(server_token(live_server)))
    page.goto(f"{base}/jwt/profile")
    expect(page.locator("[data-refusal]")).to_be_visible()
    page.get_by_role("button", name="Sign out", exact=True).click()
    validity = page.locator("[data-signed-out-validity]")
    expect(validity).to_contain_text("The server had refused that token")
    expect(validity).not_to_contain_text("still valid")


def test_inspect_says_a_session_cookie_named_no_session(page, context, base):
    context.add_cookies([{"name": "lab_session", "value": "A" * 43, "url": base}])
    page.goto(f"{base}/inspect")
    expect(page.locator("[data-server-session]")).to_contain_text("this store has no session")
    # A shared store's miss means the session is gone, so the server had the browser delete
    # the dead cookie: the page's own fetch, a moment later, carried none.
    expect(page.locator("[data-fetch-sentence]")).to_contain_text("had no cookie")
    assert "lab_session" not in {cookie["name"] for cookie in context.cookies()}


def test_the_signed_out_notice_counts_down_and_then_says_it_expired(page, base, live_server):
    now = int(time.time())
    plant_token(page, base, server_token(live_server, iat=now, exp=now + 4))
    page.goto(f"{base}/jwt/profile")
    page.get_by_role("button", name="Sign out", exact=True).click()
    validity = page.locator("[data-signed-out-validity]")
    expect(validity).to_contain_text("still accepted by the stateless GET /jwt/api/me for")
    first = validity.inner_text()
    expect(validity).not_to_have_text(first, timeout=2500)  # it ticks
    expect(validity).to_contain_text("It expired at", timeout=8000)


def test_two_tabs_stay_in_step_for_the_token(context, base):
    watcher = context.new_page()
    watcher.goto(f"{base}/jwt/profile")
    expect(watcher.locator("[data-no-token]")).to_be_visible()
    other = context.new_page()
    other.goto(f"{base}/inspect")
    actor = context.new_page()
    jwt_login(actor, base, "bob")
    # The other tabs heard of it through the storage event, without a reload.
    expect(watcher.locator("[data-jwt-status]")).to_have_text("JWT: bob")
    expect(watcher.locator("[data-decoded-payload]")).to_contain_text('"username": "bob"')
    expect(other.locator("[data-server-jwt-verdict]")).to_contain_text(
        "verified your token for bob"
    )
    actor.get_by_role("button", name="Sign out", exact=True).click()
    expect(watcher.locator("[data-jwt-status]")).to_have_text("JWT: none")
    expect(watcher.locator("[data-no-token]")).to_be_visible()
    expect(watcher.locator("[data-signed-out-elsewhere]")).to_contain_text("in another tab")
    expect(watcher.locator("[data-signed-out-validity]")).to_contain_text("still accepted by")
    expect(other.locator("[data-token-verdict]")).to_contain_text("null")


def test_two_tabs_stay_in_step_for_the_session(context, base):
    actor = context.new_page()
    session_login(actor, base)
    watcher = context.new_page()
    watcher.goto(f"{base}/session/profile")
    expect(watcher.locator("[data-session-status]")).to_have_text("Session: alice")
    actor.get_by_role("button", name="Sign out (delete the session)").click()
    expect(watcher.locator("[data-session-status]")).to_have_text("Session: none")
    expect(watcher.locator("[data-session-changed]")).to_contain_text(
        "a page the server sent just now shows no session"
    )


def test_a_repeat_visit_asks_the_server_for_no_static_file(page, base, live_server):
    for path in ("/", "/inspect", "/jwt/profile"):
        page.goto(f"{base}{path}")
        page.wait_for_load_state("networkidle")
    before = len(live_server.log.paths)
    for path in ("/", "/inspect", "/jwt/profile"):
        page.goto(f"{base}{path}")
        page.wait_for_load_state("networkidle")
    repeat = live_server.log.paths[before:]
    assert [p for p in repeat if p.startswith("/static/")] == [], repeat
    assert "/inspect" in repeat  # the pages themselves were fetched again: they are no-store


def test_signing_in_with_the_memory_store_works_every_time(browser, tmp_path):
    """Two gunicorn workers, sessions in each one's memory: the sign-in form still works
    whichever worker serves it and whichever receives it, because its CSRF token is in a
    signed cookie. (Then the session is known to one worker only: that is the lesson.)"""
    from harness.servers import GunicornServer, app_environment, prepare_database

    env = app_environment(tmp_path, SESSION_STORE="memory")
    prepare_database(env)
    server = GunicornServer(env, workers=2)
    try:
        for _ in range(6):
            context = browser.new_context()
            page = context.new_page()
            page.goto(f"{server.url}/session/login")
            page.get_by_label("Username").fill("alice")
            page.get_by_label("Password").fill("wonderland")
            with page.expect_response(lambda r: r.request.method == "POST") as caught:
                page.get_by_role("button", name="Sign in").click()
            assert caught.value.status == 302
            assert caught.value.headers["location"] == "/session/profile"
            context.close()
    finally:
        server.stop()


def test_before_sign_in_the_browser_holds_a_signed_csrf_cookie_and_no_session(page, context, base):
    context.clear_cookies()
    page.goto(f"{base}/session/login")
    cookies = {cookie["name"]: cookie for cookie in context.cookies()}
    assert "lab_session" not in cookies
    assert cookies["lab_csrf"]["httpOnly"] is True
    assert cookies["lab_csrf"]["sameSite"] == "Lax"
    assert cookies["lab_csrf"]["expires"] == -1  # gone when the browser closes
    expect(page.locator("[data-csrf-explained]")).to_contain_text("a signed cookie, not a session")
    page.goto(f"{base}/inspect")
    expect(page.locator("[data-nav-cookies]")).to_contain_text("Not a session")
    expect(page.locator("[data-server-session]")).to_contain_text("is not a session")
    session_login(page, base)
    names = {cookie["name"] for cookie in context.cookies()}
    assert "lab_session" in names and "lab_csrf" not in names  # replaced by the session
