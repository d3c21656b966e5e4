"""The main journeys in Korean, in a real Chromium whose language is Korean: both sign-ins,
/inspect in every state, the JWT profile with a refused token, the notices that count down
and follow other tabs. Every page, including what its
modules write, must read as Korean, with the same checks as in English."""

from __future__ import annotations

import re
import subprocess
import time

import pytest
from playwright.sync_api import expect

from tests.availability import require_installed
from tests.e2e.conftest import (
    Problems,
    expired_token,
    jwt_login,
    plant_token,
    server_token,
    session_login,
)
from tests.e2e.test_every_page import assert_accessible
from tests.helpers import tampered
from tests.test_i18n import HANGUL, english_words_left

# The text a reader reads, as the page's scripts left it: no code, token or user data.
READABLE_TEXT = """() => {
  const copy = document.body.cloneNode(true);
  for (const node of copy.querySelectorAll(
    "script, style, noscript, code, pre, bdi, [data-language-switch], [data-token-parts]"
  )) node.remove();
  const labels = [...document.querySelectorAll("[aria-label], [title]")]
    .filter((el) => !el.closest("[data-language-switch]"))
    .map((el) => `${el.getAttribute("aria-label") ?? ""} ${el.getAttribute("title") ?? ""}`);
  return [copy.innerText, ...labels].join("\\n");
}"""


@pytest.fixture(scope="module", autouse=True)
def korean_font():
    """Hangul glyphs, so that line wrapping (and the 390 px check) is measured for real."""
    listed = subprocess.run(["fc-list", ":lang=ko"], capture_output=True, text=True).stdout
    require_installed(listed.strip() or None, "A Korean font", "fonts-nanum")


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "ko-KR"}


def korean_session_login(page, base: str) -> None:
    session_login(page, base, language="ko")


def korean_jwt_login(page, base: str) -> None:
    jwt_login(page, base, language="ko")


def assert_reads_as_korean(page, label: str) -> None:
    text = page.evaluate(READABLE_TEXT)
    assert page.evaluate("document.documentElement.lang") == "ko", label
    assert len(HANGUL.findall(text)) > 30, label
    assert english_words_left(text.splitlines()) == [], label


def assert_fits_a_phone(page, label: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{label} scrolls sideways by {overflow}px at 390px"


STATES = {
    "signed out": [],
    "session": ["session"],
    "jwt": ["jwt"],
    "both": ["session", "jwt"],
    "refused": ["refused"],
    "junk": ["junk"],
}
PAGES = [
    ("/", "signed out"),
    ("/", "session"),
    ("/", "jwt"),
    ("/", "both"),
    ("/", "refused"),
    ("/session/login", "signed out"),
    ("/session/profile", "session"),
    ("/jwt/login", "signed out"),
    ("/jwt/profile", "signed out"),
    ("/jwt/profile", "jwt"),
    ("/jwt/profile", "both"),
    ("/jwt/profile", "refused"),
    ("/jwt/profile", "junk"),
    ("/inspect", "signed out"),
    ("/inspect", "session"),
    ("/inspect", "jwt"),
    ("/inspect", "both"),
    ("/inspect", "refused"),
    ("/inspect", "junk"),
    ("/account/signup", "signed out"),
]


@pytest.mark.parametrize(("path", "state"), PAGES, ids=[f"{p} [{s}]" for p, s in PAGES])
def test_korean_pages_read_as_korean_and_stay_clean(page, base, live_server, path, state):
    for step in STATES[state]:
        if step == "session":
            korean_session_login(page, base)
        elif step == "jwt":
            korean_jwt_login(page, base)
        elif step == "refused":
            plant_token(page, base, tampered(server_token(live_server)))
        elif step == "junk":
            plant_token(page, base, "hello")
    problems = Problems(page, base)
    page.goto(f"{base}{path}")
    page.wait_for_load_state("networkidle")
    label = f"{path} [{state}]"
    assert_reads_as_korean(page, label)
    problems.assert_none()
    assert_accessible(page, label)
    assert_fits_a_phone(page, label)


def test_a_refused_token_is_explained_in_korean(page, base, live_server):
    plant_token(page, base, expired_token(live_server))
    page.goto(f"{base}/jwt/profile")
    refusal = page.locator("[data-refusal]")
    expect(refusal).to_contain_text("2b단계(클레임 확인)")
    expect(refusal).to_contain_text("토큰이 만료되었습니다")
    expect(page.locator("[data-jwt-status]")).to_have_text("JWT: 거부됨")
    expect(page.locator("[data-countdown]")).to_contain_text("만료됨")


def test_the_switch_changes_the_language_and_keeps_the_page(page, base):
    korean_session_login(page, base)
    page.goto(f"{base}/inspect")
    page.get_by_role("navigation", name="언어").get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.url.startswith(f"{base}/inspect")
    expect(page.locator("[data-session-status]")).to_have_text("Session: alice")  # still signed in
    assert "lang=en" in page.evaluate("document.cookie")  # a preference scripts may read
    page.get_by_role("navigation", name="Language").get_by_role("link", name="한국어").click()
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.locator("[data-session-status]")).to_have_text("세션: alice")


def test_the_signed_out_notice_counts_down_in_korean(page, base, live_server):
    now = int(time.time())
    plant_token(page, base, server_token(live_server, iat=now, exp=now + 75))
    page.goto(f"{base}/jwt/profile")
    page.get_by_role("button", name="로그아웃", exact=True).click()
    validity = page.locator("[data-signed-out-validity]")
    expect(validity).to_contain_text("동안 무상태 방식의 GET /jwt/api/me에서")
    # Korean joins the units with a space: "1분 14초", never "1분, 14초".
    assert re.search(r"\d+분 \d+초 동안", validity.inner_text()), validity.inner_text()
    assert_reads_as_korean(page, "signed-out notice")


def test_other_tabs_are_told_in_korean(context, base):
    watcher = context.new_page()
    watcher.goto(f"{base}/jwt/profile")
    session_tab = context.new_page()
    korean_session_login(session_tab, base)
    session_watcher = context.new_page()
    session_watcher.goto(f"{base}/session/profile")
    actor = context.new_page()
    korean_jwt_login(actor, base)
    expect(watcher.locator("[data-jwt-status]")).to_have_text("JWT: alice")
    actor.get_by_role("button", name="로그아웃", exact=True).click()
    expect(watcher.locator("[data-signed-out-elsewhere]")).to_contain_text("다른 탭에서")
    expect(watcher.locator("[data-signed-out-validity]")).to_contain_text("받아들여집니다")
    assert_reads_as_korean(watcher, "token removed in another tab")
    session_tab.get_by_role("button", name="로그아웃(세션 지우기)").click()
    expect(session_watcher.locator("[data-session-status]")).to_have_text("세션: 없음")
    expect(session_watcher.locator("[data-session-changed]")).to_contain_text("세션")
    assert_reads_as_korean(session_watcher, "session ended in another tab")


def test_inspect_explains_each_cookie_a_fetch_carried_in_korean(page, base):
    page.goto(f"{base}/inspect?lang=ko")
    expect(page.locator('[data-readable-cookie="lang"]')).to_be_visible()  # set just now
    received = page.locator("[data-fetch-received]")
    expect(received).to_contain_text("언어")  # the note on the lang cookie, in Korean
    assert_reads_as_korean(page, "/inspect after choosing Korean")
