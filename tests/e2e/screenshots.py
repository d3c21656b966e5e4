"""`make screenshots`: PNGs of every page at desktop (1280×800) and phone (390×844) widths.

Run as `python -m tests.e2e.screenshots docs/screenshots`. It starts its own live server with
a fresh database, signs in under both schemes where a page needs it, and saves full-page shots.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from harness.cluster import start_cluster
from harness.servers import find_binary
from tests.e2e.conftest import jwt_login, plant_token, session_login
from tests.e2e.server import CHROMIUM_ARGS, find_chromium, start_live_server
from tests.helpers import tampered

VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}
# The Korean pages too (file names end in -ko), in a browser whose language is Korean.
KOREAN_PAGES = (
    "home",
    "session-profile",
    "jwt-profile",
    "jwt-profile-refused",
    "jwt-profile-replayed",
    "jwt-profile-thief",
    "inspect-both",
    "scale",
    "browser-lab",
    "devices",
    "token-lab",
)
# (file name, path, state: None, "session", "jwt", "both", "tampered", "signed out", "cookie",
# "replayed", "thief", "session replayed", "scale", "injected", "csrf", "devices" or "attacks")
PAGES = [
    ("home", "/", None),
    ("session-login", "/session/login", None),
    ("session-profile", "/session/profile", "session"),
    ("jwt-login", "/jwt/login", None),
    ("jwt-profile", "/jwt/profile", "jwt"),
    ("jwt-profile-refused", "/jwt/profile", "tampered"),
    ("jwt-profile-signed-out", "/jwt/profile", "signed out"),
    ("jwt-profile-cookie", "/jwt/profile", "cookie"),
    ("jwt-profile-replayed", "/jwt/profile", "replayed"),
    ("jwt-profile-thief", "/jwt/profile", "thief"),
    ("session-replayed", "/session/replay", "session replayed"),
    ("inspect-cookie", "/inspect", "cookie"),
    ("inspect-both", "/inspect", "both"),
    ("inspect-neither", "/inspect", None),
    ("inspect-refused", "/inspect", "tampered"),
    ("scale", "/lab/scale", "scale"),
    ("browser-lab", "/lab/browser", "injected"),
    ("csrf-refused", "/lab/browser/csrf/target", "csrf"),
    ("attacker", "/lab/browser/attacker", None),
    ("token-lab", "/lab/jwt", "attacks"),
    ("devices", "/session/devices", "devices"),
    ("password", "/account/password", "session"),
    ("signup", "/account/signup", None),
    ("not-found", "/no/such/page", None),
]


def storage_token(page) -> str:
    return page.evaluate("localStorage.getItem('access_token')")


def take_screenshots(out_dir: Path) -> list[Path]:
    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("Chromium is not installed: apt-get install chromium")
    out_dir.mkdir(parents=True, exist_ok=True)
    saved = []
    with tempfile.TemporaryDirectory() as workdir, sync_playwright() as playwright:
        server = start_live_server(Path(workdir))
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            runs = [
                (tag, size, name, path, state, "en")
                for tag, size in VIEWPORTS.items()
                for name, path, state in PAGES
            ]
            runs += [
                (tag, size, name, path, state, "ko")
                for tag, size in VIEWPORTS.items()
                for name, path, state in PAGES
                if name in KOREAN_PAGES
            ]
            for tag, (width, height), name, path, state, language in runs:
                context = browser.new_context(
                    viewport={"width": width, "height": height},
                    locale="ko-KR" if language == "ko" else "en-US",
                )
                page = context.new_page()
                if state in ("session", "both", "session replayed", "scale", "injected", "csrf"):
                    session_login(page, server.url, language=language)
                if state in (
                    "jwt",
                    "both",
                    "tampered",
                    "signed out",
                    "replayed",
                    "thief",
                    "scale",
                    "injected",
                    "attacks",
                ):
                    jwt_login(page, server.url, language=language)
                if state == "devices":
                    session_login(page, server.url, language=language)
                    end_every_other_session(page, server.url)
                    sign_in_elsewhere(browser, server.url, language)
                if state == "cookie":
                    jwt_login(page, server.url, language=language, storage="cookie")
                if state == "tampered":
                    plant_token(page, server.url, tampered(storage_token(page)))
                if state == "signed out":
                    page.locator("[data-jwt-logout]").click()
                if state == "replayed":
                    # The answers live on this page only: no reload after the click.
                    page.locator("[data-jwt-replay]").click()
                    page.locator('[data-replay-row="refresh"]').wait_for()
                elif state == "session replayed":
                    page.locator("[data-session-replay-button]").click()
                    page.wait_for_url(f"{server.url}{path}")
                elif state == "csrf":
                    forge_a_session_action(page, server.url)
                else:
                    page.goto(f"{server.url}{path}")
                if state == "scale":
                    send_scale_requests(page)
                if state == "injected":
                    page.locator("[data-run-injected]").click()
                    page.locator('[data-finding="session-ridden"]').wait_for()
                if state == "attacks":
                    run_some_attacks(page)
                if state == "thief":
                    play_the_thief_second(page)
                page.wait_for_load_state("networkidle")
                suffix = "-ko" if language == "ko" else ""
                target = out_dir / f"{name}{suffix}-{tag}.png"
                page.screenshot(path=target, full_page=True)
                saved.append(target)
                context.close()
            saved += cluster_screenshots(browser, Path(workdir), out_dir)
        finally:
            browser.close()
            server.stop()
    return saved


def play_the_thief_second(page) -> None:
    """Copy the refresh token as a thief, refresh here, then send the spent copy: reuse."""
    page.locator("[data-thief-copy]").click()
    page.locator("[data-thief-use]:enabled").wait_for()
    page.locator("[data-refresh-now]").click()
    page.locator("[data-refresh-log] li.done").wait_for()
    page.locator("[data-thief-use]").click()
    page.locator("[data-thief-result].failed").wait_for()
    page.locator("[data-family] .state-revoked").first.wait_for()


def sign_in_elsewhere(browser, base: str, language: str) -> None:
    """Sign alice in from another browser, so that the device list has two lines."""
    phone = browser.new_context(
        locale="ko-KR" if language == "ko" else "en-US",
        user_agent="Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/150.0.0.0 Mobile Safari/537.36",
    )
    session_login(phone.new_page(), base, language=language)
    phone.close()


def run_some_attacks(page) -> None:
    """The token lab after two attacks: the cracked weak key, and algorithm confusion."""
    page.locator('[data-token-lab][data-ready="true"]').wait_for()
    page.locator('[data-attack="weak"]').click()
    page.locator('[data-verdicts="weak"] [data-verifier="real"]').wait_for()
    page.locator('[data-attack="confusion"]').click()
    page.locator('[data-verdicts="confusion"] [data-verifier="real"]').wait_for()


def end_every_other_session(page, base: str) -> None:
    """Alice has signed in for every earlier shot: leave only this browser."""
    page.goto(f"{base}/session/devices")
    if page.locator("[data-end-others]").count():
        page.locator("[data-end-others]").click()
        page.wait_for_load_state()


def forge_a_session_action(page, base: str) -> None:
    """The CSRF demo: relax the demo cookie, then send the attacker's form from the other site."""
    page.goto(f"{base}/lab/browser")
    page.locator('button[name="samesite"][value="None"]').click()
    page.locator("[data-attacker-link]").click()
    page.locator("[data-forge-session]").click()
    page.locator("[data-csrf-result]").wait_for()


def send_scale_requests(page) -> None:
    page.locator("[data-probe]").click()
    # A count in the summary: every answer is in. (A locator, not a script: the CSP forbids eval.)
    page.locator("[data-probe-summary]").filter(has_text=re.compile(r"[0-9]")).wait_for()


def cluster_screenshots(browser, workdir: Path, out_dir: Path) -> list[Path]:
    """/lab/scale on `make cluster SETUP=memory`: one instance knows the visitor, one does not."""
    if find_binary("nginx") is None:
        print("nginx is not installed: no screenshot of the memory cluster", file=sys.stderr)
        return []
    cluster = start_cluster("memory", workdir / "cluster")
    saved = []
    try:
        for tag, (width, height) in VIEWPORTS.items():
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            session_login(page, cluster.url, land=False)
            page.goto(f"{cluster.url}/lab/scale")
            send_scale_requests(page)
            target = out_dir / f"scale-cluster-memory-{tag}.png"
            page.screenshot(path=target, full_page=True)
            saved.append(target)
            context.close()
    finally:
        cluster.stop()
    return saved


if __name__ == "__main__":
    destination = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    for file in take_screenshots(destination):
        print(file)
