"""The token lab in a real Chromium: the editor re-encodes as you type, every attack is one
click and lands on both verifiers, the weak key is cracked in the browser, and the JWT profile
checks an ES256 signature with WebCrypto and the published key."""

from __future__ import annotations

import base64
import json
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Problems, jwt_login


def open_lab(page, base: str) -> Problems:
    problems = Problems(page, base)
    page.goto(f"{base}/lab/jwt")
    expect(page.locator("[data-token-lab]")).to_have_attribute("data-ready", "true")
    return problems


def assert_no_console_errors(problems: Problems) -> None:
    """The attacks' 401s are the point; Chromium logs each one, and nothing else may appear."""
    assert [m for m in problems.console if "status of 401" not in m] == []


def verdicts(page, name: str):
    area = page.locator(f'[data-verdicts="{name}"]')
    expect(area.locator('[data-verifier="real"]')).to_be_visible()
    return area.locator('[data-verifier="naive"]'), area.locator('[data-verifier="real"]')


def decoded_part(token: str, index: int) -> dict:
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_the_page_says_the_naive_verifier_is_deliberately_broken(page, base):
    problems = open_lab(page, base)
    expect(page.locator("[data-naive-warning]")).to_contain_text(
        "The naive verifier is deliberately broken."
    )
    problems.assert_none()


def test_the_editor_decodes_re_encodes_and_explains_the_claims(page, base):
    jwt_login(page, base)
    problems = open_lab(page, base)
    page.get_by_role("button", name="Take my token").click()
    mine = page.evaluate("localStorage.getItem('access_token')")
    expect(page.locator("[data-token-input]")).to_have_value(mine)
    expect(page.locator("[data-payload-input]")).to_have_value(re.compile('"username": "alice"'))
    # Each part is coloured: header, payload, signature.
    parts = page.locator("[data-token-parts]")
    expect(parts.locator(".part-header")).to_have_text(mine.split(".")[0])
    expect(parts.locator(".part-signature")).to_have_text(mine.split(".")[2])
    # Times are shown as dates, and a missing claim says so.
    exp = decoded_part(mine, 1)["exp"]
    expect(page.locator('[data-claim-row="exp"] [data-claim-value]')).to_contain_text(f"{exp} = ")
    expect(page.locator('[data-claim-row="exp"] [data-claim-value]')).to_contain_text("UTC (in ")
    expect(page.locator('[data-claim-row="nbf"] [data-claim-value]')).to_have_text(
        "not in this token"
    )

    # Editing the payload re-encodes the token at once, with the old signature kept.
    payload = page.locator("[data-payload-input]")
    payload.fill(payload.input_value().replace('"alice"', '"mallory"'))
    token = page.locator("[data-token-input]")
    expect(token).not_to_have_value(mine)
    edited = token.input_value()
    assert decoded_part(edited, 1)["username"] == "mallory"
    assert edited.split(".")[2] == mine.split(".")[2]
    # Broken JSON is named, and the token is left as it was.
    payload.fill("{not json")
    expect(page.locator("[data-json-error]")).to_contain_text("The payload is not a JSON object")
    expect(token).to_have_value(edited)

    # Sent: the naive verifier and the real one both check the signature, and both refuse.
    page.get_by_role("button", name="Send to both verifiers").click()
    naive, real = verdicts(page, "editor")
    expect(naive).to_have_attribute("data-outcome", "refused")
    expect(real).to_have_attribute("data-outcome", "refused")
    expect(real).to_contain_text("the signature does not match")
    assert_no_console_errors(problems)


def test_a_genuine_token_sent_from_the_editor_is_accepted_by_both(page, base):
    jwt_login(page, base)
    open_lab(page, base)
    page.get_by_role("button", name="Take my token").click()
    page.get_by_role("button", name="Send to both verifiers").click()
    naive, real = verdicts(page, "editor")
    expect(naive).to_have_attribute("data-outcome", "accepted")
    expect(naive).to_contain_text("It believes this is alice, not an admin.")
    expect(real).to_have_attribute("data-outcome", "accepted")
    expect(real).to_contain_text("Accepted as alice")


