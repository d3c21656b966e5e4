"""The browser lab's server side: the sink, the CSRF demo's cookie, target and attacker page,
and the fixation demo. What the browser does with them is in tests/e2e/test_browser_lab.py."""

from __future__ import annotations

import html
import re

import pytest

from harness.actions import SESSION_COOKIE, JwtActions, SessionActions, csrf_token_from

LAB = "http://127.0.0.1:5000"
OTHER_SITE = "http://localhost:5000"


def set_cookie_headers(response, name: str) -> list[str]:
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]


def lab_token(client, base_url: str = LAB) -> str:
    page = client.get("/lab/browser", base_url=base_url)
    return csrf_token_from(page.get_data(as_text=True))


def test_the_attacker_page_posts_to_the_lab_under_the_other_loopback_name(client):
    page = client.get("/lab/browser/attacker", base_url=OTHER_SITE)
    html = page.get_data(as_text=True)
    assert f'action="{LAB}/lab/browser/csrf/target"' in html
    assert f'action="{LAB}/jwt/api/auth/logout"' in html
    assert "csrf_token" not in html  # the attacker has no token to send
    policy = page.headers["Content-Security-Policy"]
    assert f"form-action {LAB};" in policy
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers.getlist("Content-Security-Policy") == [policy]  # replaced, not added
    # A real site's default, so that its forms' Origin is sent (ours would make it "null").
    assert page.headers.getlist("Referrer-Policy") == ["strict-origin-when-cross-origin"]
    assert "Set-Cookie" not in page.headers


def test_the_lab_links_to_the_other_name_and_keeps_its_own_policy(client):
    page = client.get("/lab/browser", base_url=LAB)
    assert f'href="{OTHER_SITE}/lab/browser/attacker"' in page.get_data(as_text=True)
    assert "form-action 'self'" in page.headers["Content-Security-Policy"]


def test_a_host_with_no_second_name_gets_an_explanation_and_no_forms(client):
    lab = client.get("/lab/browser", base_url="https://lab.example.org")
    assert "data-no-other-site" in lab.get_data(as_text=True)
    attacker = client.get("/lab/browser/attacker", base_url="https://lab.example.org")
    assert "<form" not in attacker.get_data(as_text=True)
    assert "form-action 'self'" in attacker.headers["Content-Security-Policy"]


@pytest.mark.parametrize(("choice", "secure"), [("Lax", False), ("None", True)])
def test_the_demo_cookie_takes_the_chosen_samesite(client, choice, secure):
    answer = client.post(
        "/lab/browser/csrf/demo-cookie",
        data={"samesite": choice, "csrf_token": lab_token(client)},
        base_url=LAB,
    )
    (header,) = set_cookie_headers(answer, "lab_csrf_demo")
    assert f"SameSite={choice}" in header
    assert "HttpOnly" in header and "Path=/lab/browser" in header
    assert ("Secure" in header) is secure


