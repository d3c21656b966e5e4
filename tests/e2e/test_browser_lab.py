"""The browser lab in a real Chromium: the injected script's findings, a real cross-site form
refused by the browser and by the server, a planted session ID, the device list, and a sign-out
that clears the site's data."""

from __future__ import annotations

from playwright.sync_api import expect

from harness.actions import SESSION_COOKIE
from tests.e2e.conftest import Problems, jwt_login, session_login


def other_site(base: str) -> str:
    return base.replace("127.0.0.1", "localhost")


def run_injected(page, base: str):
    page.goto(f"{base}/lab/browser")
    page.get_by_role("button", name="Run the injected script").click()
    findings = page.locator("[data-injected-findings]")
    expect(findings.locator("[data-finding]").last).to_be_visible()
    return findings


def test_the_injected_script_takes_the_token_not_the_cookie_and_still_rides_the_session(
    page, context, base
):
    session_login(page, base)
    jwt_login(page, base)
    problems = Problems(page, base)

    findings = run_injected(page, base)

    expect(findings.locator('[data-finding="token"]')).to_contain_text("yes")
    # The copy works from "another machine": a request that carried no cookie at all.
    expect(findings.locator('[data-finding="token-used"]')).to_contain_text("signed in as alice")
    hidden = findings.locator('[data-finding="session-cookie-hidden"]')
    expect(hidden).to_contain_text(f"{SESSION_COOKIE} is HttpOnly")
    expect(findings.locator('[data-finding="session-ridden"]')).to_contain_text("200 for alice")
    expect(findings).to_contain_text("Sent it to the attacker's server")
    # What the page says about the cookie is what the browser holds.
    session = next(c for c in context.cookies() if c["name"] == SESSION_COOKIE)
    assert session["httpOnly"] is True
    assert SESSION_COOKIE not in page.evaluate("document.cookie")
    problems.assert_none()


def test_the_injected_script_finds_nothing_to_take_from_a_visitor_signed_in_nowhere(page, base):
    findings = run_injected(page, base)
    expect(findings.locator('[data-finding="no-token"]')).to_contain_text("there is none")
    expect(findings.locator('[data-finding="no-session"]')).to_contain_text("nothing to ride")
    expect(findings.locator('[data-finding="session-cookie-hidden"]')).to_be_visible()


def test_the_injected_script_cannot_read_a_jwt_kept_in_the_httponly_cookie(page, base):
    jwt_login(page, base, storage="cookie")
    findings = run_injected(page, base)
    expect(findings.locator('[data-finding="no-token"]')).to_be_visible()
    expect(findings).to_contain_text("Read your JWT from its cookie (lab_access): no.")


def forge_from_the_attacker(page, base: str, button: str) -> None:
    page.goto(f"{base}/lab/browser")
    page.locator("[data-attacker-link]").click()
    page.wait_for_url(f"{other_site(base)}/lab/browser/attacker")
    page.locator(button).click()
    page.wait_for_url(f"{base}/**")


def set_demo_cookie(page, base: str, samesite: str) -> None:
    page.goto(f"{base}/lab/browser")
    label = (
        "Set it with SameSite=Lax" if samesite == "Lax" else "Relax it: SameSite=None (demo only)"
    )
    page.get_by_role("button", name=label).click()
    expect(page.locator("[data-demo-cookie]")).to_contain_text(f"SameSite={samesite}")


def test_a_cross_site_form_is_refused_by_chromium_then_by_the_server(page, context, base):
    session_login(page, base)

    # SameSite=Lax: Chromium keeps the cookie (and the real session cookie) off the request.
    set_demo_cookie(page, base, "Lax")
    forge_from_the_attacker(page, base, "[data-forge-session]")
    result = page.locator("[data-csrf-result]")
    expect(result).to_have_attribute("data-csrf-result", "refused")
    expect(page.locator("[data-result-site]")).to_have_attribute("data-result-site", "cross-site")
    expect(page.locator("[data-result-site]")).to_contain_text(other_site(base))  # the Origin
    expect(page.locator("[data-result-demo]")).to_have_attribute("data-result-demo", "absent")
    expect(page.locator("[data-result-session]")).to_have_attribute("data-result-session", "absent")

    # SameSite=None: the cookie goes through; the missing CSRF token is what the server refuses.
    set_demo_cookie(page, base, "None")
    forge_from_the_attacker(page, base, "[data-forge-session]")
    expect(result).to_have_attribute("data-csrf-result", "refused")
    expect(page.locator("[data-result-demo]")).to_have_attribute("data-result-demo", "sent")
    expect(page.locator("[data-result-token]")).to_contain_text("missing")
    # The real session cookie never changed, and the session is untouched.
    session = next(c for c in context.cookies() if c["name"] == SESSION_COOKIE)
    assert session["sameSite"] == "Lax"
    assert page.request.get(f"{base}/session/api/me").status == 200

    # The same form from the lab itself carries the token: accepted.
    page.goto(f"{base}/lab/browser")
    page.locator("[data-send-own-form]").click()
    expect(result).to_have_attribute("data-csrf-result", "accepted")


