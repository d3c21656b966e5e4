"""Every page, in every state a visitor meets it: no console errors, no failed or foreign
requests, and no serious or critical accessibility violations (axe-core)."""

from __future__ import annotations

import time

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import Problems, jwt_login, plant_token, server_token, session_login

AXE = Axe()
BLOCKING_IMPACTS = {"serious", "critical"}

# (path, how to prepare the browser before visiting it)
PAGES = [
    ("/", None),
    ("/", "both"),
    ("/session/login", None),
    ("/session/login?signed_out=1", None),
    ("/session/profile", "session"),
    ("/jwt/login", None),
    ("/jwt/profile", None),
    ("/jwt/profile", "jwt"),
    ("/jwt/profile", "refused"),
    ("/jwt/profile", "junk"),
    ("/jwt/profile", "signed out"),
    ("/inspect", None),
    ("/inspect", "both"),
    ("/inspect", "refused"),
    ("/inspect", "cookie"),
    ("/", "refused"),
    ("/", "cookie"),
    ("/session/logout", "session"),
    ("/account/signup", None),
    ("/lab/scale", None),
    ("/lab/scale", "both"),
    ("/lab/browser", None),
    ("/lab/browser", "both"),
    ("/lab/browser/attacker", None),
    ("/lab/jwt", None),
    ("/lab/jwt", "jwt"),
    ("/session/devices", "session"),
    ("/account/password", "session"),
    ("/no/such/page", None),
]


def prepare(page, base, state, live_server):
    if state in ("session", "both"):
        session_login(page, base)
    if state in ("jwt", "both", "signed out"):
        jwt_login(page, base)
    if state == "cookie":
        jwt_login(page, base, storage="cookie")
    if state == "signed out":
        page.get_by_role("button", name="Sign out", exact=True).click()
    if state == "refused":
        plant_token(page, base, server_token(live_server, exp=int(time.time()) - 10))
    if state == "junk":
        plant_token(page, base, "hello")


def assert_accessible(page, label: str) -> None:
    results = AXE.run(page)
    blocking = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in BLOCKING_IMPACTS
    ]
    assert blocking == [], f"{label}: {blocking}"


@pytest.mark.parametrize(("path", "state"), PAGES, ids=[f"{p} [{s or 'anon'}]" for p, s in PAGES])
def test_page_is_clean_and_accessible(page, base, live_server, path, state):
    prepare(page, base, state, live_server)
    problems = Problems(page, base)
    response = page.goto(f"{base}{path}")
    page.wait_for_load_state("networkidle")
    expected = 404 if path == "/no/such/page" else 200
    assert response.status == expected
    problems.assert_none(document_status=expected)
    assert_accessible(page, path)


def test_form_errors_are_accessible(page, base):
    page.goto(f"{base}/account/signup")
    page.get_by_label("Username").fill("x")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()
    assert page.get_by_label("Username").get_attribute("aria-invalid") == "true"
    assert_accessible(page, "signup with errors")
    page.goto(f"{base}/session/login")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("not-her-password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "Invalid username or password."
    assert_accessible(page, "login with error")
    page.goto(f"{base}/jwt/login")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("not-her-password")
    page.get_by_role("button", name="Sign in and get a token").click()
    assert page.get_by_role("alert").inner_text() == "Invalid username or password."
    assert page.evaluate("localStorage.getItem('access_token')") is None
    assert_accessible(page, "jwt login with error")


@pytest.mark.parametrize("width", [390, 1280])
def test_pages_fit_the_screen_without_sideways_scrolling(page, base, width):
    page.set_viewport_size({"width": width, "height": 844})
    session_login(page, base)
    jwt_login(page, base)
    for path in (
        "/",
        "/session/profile",
        "/jwt/profile",
        "/inspect",
        "/account/signup",
        "/lab/scale",
    ):
        page.goto(f"{base}{path}")
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} at {width}px scrolls sideways by {overflow}px"
