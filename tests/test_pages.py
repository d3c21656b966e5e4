"""Home, inspect, sign-up, health and error pages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import User


def test_home_explains_both_schemes_with_flows_and_the_comparison(client):
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for flow in ("session-creation", "session-usage", "jwt-creation", "jwt-usage"):
        assert f'data-flow="{flow}"' in html
    for question in (
        "Where does the user&#39;s data live?",
        "What does the client send with each request?",
        "Does each request need the database?",
        "Can the client read the auth data?",
        "How easily does it scale out?",
    ):
        assert question in html
    for anchor in ("server-keeps", "browser-sends", "cost", "js-reads", "scaling"):
        assert f'href="/inspect#{anchor}"' in html


def test_every_comparison_link_points_at_a_real_section_of_inspect(client):
    inspect_html = client.get("/inspect").get_data(as_text=True)
    for anchor in ("server-keeps", "browser-sends", "cost", "js-reads", "scaling"):
        assert f'id="{anchor}"' in inspect_html


def test_pages_use_no_inline_script_and_a_strict_csp(client):
    pages = ("/", "/session/login", "/jwt/login", "/jwt/profile", "/inspect", "/account/signup")
    for path in pages:
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "<script>" not in html and "onclick=" not in html and "onload=" not in html
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert "http://" not in html.replace("http://www.w3.org", "")  # no CDN
        assert "https://" not in html


def test_inspect_when_signed_in_under_neither(client):
    html = client.get("/inspect").get_data(as_text=True)
    assert "No signed-in session for this browser" in html
    assert "data-nav-authorization>absent" in html


def test_inspect_with_a_session_shows_the_record_and_masked_cookie(client, session_auth):
    session_auth.login()
    sid = client.get_cookie("lab_session").value
    html = client.get("/inspect").get_data(as_text=True)
    assert "lab_session" in html
    assert sid[:6] + "…" in html  # masked: a recognisable prefix only
    assert sid not in html
    assert "session:" + sid[:6] in html
    assert "alice" in html


def test_inspect_echo_reports_what_a_fetch_carried(client, session_auth, jwt_auth):
    session_auth.login()
    token = jwt_auth.token("bob", "builder")
    body = client.get(
        "/inspect/api/request", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    assert [c["name"] for c in body["cookies"]] == ["lab_session"]
    assert body["authorization"]["present"] is True
    assert body["authorization"]["scheme"] == "Bearer"
    assert token not in str(body)  # masked, never the whole token
    assert body["session"]["authenticated"] is True and body["session"]["username"] == "alice"
    jwt_part = {k: v for k, v in body["jwt"].items() if k != "trace"}
    assert jwt_part == {
        "present": True,
        "valid": True,
        "username": "bob",
        "exp": body["jwt"]["exp"],
    }
    assert body["server_stores_for_jwt"] is None


def test_inspect_echo_with_a_bad_token_says_why(client):
    body = client.get("/inspect/api/request", headers={"Authorization": "Bearer a.b.c"}).get_json()
    assert body["jwt"]["valid"] is False and body["jwt"]["reason"]


def test_signup_creates_a_user_who_can_use_both_schemes(app, client, jwt_auth, session_auth):
    from tests.helpers import csrf_token_from

    token = csrf_token_from(client.get("/account/signup").get_data(as_text=True))
    response = client.post(
        "/account/signup",
        data={
            "username": "Carol_1",
            "display_name": "  Carol \n Smith ",
            "password": "correct horse",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == "carol_1")).scalar_one()
        assert user.display_name == "Carol Smith"
        assert user.password_hash.startswith("scrypt:")
        assert "correct horse" not in user.password_hash
    assert session_auth.login("carol_1", "correct horse").status_code == 302
    assert jwt_auth.token("carol_1", "correct horse")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"username": "ab", "password": "long enough"}, "Username must be 3–32 characters"),
        ({"username": "a" * 33, "password": "long enough"}, "Username must be 3–32 characters"),
        ({"username": "bad name", "password": "long enough"}, "Username must be"),
        ({"username": "ünïcode", "password": "long enough"}, "Username must be"),
        ({"username": "dave", "password": "short"}, "at least 8 characters"),
        ({"username": "dave", "password": "x" * 300}, "at most 256 characters"),
        ({"username": "alice", "password": "long enough"}, "That username is taken."),
        (
            {"username": "dave", "password": "long enough", "display_name": "x" * 65},
            "at most 64 characters",
        ),
        (
            {"username": "dave", "password": "long enough", "display_name": "bad\u202ename"},
            "cannot be shown",
        ),
        ({"username": "", "password": "long enough"}, "This field is required."),
    ],
)
def test_signup_shows_clear_per_field_errors(app, client, fields, message):
    from tests.helpers import csrf_token_from

    with app.app_context():
        before = db.session.execute(select(User.id)).all()
    token = csrf_token_from(client.get("/account/signup").get_data(as_text=True))
    response = client.post("/account/signup", data={**fields, "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert 'aria-invalid="true"' in html
    with app.app_context():
        assert db.session.execute(select(User.id)).all() == before


def test_healthz_makes_a_real_database_round_trip(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path, monkeypatch):
    from app import create_app
    from tests.conftest import make_test_config

    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    missing = tmp_path / "no-such-dir" / "lab.sqlite3"
    client = create_app(make_test_config(missing)).test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"
    # A page that needs the database says so calmly, in HTML, with no traceback.
    page = client.get("/jwt/login")
    assert page.status_code == 200
    login = client.post("/jwt/api/token", json={"username": "alice", "password": "wonderland"})
    assert login.status_code == 503
    assert login.get_json()["error"] == "database_unavailable"


def test_unknown_pages_get_html_and_unknown_api_routes_get_json(client):
    page = client.get("/no/such/page")
    assert page.status_code == 404
    assert page.mimetype == "text/html"
    assert "There is no page at this address." in page.get_data(as_text=True)
    api = client.get("/jwt/api/nope")
    assert api.status_code == 404
    assert api.get_json()["error"] == "not_found"


def test_a_browser_asking_for_json_gets_json_errors(client):
    response = client.get("/nowhere", headers={"Accept": "application/json"})
    assert response.get_json()["error"] == "not_found"


def test_oversized_form_gets_413_html(client):
    response = client.post("/session/login", data={"username": "a" * 100_000, "password": "x"})
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "too large" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path", ["/", "/session/login", "/jwt/login", "/jwt/profile", "/inspect", "/account/signup"]
)
def test_every_page_has_the_navigation_bar(client, path):
    html = client.get(path).get_data(as_text=True)
    for link in ('href="/"', 'href="/jwt/profile"', 'href="/inspect"', 'href="/account/signup"'):
        assert link in html


@pytest.mark.parametrize(
    "path", ["/", "/inspect", "/session/login", "/jwt/profile", "/account/signup", "/nowhere"]
)
def test_pages_are_never_cached(client, path):
    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(client):
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"


def test_sql_errors_are_logged_without_their_parameters(app):
    with app.app_context():
        assert db.engine.hide_parameters is True