def test_relaxing_the_demo_cookie_never_touches_the_session_cookie(app, client):
    SessionActions(client).login()
    answer = client.post(
        "/lab/browser/csrf/demo-cookie",
        data={"samesite": "None", "csrf_token": lab_token(client, base_url="http://localhost")},
    )
    assert set_cookie_headers(answer, SESSION_COOKIE) == []
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_a_cross_site_form_with_the_demo_cookie_but_no_token_is_refused(client):
    client.post(
        "/lab/browser/csrf/demo-cookie",
        data={"samesite": "None", "csrf_token": lab_token(client)},
        base_url=LAB,
    )
    answer = client.post(
        "/lab/browser/csrf/target",
        data={"change": "give-the-attacker-your-account"},
        headers={"Origin": OTHER_SITE, "Sec-Fetch-Site": "cross-site"},
        base_url=LAB,
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 403
    assert 'data-csrf-result="refused"' in page
    assert 'data-result-demo="sent"' in page
    assert "missing: a page of another site cannot read it" in page


def test_a_page_reached_by_a_cross_site_post_does_not_claim_nobody_is_signed_in(client):
    SessionActions(client).login()
    client.delete_cookie(SESSION_COOKIE)  # what SameSite=Lax does to a cross-site POST
    answer = client.post(
        "/lab/browser/csrf/target",
        data={"change": "give-the-attacker-your-account"},
        headers={"Origin": OTHER_SITE, "Sec-Fetch-Site": "cross-site"},
    )
    page = answer.get_data(as_text=True)
    assert "Session: not sent" in page
    assert "data-session-status" not in page  # other tabs hear nothing from this page


def test_the_same_form_from_the_lab_with_its_token_is_accepted(client):
    token = lab_token(client)
    client.post(
        "/lab/browser/csrf/demo-cookie", data={"samesite": "Lax", "csrf_token": token}, base_url=LAB
    )
    answer = client.post(
        "/lab/browser/csrf/target",
        data={"change": "demo", "csrf_token": token},
        headers={"Origin": LAB, "Sec-Fetch-Site": "same-origin"},
        base_url=LAB,
    )
    assert answer.status_code == 200
    assert 'data-csrf-result="accepted"' in answer.get_data(as_text=True)


def test_the_sink_says_what_it_received_and_keeps_nothing(app, client):
    token = JwtActions(client).token()
    answer = client.post("/lab/browser/api/sink", json={"token": token}).get_json()
    assert answer["received"] is True
    assert answer["length"] == len(token) and answer["parts"] == 3
    assert token not in str(answer)  # only a masked preview comes back


@pytest.mark.parametrize("body", [{}, {"token": ""}, {"token": 5}, {"token": "x" * 8193}, []])
def test_the_sink_refuses_anything_but_a_token(client, body):
    answer = client.post("/lab/browser/api/sink", json=body)
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "invalid_request"


def plant(client):
    """Plant an ID, on the test client's own host (localhost), where its cookies are kept."""
    token = lab_token(client, base_url="http://localhost")
    return client.post("/lab/browser/fixation/plant", data={"csrf_token": token})


def test_a_planted_id_reaches_the_sign_in_and_is_replaced(app, client):
    planted_page = plant(client)
    (planted_header,) = set_cookie_headers(planted_page, SESSION_COOKIE)
    planted = planted_header.split(";")[0].split("=", 1)[1]
    assert client.get_cookie(SESSION_COOKIE).value == planted

    form = planted_page.get_data(as_text=True)
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', form).group(1))
    signed_in = client.post(
        action,
        data={"username": "alice", "password": "wonderland", "csrf_token": csrf_token_from(form)},
    )

    assert signed_in.status_code == 302
    assert signed_in.headers["Location"] == "/lab/browser#fixation"
    now = client.get_cookie(SESSION_COOKIE).value
    assert now != planted
    profile = client.get("/session/profile").get_data(as_text=True)
    assert f"<code>{planted[:8]}…</code>" in profile  # the ID before sign-in
    assert f"<code>{now[:8]}…</code>" in profile
    check = client.get("/lab/browser/api/fixation").get_json()
    assert check == {"planted": planted[:8], "current": now[:8], "accepted": False}
    stale = app.test_client()
    stale.set_cookie(SESSION_COOKIE, planted)
    assert stale.get("/session/api/me").status_code == 401


def test_planting_while_signed_in_is_refused_and_the_session_survives(client):
    SessionActions(client).login()
    before = client.get_cookie(SESSION_COOKIE).value
    answer = plant(client)
    assert answer.status_code == 302
    # The flash saved in the record may re-send the cookie, never with another ID.
    assert all(
        f"{SESSION_COOKIE}={before};" in h for h in set_cookie_headers(answer, SESSION_COOKIE)
    )
    assert client.get_cookie(SESSION_COOKIE).value == before
    assert client.get("/session/api/me").status_code == 200


def test_signing_in_again_gives_a_new_id_and_shows_the_old_prefix(client):
    SessionActions(client).login()
    first = client.get_cookie(SESSION_COOKIE).value
    SessionActions(client).login()
    second = client.get_cookie(SESSION_COOKIE).value
    assert first != second
    profile = client.get("/session/profile").get_data(as_text=True)
    assert f"<code>{first[:8]}…</code>" in profile and f"<code>{second[:8]}…</code>" in profile


def test_without_a_planted_id_the_check_says_so(client):
    assert client.get("/lab/browser/api/fixation").get_json() == {
        "planted": None,
        "current": None,
        "accepted": None,
    }