def test_the_editor_signs_only_with_a_key_the_visitor_types(page, base):
    open_lab(page, base)
    page.get_by_role("button", name="Take the weak sample token").click()
    token = page.locator("[data-token-input]")
    expect(token).not_to_have_value("")
    sample = token.input_value()
    page.get_by_label("HMAC key").fill("my-own-key")
    expect(token).not_to_have_value(sample)
    signed = token.input_value()
    # The page signed HMAC-SHA256 with exactly the typed key (checked here with Python's hmac).
    import hashlib
    import hmac

    data = ".".join(signed.split(".")[:2]).encode()
    expected = base64.urlsafe_b64encode(hmac.new(b"my-own-key", data, hashlib.sha256).digest())
    assert signed.split(".")[2] == expected.rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("attack", "variant", "naive_outcome", "real_reason"),
    [
        ("none", "none", "accepted", "algorithm 'none' is not allowed"),
        ("none", "None", "accepted", "algorithm 'None' is not allowed"),
        ("none", "NONE", "accepted", "algorithm 'NONE' is not allowed"),
        ("confusion", None, "accepted", "algorithm 'HS256' is not allowed (only ES256 is)"),
        ("kid", "traversal", "accepted", "names a key this server does not have"),
        ("kid", "empty", "accepted", "names a key this server does not have (kid '')"),
        ("kid", "sql", "accepted", "names a key this server does not have"),
        ("embedded", "jwk", "accepted", "is not allowed"),
        ("embedded", "jku", "accepted", "is not allowed"),
    ],
)
def test_each_forging_attack_fools_only_the_naive_verifier(
    page, base, attack, variant, naive_outcome, real_reason
):
    problems = open_lab(page, base)
    selector = f'[data-attack="{attack}"]'
    if variant is not None:
        selector += f'[data-variant="{variant}"]'
    page.locator(selector).click()
    naive, real = verdicts(page, attack)
    expect(naive).to_have_attribute("data-outcome", naive_outcome)
    expect(naive).to_have_attribute("data-admin", "true")
    expect(real).to_have_attribute("data-outcome", "refused")
    expect(real).to_have_attribute("data-status", "401")
    expect(real).to_contain_text(real_reason)
    # The token sent is the one in the editor, for the visitor to read.
    sent = page.locator("[data-token-input]").input_value()
    assert decoded_part(sent, 1)["role"] == "admin"
    assert_no_console_errors(problems)


def test_the_tamper_attack_needs_a_token_and_is_refused_by_both(page, base):
    open_lab(page, base)
    page.locator('[data-attack="tamper"]').click()
    expect(page.locator('[data-verdicts="tamper"] [data-problem]')).to_contain_text(
        "sign in under JWT"
    )

    jwt_login(page, base)
    open_lab(page, base)
    page.locator('[data-attack="tamper"]').click()
    naive, real = verdicts(page, "tamper")
    expect(naive).to_have_attribute("data-outcome", "refused")
    expect(naive).to_contain_text("the signature does not match")
    expect(real).to_contain_text("the signature does not match")
    assert decoded_part(page.locator("[data-token-input]").input_value(), 1)["username"] == "bob"


def test_the_weak_key_is_cracked_in_the_browser_and_the_forgery_fools_only_the_naive_verifier(
    page, base, live_server
):
    from app.token_lab.naive import weak_key

    problems = open_lab(page, base)
    page.locator('[data-attack="weak"]').click()
    naive, real = verdicts(page, "weak")
    with live_server.app.app_context():
        word = weak_key()
    status = page.locator("[data-crack-status]")
    expect(status).to_have_attribute("data-cracked", word)
    expect(status).to_contain_text(f'Found the key "{word}"')
    expect(page.get_by_label("HMAC key")).to_have_value(word)
    expect(naive).to_have_attribute("data-outcome", "accepted")
    expect(naive).to_have_attribute("data-admin", "true")
    expect(naive).to_contain_text("the lab's weak key")
    expect(real).to_have_attribute("data-outcome", "refused")
    expect(real).to_contain_text("names a key this server does not have (kid 'lab-weak-key')")
    assert_no_console_errors(problems)