def test_a_cross_site_form_reaches_the_jwt_api_with_no_token(page, base):
    jwt_login(page, base)
    forge_from_the_attacker(page, base, "[data-forge-jwt]")
    assert page.url == f"{base}/jwt/api/auth/logout"
    expect(page.locator("body")).to_contain_text("Send the access token, or the refresh cookie")
    # Nothing was signed out: the token in this browser still works.
    page.goto(f"{base}/jwt/profile")
    expect(page.locator("[data-jwt-status]")).to_have_text("JWT: alice")


def test_a_planted_session_id_is_replaced_at_sign_in_and_then_refused(page, context, base):
    page.goto(f"{base}/lab/browser")
    page.locator("[data-plant]").click()
    planted = page.locator("[data-planted-id]").inner_text().rstrip("…")
    cookie = next(c for c in context.cookies() if c["name"] == SESSION_COOKIE)
    assert cookie["value"].startswith(planted)  # the browser really holds it now
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("wonderland")
    page.get_by_role("button", name="Sign in with a session").click()
    page.wait_for_url(f"{base}/lab/browser#fixation")

    expect(page.locator("[data-lab-id-before]")).to_contain_text(planted)
    now = next(c for c in context.cookies() if c["name"] == SESSION_COOKIE)["value"]
    assert not now.startswith(planted)
    page.get_by_role("button", name="Send the planted ID now").click()
    result = page.locator("[data-planted-result]")
    expect(result).to_have_attribute("data-planted", "refused")
    expect(result).to_contain_text(f"Your session's ID is {now[:8]}")
    page.goto(f"{base}/session/profile")
    expect(page.locator("[data-id-before]")).to_contain_text(planted)
    expect(page.locator("[data-id-after]")).to_contain_text(now[:8])


def test_ending_another_device_signs_it_out_and_the_console_snippet_works(browser, page, base):
    session_login(page, base)
    # The live server outlives each test: alice may be signed in elsewhere from earlier ones.
    page.goto(f"{base}/session/devices")
    if page.locator("[data-end-others]").count():
        page.locator("[data-end-others]").click()
    others = [browser.new_context() for _ in range(2)]
    try:
        other_pages = [other.new_page() for other in others]
        for other in other_pages:
            session_login(other, base)
        page.goto(f"{base}/session/devices")
        expect(page.locator("[data-device]")).to_have_count(3)
        expect(page.locator("[data-device-current]")).to_contain_text("this browser")

        # One, from its own button.
        page.locator("[data-device]:not([data-device-current])").first.get_by_role(
            "button", name="End this session"
        ).click()
        expect(page.get_by_role("status")).to_contain_text("Ended 1 other session")
        expect(page.locator("[data-device]")).to_have_count(2)

        # The rest, with the snippet the page offers for the DevTools console.
        snippet = page.locator("section pre code").inner_text()
        assert page.evaluate(f"async () => {snippet}") == {"revoked": 1, "signed_out": False}
        for other in other_pages:
            other.goto(f"{base}/session/profile")
            assert other.url.startswith(f"{base}/session/login")
        page.reload()
        expect(page.locator("[data-device]")).to_have_count(1)
    finally:
        for other in others:
            other.close()


def test_signing_out_clears_the_sites_cookies_and_local_storage(page, context, base):
    jwt_login(page, base)
    session_login(page, base)
    page.goto(f"{base}/?lang=ko")
    assert page.evaluate("localStorage.getItem('access_token')")
    assert "lab_refresh" in {c["name"] for c in context.cookies()}

    page.goto(f"{base}/session/profile")
    page.get_by_role("button", name="로그아웃(세션 지우기)").click()
    page.wait_for_url(f"{base}/session/login?**")

    assert page.evaluate("localStorage.length") == 0
    names = {c["name"] for c in context.cookies()}
    assert SESSION_COOKIE not in names and "lab_refresh" not in names
    # The notice and the language came through the clearing in the URL.
    expect(page.get_by_role("status")).to_contain_text("로그아웃했습니다")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    assert "lang" in names
    expect(page.locator("[data-jwt-status]")).to_have_text("JWT: 없음")
