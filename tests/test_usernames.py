"""Usernames in any alphabet, one spelling per name (NFKC), the same rules everywhere."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.credentials import is_valid_username, normalise_username
from app.extensions import db
from app.models import User
from harness.actions import JwtActions, SessionActions, csrf_token_from


def sign_up(client, username: str, password: str = "correct horse") -> int:
    page = client.get("/account/signup").get_data(as_text=True)
    data = {"username": username, "password": password, "csrf_token": csrf_token_from(page)}
    return client.post("/account/signup", data=data).status_code


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ａｌｉｃｅ", "alice"),  # full-width forms
        ("ALICE", "alice"),
        ("  Alice ", "alice"),
        ("ᄒᆞᆫ글", "ᄒᆞᆫ글"),  # archaic jamo stay as they are
        ("한글", "한글"),
        ("한글", "한글"),  # conjoining jamo compose into syllables
        ("Ⅻ-club", "xii-club"),  # compatibility forms fold to the plain letters
    ],
)
def test_look_alike_forms_of_a_name_are_one_name(typed, stored):
    assert normalise_username(typed) == stored


@pytest.mark.parametrize("name", ["김철수", "müller", "ελένη", "дима_7", "ab-c", "名前です"])
def test_letters_of_any_alphabet_make_a_valid_username(name):
    assert is_valid_username(normalise_username(name))


@pytest.mark.parametrize(
    "name", ["ab", "a" * 33, "bad name", "dot.ted", "١٢٣abc", "😀smile", "\u0301ab"]
)
def test_what_is_not_a_username(name):
    assert not is_valid_username(normalise_username(name))


def test_a_hangul_username_signs_up_and_signs_in_under_both_schemes(app, client):
    assert sign_up(client, "김철수") == 302
    with app.app_context():
        assert db.session.execute(select(User.username)).scalars().all()[-1] == "김철수"
    assert SessionActions(app.test_client()).login("김철수", "correct horse").status_code == 302
    token = JwtActions(app.test_client()).token("김철수", "correct horse")
    me = JwtActions(app.test_client()).get("/jwt/api/me", token).get_json()
    assert me["username"] == "김철수"


def test_a_full_width_spelling_of_a_taken_name_is_the_same_name(client):
    assert sign_up(client, "ａｌｉｃｅ") == 400  # alice exists
    page = client.get("/account/signup").get_data(as_text=True)
    assert "That username is taken." in client.post(
        "/account/signup",
        data={
            "username": "ALICE",
            "password": "correct horse",
            "csrf_token": csrf_token_from(page),
        },
    ).get_data(as_text=True)


@pytest.mark.parametrize("typed", ["ａｌｉｃｅ", "ALICE", "Alice"])
def test_both_logins_accept_any_spelling_of_the_name(app, typed):
    assert SessionActions(app.test_client()).login(typed, "wonderland").status_code == 302
    assert JwtActions(app.test_client()).token(typed, "wonderland")