@pytest.mark.parametrize(
    ("variant", "real_reason"),
    [
        ("expired", "the token has expired"),
        ("not_yet_valid", "the token is not valid yet"),
        ("other_audience", "the token was issued for another audience"),
    ],
)
def test_claim_attacks_fool_only_the_naive_verifier(page, base, variant, real_reason):
    jwt_login(page, base)
    open_lab(page, base)
    page.locator(f'[data-attack="claims"][data-variant="{variant}"]').click()
    naive, real = verdicts(page, "claims")
    expect(naive).to_have_attribute("data-outcome", "accepted")
    expect(naive).to_contain_text("no exp, nbf or aud")
    expect(real).to_contain_text(real_reason)


def test_claim_attacks_work_from_a_token_kept_in_the_httponly_cookie(page, base):
    jwt_login(page, base, storage="cookie")
    open_lab(page, base)
    page.locator('[data-attack="claims"][data-variant="expired"]').click()
    naive, real = verdicts(page, "claims")
    expect(naive).to_have_attribute("data-outcome", "accepted")
    expect(real).to_contain_text("the token has expired")
    # The tampering attack cannot start from a token no script can read, and says why.
    page.locator('[data-attack="tamper"]').click()
    expect(page.locator('[data-verdicts="tamper"] [data-problem]')).to_contain_text(
        "HttpOnly cookie"
    )


def es256_token(live_server, **changes) -> str:
    """A token the live server's ES256 key signed, as its sign-in would with ES256 chosen."""
    import jwt

    from app.jwt_auth.keys import key_set
    from tests.helpers import good_claims

    with live_server.app.app_context():
        key = key_set().signing_key("ES256")
    return jwt.encode(
        good_claims(**changes), key.signing, algorithm="ES256", headers={"kid": key.kid}
    )


def test_the_profile_checks_an_es256_signature_in_the_browser(page, base, live_server):
    from tests.e2e.conftest import plant_token
    from tests.helpers import tampered

    token = es256_token(live_server)
    plant_token(page, base, token)
    problems = Problems(page, base)
    page.goto(f"{base}/jwt/profile")
    check = page.locator("[data-signature-check]")
    expect(check).to_have_attribute("data-signature-state", "valid")
    kid = decoded_part(token, 0)["kid"]
    expect(check).to_contain_text(f"the signature matches the public key {kid}")
    expect(check).to_contain_text("cannot make one")
    problems.assert_none()

    # The same token with its payload changed: the browser's own check catches it.
    plant_token(page, base, tampered(token))
    page.goto(f"{base}/jwt/profile")
    expect(check).to_have_attribute("data-signature-state", "invalid")
    expect(check).to_contain_text("does not match")


def test_the_profile_says_why_the_browser_cannot_check_an_hs256_signature(page, base):
    jwt_login(page, base)
    check = page.locator("[data-signature-check]")
    expect(check).to_have_attribute("data-signature-state", "hs256")
    expect(check).to_contain_text("this browser cannot check this signature")


def test_the_profile_says_when_the_key_is_not_published(page, base, live_server):
    from tests.e2e.conftest import plant_token

    token = es256_token(live_server)
    header, payload, signature = token.split(".")
    other = base64.urlsafe_b64encode(json.dumps({"alg": "ES256", "kid": "es256-retired"}).encode())
    plant_token(page, base, f"{other.rstrip(b'=').decode()}.{payload}.{signature}")
    page.goto(f"{base}/jwt/profile")
    check = page.locator("[data-signature-check]")
    expect(check).to_have_attribute("data-signature-state", "unknown-key")
    expect(check).to_contain_text('"es256-retired"')


@pytest.mark.parametrize(
    ("algorithm", "detail"),
    [("ES256", "ES256, public key es256-"), ("HS256", "HS256, key on server")],
)
def test_the_profile_trace_times_the_signature_step_for_each_algorithm(
    page, base, algorithm, detail
):
    jwt_login(page, base, algorithm=algorithm)
    token = page.evaluate("localStorage.getItem('access_token')")
    assert decoded_part(token, 0)["alg"] == algorithm
    step = page.locator('[data-flow="jwt-usage"] [data-step="signature"] [data-measure]')
    expect(step).to_contain_text(detail)
    expect(step).to_have_text(re.compile(r"^\d+\.\d{3} ms · "))
    state = "valid" if algorithm == "ES256" else "hs256"
    expect(page.locator("[data-signature-check]")).to_have_attribute("data-signature-state", state)
