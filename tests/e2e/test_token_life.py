"""A token's whole life in a real Chromium: automatic refresh, reuse detection, sign-out,
the replay of copied credentials, and the token kept in an HttpOnly cookie.

The page's clock is Playwright's (`page.clock`): the tests move it instead of sleeping.
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import jwt_login, session_login

REUSE = "refresh token reuse detected; this sign-in was revoked"


def jwt_cookie_login(page, base: str) -> None:
    jwt_login(page, base, storage="cookie")


def refresh_cookie(context) -> dict:
    return next(c for c in context.cookies() if c["name"] == "lab_refresh")


def test_the_profile_refreshes_the_access_token_shortly_before_it_expires(page, context, base):
    page.clock.install()
    jwt_login(page, base)
    first = page.evaluate("localStorage.getItem('access_token')")
    cookie = refresh_cookie(context)
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/jwt/api/auth"
    expect(page.locator("[data-next-refresh]")).to_contain_text(
        "30 seconds before the access token expires"
    )
    expect(page.locator("[data-family] li")).to_have_count(1)
    expect(page.locator("[data-family] li").first).to_contain_text("active")

    # Four and a half minutes later (the token lives five), the page has refreshed by itself.
    page.clock.run_for("04:31")  # timers fire at their moment, as in a tab left open
    log = page.locator("[data-refresh-log] li").first
    expect(log).to_contain_text("refreshed automatically, 30 seconds before expiry")
    second = page.evaluate("localStorage.getItem('access_token')")
    assert second and second != first
    assert refresh_cookie(context)["value"] != cookie["value"]
    family = page.locator("[data-family] li")
    expect(family).to_have_count(2)
    expect(family.nth(0)).to_contain_text("spent")
    expect(family.nth(1)).to_contain_text("active")
    expect(family.nth(1)).to_contain_text("(the one in your cookie)")
    # The page now shows, and uses, the new token.
    expect(page.locator("[data-api-line]")).to_contain_text("Response status: 200 OK.")


def test_refresh_now_and_a_replayed_spent_token_revokes_the_family(page, context, base, playwright):
    jwt_login(page, base)
    stolen = refresh_cookie(context)["value"]
    page.get_by_role("button", name="Refresh now").click()
    expect(page.locator("[data-refresh-log] li").first).to_contain_text("refreshed on request")
    expect(page.locator("[data-family] li")).to_have_count(2)

    # A thief, on another machine, spends the copy it took before the refresh.
    thief = playwright.request.new_context(
        base_url=base,
        storage_state={
            "cookies": [
                {
                    "name": "lab_refresh",
                    "value": stolen,
                    "domain": "127.0.0.1",
                    "path": "/jwt/api/auth",
                    "expires": -1,
                    "httpOnly": True,
                    "secure": False,
                    "sameSite": "Strict",
                }
            ],
            "origins": [],
        },
    )
    try:
        answer = thief.post("/jwt/api/auth/refresh", headers={"X-Requested-With": "fetch"})
        assert answer.status == 401
        assert answer.json()["reason"] == REUSE
    finally:
        thief.dispose()

    # The visitor's own, newest token is refused too, and the page says why.
    page.get_by_role("button", name="Refresh now").click()
    expect(page.locator("[data-refresh-log] li").first).to_contain_text(
        f"refresh refused (401): {REUSE}"
    )
    expect(page.locator("[data-family-summary]")).to_contain_text("Revoked")
    expect(page.locator("[data-family-summary]")).to_contain_text(REUSE)
    expect(page.locator("[data-family] li").nth(1)).to_contain_text("revoked")


def test_the_replay_button_shows_what_each_copy_opens_after_sign_out(page, base):
    jwt_login(page, base)
    page.get_by_role("button", name="Sign out, then replay a copy").click()
    replay = page.locator("[data-replay]")
    expect(replay).to_be_visible()
    rows = {
        "stateless": page.locator('[data-replay-row="stateless"]'),
        "checked": page.locator('[data-replay-row="checked"]'),
        "refresh": page.locator('[data-replay-row="refresh"]'),
    }
    expect(rows["stateless"]).to_contain_text("GET /jwt/api/me")
    expect(rows["stateless"]).to_contain_text("200 accepted")
    expect(rows["checked"]).to_contain_text("401 refused")
    expect(rows["checked"]).to_contain_text("the token was revoked")
    expect(rows["refresh"]).to_contain_text("401 refused")
    expect(rows["refresh"]).to_contain_text("this sign-in was signed out")
    expect(page.locator("[data-replay-lesson]")).to_contain_text(
        "keeps working wherever the server does not"
    )
    # This browser holds nothing any more, and the notice says what the server did.
    assert page.evaluate("localStorage.getItem('access_token')") is None
    notice = page.locator("[data-signed-out-notice]")
    expect(notice).to_contain_text("revoked this sign-in's refresh token")
    expect(notice).to_contain_text("GET /jwt/api/checked/me refuses it")


def test_the_token_in_an_httponly_cookie_is_out_of_every_scripts_reach(page, context, base):
    jwt_cookie_login(page, base)
    assert page.evaluate("localStorage.getItem('access_token')") is None
    visible = page.evaluate("document.cookie")
    assert "lab_access=" not in visible and "lab_access_csrf=" in visible
    access = next(c for c in context.cookies() if c["name"] == "lab_access")
    assert (
        access["httpOnly"] is True and access["sameSite"] == "Lax" and access["path"] == "/jwt/api"
    )
    expect(page.locator("[data-token-heading]")).to_have_text("The token, in an HttpOnly cookie")
    expect(page.locator("[data-token-cookie]")).to_be_visible()
    expect(page.locator("[data-decoded]")).to_be_hidden()
    expect(page.locator("[data-api-line]")).to_contain_text("Cookie: lab_access=<token>")
    # The flow's step 1 says how this token really travels.
    step = page.locator('[data-flow="jwt-usage"] [data-step="token"] .step-label')
    expect(step).to_have_text("The browser sends the token in its cookie, by itself")
    expect(page.locator("[data-api-line]")).to_contain_text("200 OK")
    expect(page.locator("[data-jwt-status]")).to_have_text("JWT: alice")

    page.goto(f"{base}/inspect")
    verdict = page.locator("[data-cookie-jwt-verdict]")
    expect(verdict).to_contain_text("for scripts, the token is absent")
    expect(verdict).to_contain_text(
        "holds a token in lab_access, yet document.cookie lists lab_access_csrf and no lab_access"
    )
    expect(page.locator("[data-cookie-jwt-sent]")).to_contain_text(
        "the browser sent the cookie by itself"
    )
    expect(page.locator("[data-cookie-jwt-sent]")).to_contain_text("verified, the token of alice")

    # The replay works for cookies too: the server kept their copies at sign-out.
    page.goto(f"{base}/jwt/profile")
    page.get_by_role("button", name="Sign out, then replay a copy").click()
    expect(page.locator('[data-replay-row="stateless"]')).to_contain_text("200 accepted")
    expect(page.locator('[data-replay-row="stateless"]')).to_contain_text(
        "copy of the lab_access cookie"
    )
    expect(page.locator('[data-replay-row="checked"]')).to_contain_text("401 refused")
    expect(page.locator('[data-replay-row="refresh"]')).to_contain_text("401 refused")
    assert not [c for c in context.cookies() if c["name"] in {"lab_access", "lab_refresh"}]


def test_an_expired_access_cookie_is_replaced_by_the_refresh_token(page, context, base):
    jwt_cookie_login(page, base)
    expect(page.locator("[data-api-line]")).to_contain_text("200 OK")
    # The browser drops the access cookie when its Max-Age runs out; the refresh cookie stays.
    kept = [c for c in context.cookies() if c["name"] not in {"lab_access", "lab_access_csrf"}]
    context.clear_cookies()
    context.add_cookies(kept)
    page.reload()
    expect(page.locator("[data-refresh-log] li").first).to_contain_text(
        "the access token had expired"
    )
    expect(page.locator("[data-api-line]")).to_contain_text("200 OK")
    assert any(c["name"] == "lab_access" for c in context.cookies())


def test_the_session_replay_refuses_the_copied_cookie_at_once(page, context, base):
    session_login(page, base)
    page.get_by_role("button", name="Sign out, then replay a copy").click()
    page.wait_for_url(f"{base}/session/replay")
    result = page.locator("[data-replay-result]")
    expect(result).to_contain_text("Refused at once (401)")
    expect(result).to_contain_text("because the sign-out deleted it")
    assert not [c for c in context.cookies() if c["name"] == "lab_session"]
    copy = next(c for c in context.cookies() if c["name"] == "lab_session_copy")
    assert copy["httpOnly"] is True and copy["path"] == "/session/api/replay"


def test_two_tabs_refreshing_at_once_spend_the_refresh_token_once(context, base):
    first = context.new_page()
    jwt_login(first, base)
    second = context.new_page()
    second.goto(f"{base}/jwt/profile")
    for tab in (first, second):
        expect(tab.locator("[data-family] li")).to_have_count(1)
    # Both buttons pressed in the same instant: the clicks return before any refresh answers.
    click = "document.querySelector('[data-refresh-now]').click()"
    first.evaluate(click)
    second.evaluate(click)
    logs = [
        tab.locator("[data-refresh-log] li:not([data-refresh-none])") for tab in (first, second)
    ]
    for log in logs:
        expect(log).to_have_count(1)
    texts = [log.inner_text() for log in logs]
    assert sum("another tab changed the token first" in text for text in texts) == 1, texts
    assert sum("refreshed on request" in text for text in texts) == 1, texts
    # One spend, no reuse: the sign-in lives on, and both tabs hold the same new token.
    for tab in (first, second):
        expect(tab.locator("[data-family] li")).to_have_count(2)
        expect(tab.locator("[data-family-summary]")).not_to_contain_text("Revoked")
    token = first.evaluate("localStorage.getItem('access_token')")
    assert token == second.evaluate("localStorage.getItem('access_token')")


def test_playing_the_thief_second_revokes_the_family_and_the_page_says_what_that_stops(page, base):
    jwt_login(page, base)
    page.get_by_role("button", name="Copy the refresh token, as a thief").click()
    result = page.locator("[data-thief-result]")
    expect(result).to_contain_text("The thief holds a copy of refresh token #1")
    page.get_by_role("button", name="Refresh now").click()
    expect(page.locator("[data-refresh-log] li").first).to_contain_text("refreshed on request")

    page.get_by_role("button", name="Send the thief's copy").click()
    expect(result).to_contain_text(f"The thief's copy was refused: {REUSE}")
    summary = page.locator("[data-family-summary]")
    expect(summary).to_contain_text(REUSE)
    expect(summary).to_contain_text("the access tokens it already issued are not revoked")
    expect(page.locator("[data-family] li").nth(1)).to_contain_text("revoked")
    # The page knows its refresh token is dead: no timer, and no button to repeat the refusal.
    expect(page.locator("[data-next-refresh]")).to_contain_text("holds no refresh token")
    expect(page.get_by_role("button", name="Refresh now")).to_be_disabled()
    expect(page.get_by_role("button", name="Send the thief's copy")).to_be_disabled()
    # And it is true: the access token this page holds still works until its exp, even on the
    # checked route, which knows only signed-out tokens.
    for path in ("/jwt/api/me", "/jwt/api/checked/me"):
        status = page.evaluate(
            """path => fetch(path, {headers: {Authorization: "Bearer " +
                localStorage.getItem("access_token")}}).then(r => r.status)""",
            path,
        )
        assert status == 200, path


def test_a_thief_who_spends_first_leaves_the_reuse_to_the_visitors_refresh(page, base):
    jwt_login(page, base)
    page.get_by_role("button", name="Copy the refresh token, as a thief").click()
    expect(page.locator("[data-thief-result]")).to_contain_text("#1")
    page.get_by_role("button", name="Send the thief's copy").click()
    expect(page.locator("[data-thief-result]")).to_contain_text("The thief spent the copy first")
    expect(page.get_by_role("button", name="Send the thief's copy")).to_be_disabled()
    expect(page.locator("[data-family] li").first).to_contain_text("spent")
    expect(page.locator("[data-next-refresh]")).to_contain_text("already spent, by another party")

    refresh_now = page.get_by_role("button", name="Refresh now")
    expect(refresh_now).to_be_enabled()
    refresh_now.click()
    expect(page.locator("[data-refresh-log] li").first).to_contain_text(
        f"refresh refused (401): {REUSE}"
    )
    expect(page.locator("[data-family-summary]")).to_contain_text(REUSE)
    expect(refresh_now).to_be_disabled()


def test_the_replay_shows_the_store_read_that_revocation_costs(page, base):
    jwt_login(page, base)
    page.get_by_role("button", name="Sign out, then replay a copy").click()
    expect(page.locator("[data-replay-local-copy]")).to_be_visible()
    expect(page.locator('[data-replay-row="stateless"]')).to_contain_text("store: 0 reads")
    expect(page.locator('[data-replay-row="checked"]')).to_contain_text("store: 1 read")


def test_the_cookie_replay_says_the_server_ran_the_checks_and_copied_nothing_itself(page, base):
    jwt_cookie_login(page, base)
    page.get_by_role("button", name="Sign out, then replay a copy").click()
    stateless = page.locator('[data-replay-row="stateless"]')
    expect(stateless).to_contain_text(
        "POST /jwt/api/auth/replay, which runs the checks of GET /jwt/api/me on the copy"
    )
    expect(stateless).to_contain_text("store: 0 reads")
    expect(page.locator('[data-replay-row="checked"]')).to_contain_text("store: 1 read")
    # No script copied anything out of localStorage: the sentence saying so is not shown.
    expect(page.locator("[data-replay-local-copy]")).to_be_hidden()


def test_a_replay_whose_sign_out_was_refused_says_so_and_shows_no_empty_table(page, base):
    page.goto(f"{base}/jwt/profile")
    page.evaluate("localStorage.setItem('access_token', 'not-a-jwt')")
    page.reload()
    page.get_by_role("button", name="Sign out, then replay a copy").click()
    expect(page.locator("[data-replay-lesson]")).to_contain_text("The server did not sign out (401")
    expect(page.locator("[data-replay-table]")).to_be_hidden()
    expect(page.locator("[data-replay-sent]")).to_be_hidden()
    expect(page.locator("[data-replay-intro]")).to_be_hidden()  # it would say copies were kept


def test_a_browser_clock_ten_minutes_fast_still_counts_by_the_servers(page, base):
    import time

    page.clock.install(time=time.time() + 600)
    jwt_login(page, base)
    expect(page.locator("[data-api-line]")).to_contain_text("200 OK")
    countdown = page.locator("[data-countdown]")
    expect(countdown).to_contain_text("left")
    expect(countdown).not_to_contain_text("expired")
    page.get_by_role("button", name="Sign out", exact=True).click()
    # Signed out by the server's clock too: the copy is still good on the stateless route.
    expect(page.locator("[data-signed-out-validity]")).to_contain_text(
        "still accepted by the stateless GET /jwt/api/me"
    )


def test_a_refresh_overdue_after_sleep_is_logged_once_as_after_expiry(page, base):
    page.clock.install()
    jwt_login(page, base)
    expect(page.locator("[data-next-refresh]")).to_contain_text("Next automatic refresh")
    # The computer sleeps through the refresh moment and past the token's exp.
    page.clock.pause_at(page.evaluate("Date.now()") / 1000 + 400)  # seconds, for Python
    page.clock.resume()
    log = page.locator("[data-refresh-log] li:not([data-refresh-none])")
    expect(log.first).to_contain_text("the access token had expired")
    expect(page.locator("[data-api-line]")).to_contain_text("200 OK")
    expect(log).to_have_count(1)
    expect(log.first).not_to_contain_text("another tab")


def test_a_timer_firing_during_a_refresh_shares_it_instead_of_spending_again(page, base):
    page.clock.install()
    jwt_login(page, base)
    expect(page.locator("[data-next-refresh]")).to_contain_text("Next automatic refresh")
    # A moment before the automatic refresh is due, the visitor presses "Refresh now"; while
    # that refresh is on the network, the timer fires too.
    page.clock.pause_at(page.evaluate("Date.now()") / 1000 + 268)  # seconds, for Python
    page.evaluate("document.querySelector('[data-refresh-now]').click()")
    page.clock.run_for(5000)
    expect(page.locator("[data-family] li")).to_have_count(2)  # one spend, one new token
    log = page.locator("[data-refresh-log] li:not([data-refresh-none])")
    expect(log).to_have_count(1)
    expect(log.first).to_contain_text("refreshed on request")
    expect(page.locator("[data-family-summary]")).not_to_contain_text("Revoked")
