"""What /inspect and the home page say about a JWT, checked in a real Chromium for each place
this browser can keep it: localStorage, the HttpOnly lab_access cookie, that cookie expired
while the refresh cookie lives on, and no token at all (signed out in another tab, too)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import jwt_login

COOKIE_STEP = "The browser sends the token in its cookie, by itself"
HEADER_STEP = "JavaScript sends the token in the Authorization header"


def cookie_login(page, base: str) -> None:
    page.goto(f"{base}/?lang=en")  # the readable language cookie, beside the JWT's
    jwt_login(page, base, storage="cookie")


def drop_access_cookies(context) -> None:
    """What the browser does when lab_access reaches its Max-Age: its CSRF twin goes with it,
    the refresh cookie stays."""
    kept = [c for c in context.cookies() if c["name"] not in {"lab_access", "lab_access_csrf"}]
    context.clear_cookies()
    context.add_cookies(kept)


def readable_cookie_names(page) -> set[str]:
    return {
        part.split("=")[0].strip() for part in page.evaluate("document.cookie").split(";") if part
    }


def test_inspect_with_the_token_in_an_httponly_cookie(page, base):
    cookie_login(page, base)
    page.goto(f"{base}/inspect")

    # 1. localStorage is empty, and the card says where the token is instead.
    verdict = page.locator("[data-token-verdict]")
    expect(verdict).to_have_text(
        'localStorage.getItem("access_token") is null: there is no token in localStorage.'
    )
    elsewhere = page.locator("[data-token-elsewhere]")
    expect(elsewhere).to_be_visible()
    expect(elsewhere).to_contain_text("keeps its token in the HttpOnly lab_access cookie instead")

    # Each cookie scripts can read is explained, the CSRF twin of the token included.
    assert readable_cookie_names(page) == {"lang", "lab_access_csrf"}
    explained = page.locator("[data-readable-cookies] li")
    expect(explained).to_have_count(2)
    expect(page.locator('[data-readable-cookie="lang"]')).to_contain_text("your language choice")
    expect(page.locator('[data-readable-cookie="lab_access_csrf"]')).to_contain_text(
        "double-submit value of a JWT kept in a cookie"
    )
    expect(page.locator("main")).not_to_contain_text("The one cookie scripts can see here")

    # 2. The navigation did not carry lab_access, and the page says why, for both storages.
    sends = page.locator('section[aria-labelledby="browser-sends"]')
    expect(sends).to_contain_text(
        "A token in the lab_access cookie does travel with navigations, but only to /jwt/api/…"
    )
    expect(sends).not_to_contain_text("A navigation never carries the token")
    expect(page.locator("[data-nav-cookies]")).not_to_contain_text("lab_access =")
    card = page.locator("[data-inspect-cookie-jwt-sent]")
    expect(card).to_contain_text("verified, the token of alice")
    expect(card).to_contain_text("keeps it off the requests another site starts, a form's POST")
    expect(card).to_contain_text("a second lock that does not rely on SameSite")
    expect(card).not_to_contain_text("ride along on a link the visitor follows")

    # 3 and 4. The cookie's token was verified, and the flow is lit by that very check.
    expect(page.locator("[data-server-jwt-verdict]")).to_have_text(
        "The fetch to GET /inspect/api/request carried no Authorization header, so it brought "
        "no token to verify."
    )
    expect(page.locator("[data-server-cookie-jwt-verdict]")).to_have_text(
        "The server just verified the token in your lab_access cookie, for alice, using only "
        "its key."
    )
    usage = page.locator('[data-flow="jwt-usage"]')
    expect(usage.locator('[data-step="token"] .step-label')).to_have_text(COOKIE_STEP)
    expect(usage.locator(".flow-step.done")).to_have_count(4)  # token, 2a, 2b, response
    expect(usage.locator("[data-flow-caption]")).to_contain_text(
        "lit by the token sent in the lab_access cookie with GET /jwt/api/check"
    )
    cost = page.locator("[data-fetch-trace]")
    expect(cost).to_contain_text("Token check (lab_access cookie): Auth")
    expect(page.locator("main")).not_to_contain_text("nothing to verify")
    expect(page.locator("main")).not_to_contain_text("carried neither")

    # 5. Verifying needs only the key; refreshing and the denylist read what is shared.
    scaling = page.locator("[data-scaling-jwt]")
    expect(scaling).to_contain_text("that needs nothing shared")
    expect(scaling).to_contain_text("Refreshing one reads and writes its sign-in's rows")
    expect(scaling).not_to_contain_text("Nothing needs to be shared")


def test_inspect_with_the_token_in_localstorage(page, base):
    jwt_login(page, base)
    page.goto(f"{base}/inspect")
    expect(page.locator("[data-token-verdict]")).to_contain_text("is present")
    expect(page.locator("[data-token-elsewhere]")).to_be_hidden()
    expect(page.locator("[data-readable-cookies] li")).to_have_count(0)  # no cookie is readable
    expect(page.locator("[data-cookie-jwt-verdict]")).to_contain_text(
        "This browser holds no token in a cookie."
    )
    expect(page.locator("[data-server-jwt-verdict]")).to_contain_text(
        "verified your token for alice"
    )
    expect(page.locator("[data-server-cookie-jwt-verdict]")).to_have_text(
        "No lab_access cookie came with the fetch to GET /jwt/api/check, so it brought no token "
        "to verify."
    )
    usage = page.locator('[data-flow="jwt-usage"]')
    expect(usage.locator('[data-step="token"] .step-label')).to_have_text(HEADER_STEP)
    expect(usage.locator(".flow-step.done")).to_have_count(4)
    expect(usage.locator("[data-flow-caption]")).to_contain_text(
        "lit by the token sent in the Authorization header with GET /inspect/api/request"
    )
    cost = page.locator("[data-fetch-trace]")
    expect(cost).to_contain_text("Token check (Authorization header): Auth")
    expect(cost).not_to_contain_text("lab_access cookie")


def test_inspect_and_home_when_the_access_cookie_expired_and_the_refresh_cookie_lives(
    page, context, base
):
    cookie_login(page, base)
    drop_access_cookies(context)
    page.goto(f"{base}/inspect")
    expect(page.locator("[data-jwt-status]")).to_have_text("JWT: expired")
    reads = page.locator("[data-cookie-jwt-verdict]")
    expect(reads).to_contain_text(
        "This browser signed in with the HttpOnly cookie choice, but holds no lab_access cookie "
        "now: it expired with its access token, or was deleted."
    )
    expect(reads).not_to_contain_text("Sign in to the JWT lab")
    expect(reads.get_by_role("link", name="the JWT profile")).to_have_attribute(
        "href", "/jwt/profile"
    )
    expect(page.locator("[data-cookie-jwt-sent]")).to_contain_text(
        "a browser drops an expired cookie"
    )
    expect(page.locator("[data-token-verdict]")).to_contain_text("no token in localStorage")
    expect(page.locator("[data-token-elsewhere]")).to_be_hidden()
    expect(page.locator('[data-readable-cookie="lab_access_csrf"]')).to_have_count(0)
    expect(page.locator('[data-flow="jwt-usage"] [data-step="token"] .step-label')).to_have_text(
        COOKIE_STEP
    )
    expect(page.locator("[data-fetch-trace]")).not_to_contain_text("Token check")

    page.goto(f"{base}/")
    note = page.locator("[data-home-trace-jwt]")
    expect(note).to_contain_text("but sent no lab_access cookie")
    expect(note).not_to_contain_text("Get a token")
    expect(page.locator("[data-needs-token]")).to_have_count(3)
    for hint in page.locator("[data-needs-token]").all():
        expect(hint).to_be_hidden()


def test_inspect_follows_a_cookie_sign_out_in_another_tab(context, base):
    actor = context.new_page()
    cookie_login(actor, base)
    watcher = context.new_page()
    watcher.goto(f"{base}/inspect")
    box = watcher.locator("[data-document-cookie]")
    expect(box).to_contain_text("lab_access_csrf=")
    expect(watcher.locator('[data-readable-cookie="lab_access_csrf"]')).to_be_visible()
    actor.get_by_role("button", name="Sign out", exact=True).click()
    # The watcher read document.cookie again: the CSRF twin is gone, and so is its explanation.
    expect(box).not_to_contain_text("lab_access_csrf")
    expect(box).to_contain_text("lang=en")
    expect(watcher.locator('[data-readable-cookie="lab_access_csrf"]')).to_have_count(0)
    expect(watcher.locator("[data-cookie-jwt-verdict]")).to_contain_text(
        "This browser holds no token in a cookie."
    )
    expect(watcher.locator("[data-token-elsewhere]")).to_be_hidden()


# The text of each piece of the expression, and whether it stayed on one line.
EXPRESSION_LINES = """(code) => [...code.childNodes]
  .filter((n) => n.nodeType === Node.TEXT_NODE)
  .map((n) => {
  const range = document.createRange();
  range.selectNodeContents(n);
  const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
  return [n.textContent, tops.size];
})"""


@pytest.mark.parametrize("width", [1280, 390])
def test_inspect_shows_the_cookie_evidence_whole_and_keeps_the_expression_whole(page, base, width):
    cookie_login(page, base)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{base}/inspect")
    box = page.locator("[data-document-cookie]")
    expect(box).to_contain_text("lab_access_csrf=")
    pre = box.locator("xpath=..")
    scroll, client = pre.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert scroll <= client, f"document.cookie box scrolls at {width} px: {scroll} > {client}"
    for expression in page.locator("code.expression").all():
        pieces = expression.evaluate(EXPRESSION_LINES)
        texts = [text for text, _ in pieces]
        assert texts == ["localStorage.getItem(", '"access_token")'], texts
        assert all(lines == 1 for _, lines in pieces), (width, pieces)


def test_home_says_how_the_token_travels_and_who_can_read_it_for_both_storages(page, base):
    page.goto(f"{base}/")
    table = page.locator("table.compare")
    expect(table).to_contain_text(
        "from localStorage, in an Authorization header that JavaScript adds; from an HttpOnly "
        "cookie, in that cookie, which the browser adds by itself"
    )
    expect(table).to_contain_text("From localStorage, yes")
    expect(table).to_contain_text("from an HttpOnly cookie no script can")
    expect(table).to_contain_text("verifying an access token needs only the signing key")
    expect(table).not_to_contain_text("nothing is shared per request")
    expect(table).not_to_contain_text("the Bearer call")
    expect(table.get_by_role("link", name="the call with your token")).to_be_visible()

    # Without a token, each follow-up that opens the JWT profile says to get one first.
    hints = page.locator("[data-needs-token]")
    expect(hints).to_have_count(3)
    for hint in hints.all():
        expect(hint).to_be_visible()
        expect(hint.get_by_role("link", name="Get a token")).to_have_attribute("href", "/jwt/login")

    jwt_login(page, base)
    page.goto(f"{base}/")
    for hint in hints.all():
        expect(hint).to_be_hidden()
    expect(page.locator('[data-flow="jwt-usage"] [data-step="token"] .step-label')).to_have_text(
        HEADER_STEP
    )

    cookie_login(page, base)
    page.goto(f"{base}/")
    for hint in hints.all():
        expect(hint).to_be_hidden()
    expect(page.locator('[data-flow="jwt-usage"] [data-step="token"] .step-label')).to_have_text(
        COOKIE_STEP
    )
