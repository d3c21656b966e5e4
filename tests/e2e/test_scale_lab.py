"""The multi-instance lab in a real browser: on one server, and on `make cluster`'s setups."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import jwt_login, session_login


def send_requests(page) -> None:
    page.get_by_role("button", name="Send the requests").click()
    expect(page.locator("[data-probe-summary]")).to_contain_text("answered", timeout=15000)


def test_the_page_names_the_instance_the_header_names(page, base):
    response = page.goto(f"{base}/lab/scale")
    served_by = response.headers["x-served-by"]
    assert re.fullmatch(r"[^/]+/\d+", served_by)
    expect(page.locator("[data-page-served-by]")).to_have_text(served_by)
    expect(page.locator("[data-served-by] code")).to_have_text(served_by)  # the footer, too
    expect(page.locator("[data-page-session]")).to_have_text("the browser sent no session cookie")


def test_one_server_knows_the_session_and_accepts_the_token_every_time(page, base):
    session_login(page, base)
    jwt_login(page, base)
    page.goto(f"{base}/lab/scale")
    expect(page.locator("[data-page-session]")).to_have_text("found it: alice")
    send_requests(page)
    sessions = page.locator("[data-probe-session] li")
    tokens = page.locator("[data-probe-jwt] li")
    expect(sessions).to_have_count(6)
    expect(tokens).to_have_count(6)
    instance = page.locator("[data-page-served-by]").inner_text().split("/")[0]
    for row in sessions.all():
        expect(row).to_have_text(re.compile(rf"^{instance}/\d+: found your session \(alice\)$"))
    for row in tokens.all():
        expect(row).to_have_text(re.compile(rf"^{instance}/\d+: accepted your token \(alice\)$"))
    expect(page.locator("[data-probe-summary]")).to_have_text(
        "1 instance answered. The session was found in 6 of 6 requests; the token was "
        "accepted in 6 of 6 requests."
    )


def test_without_a_token_the_page_says_there_was_none_to_send(page, base):
    page.goto(f"{base}/lab/scale")
    send_requests(page)
    expect(page.locator("[data-probe-jwt] li")).to_have_text(["no token: this browser holds none"])
    expect(page.locator("[data-probe-session] li")).to_have_count(6)
    expect(page.locator("[data-probe-summary]")).to_have_text(
        "1 instance answered. The session was found in 0 of 6 requests; there was no token to send."
    )


@pytest.mark.parametrize("cluster", ["memory"], indirect=True)
def test_with_memory_sessions_one_instance_knows_the_visitor_and_the_other_does_not(page, cluster):
    session_login(page, cluster.url, land=False)
    page.goto(f"{cluster.url}/lab/scale")
    send_requests(page)
    rows = page.locator("[data-probe-session] li")
    expect(rows).to_have_count(6)
    texts = rows.all_inner_texts()
    found = {text.split("/")[0] for text in texts if text.endswith("found your session (alice)")}
    unknown = {text.split("/")[0] for text in texts if text.endswith("does not know your session")}
    assert len(found) == 1 and len(unknown) == 1 and found != unknown, texts
    expect(page.locator("[data-probe-summary]")).to_contain_text(
        "2 instances answered. The session was found in 3 of 6 requests"
    )


@pytest.mark.parametrize("cluster", ["jwt"], indirect=True)
def test_an_instance_with_another_key_refuses_the_token_the_others_accept(page, cluster):
    jwt_login(page, cluster.url)
    page.goto(f"{cluster.url}/lab/scale")
    send_requests(page)
    rows = page.locator("[data-probe-jwt] li").all_inner_texts()
    accepted = {row.split("/")[0] for row in rows if "accepted your token (alice)" in row}
    refused = {row.split("/")[0] for row in rows if "names a key this server does not have" in row}
    assert len(rows) == 6 and accepted and refused, rows
    assert accepted.isdisjoint(refused), rows
    # app-1 and app-2 share the key, app-3 has its own: they split accordingly.
    assert {frozenset(accepted), frozenset(refused)} == {
        frozenset({"app-1", "app-2"}),
        frozenset({"app-3"}),
    }, rows
