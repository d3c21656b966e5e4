"""Home, inspect, sign-up, health and error pages."""

from __future__ import annotations

import re

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
        "Where does the user's data live?",
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
        "source": "header",
        "username": "bob",
        "expires_at": body["jwt"]["expires_at"],
        "expires_in": body["jwt"]["expires_in"],
    }
    assert 0 < body["jwt"]["expires_in"] <= 300
    assert body["server_stores_for_jwt"] == {
        "access_tokens": None,
        "refresh_families": "sql",
        "denylist": "sql",
    }


def test_inspect_echo_with_a_bad_token_says_why(client):
    body = client.get("/inspect/api/request", headers={"Authorization": "Bearer a.b.c"}).get_json()
    assert body["jwt"]["valid"] is False and body["jwt"]["reason"]
    assert body["jwt"]["failed_step"] == "signature"
    failed = [s for s in body["jwt"]["trace"]["steps"] if s["failed"]]
    assert [s["key"] for s in failed] == ["signature"]


def test_signup_creates_a_user_who_can_use_both_schemes(app, client, jwt_auth, session_auth):
    from harness.actions import csrf_token_from

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
        ({"username": "ab", "password": "long enough"}, "A username has 3 to 32 characters"),
        ({"username": "a" * 33, "password": "long enough"}, "has at most 32 characters"),
        ({"username": "bad name", "password": "long enough"}, "A username has 3 to 32"),
        ({"username": "dot.ted", "password": "long enough"}, "A username has 3 to 32"),
        ({"username": "١٢٣abc", "password": "long enough"}, "A username has 3 to 32"),
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
        ({"username": "", "password": "long enough"}, "Enter a username."),
    ],
)
def test_signup_shows_clear_per_field_errors(app, client, fields, message):
    from harness.actions import csrf_token_from

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
    assert response.get_json() == {"status": "ok", "database": "ok", "session_store": "ok"}


def test_healthz_reports_a_memory_store_as_up(make_app):
    response = make_app(SESSION_STORE="memory").test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["session_store"] == "ok"


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


def test_static_files_have_a_content_hash_in_their_url_and_are_immutable(app, client):
    html = client.get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/[0-9a-f]{12}/css/site.css)"', html).group(1)
    response = client.get(css)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/static/css/site.css").status_code == 404  # only hashed URLs exist


@pytest.mark.parametrize(("accept", "encoding"), [("br", "br"), ("gzip", "gzip"), ("", None)])
def test_static_files_are_served_compressed_when_the_browser_accepts_it(
    app, client, accept, encoding
):
    url = f"{app.static_url_path}/js/inspect.js"
    plain = client.get(url).get_data()
    response = client.get(url, headers={"Accept-Encoding": accept})
    assert response.headers.get("Content-Encoding") == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    body = response.get_data()
    if encoding == "br":
        import brotli

        assert brotli.decompress(body) == plain
    elif encoding == "gzip":
        import gzip

        assert gzip.decompress(body) == plain
    else:
        assert body == plain


def test_the_static_url_changes_when_a_static_file_does(tmp_path):
    from app.static_files import static_digest

    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "a.js").write_text("export const a = 1;")
    before = static_digest(tmp_path)
    (tmp_path / "js" / "a.js").write_text("export const a = 2;")
    assert static_digest(tmp_path) != before


def test_sql_errors_are_logged_without_their_parameters(app):
    with app.app_context():
        assert db.engine.hide_parameters is True


def test_healthz_is_503_when_the_database_file_is_empty(tmp_path, monkeypatch):
    from app import create_app
    from tests.conftest import make_test_config

    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    empty = tmp_path / "empty.sqlite3"
    empty.write_bytes(b"")  # the file is there, the schema is not
    response = create_app(make_test_config(empty)).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "database": "no schema: run `flask db upgrade`",
        # The sessions live in that database: they are down with it.
        "session_store": "no schema: run `flask db upgrade`",
    }


def test_healthz_is_503_when_the_schema_is_out_of_date(app, client):
    from sqlalchemy import text

    with app.app_context():
        db.session.execute(text("UPDATE alembic_version SET version_num = 'old'"))
        db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "out of date" in response.get_json()["database"]


def test_the_readme_shows_the_health_body_the_site_really_sends(client):
    import json
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    body = json.dumps(client.get("/healthz").get_json())
    assert f"`200 {body}`" in readme


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (20, "20 seconds"),
        (60, "1 minute"),
        (90, "90 seconds"),
        (900, "15 minutes"),
        (7200, "2 hours"),
    ],
)
def test_the_jwt_login_page_states_the_token_lifetime_exactly(make_app, seconds, expected):
    from datetime import timedelta

    app = make_app(JWT_ACCESS_TOKEN_TTL=timedelta(seconds=seconds))
    html = app.test_client().get("/jwt/login").get_data(as_text=True)
    assert f"The access token expires {expected} after it is issued." in html


def test_the_flows_keep_the_study_notes_numbering(client):
    html = client.get("/").get_data(as_text=True)
    jwt_usage = html[html.index('data-flow="jwt-usage"') :]
    jwt_usage = jwt_usage[: jwt_usage.index("</figure>")]
    assert re.findall(r'<span class="step-no">([^<]+)</span>', jwt_usage) == [
        "1",
        "2a",
        "2b",
        "3",
        "4",
        "5",
    ]
    session_usage = html[html.index('data-flow="session-usage"') :]
    session_usage = session_usage[: session_usage.index("</figure>")]
    assert re.findall(r'<span class="step-no">([^<]+)</span>', session_usage) == [
        str(n) for n in range(1, 8)
    ]


def test_the_comparison_gives_the_study_notes_verdicts_with_reasons(client):
    html = client.get("/").get_data(as_text=True)
    row = html[html.index("How easily does it scale out?") :]
    row = row[: row.index("</tr>")]
    session_cell = re.search(r'data-label="Session">(.*?)</td>', row, re.S).group(1)
    jwt_cell = re.search(r'data-label="JWT">(.*?)</td>', row, re.S).group(1)
    assert "Hard" in session_cell and "store" in session_cell
    assert "Easy" in jwt_cell and "key" in jwt_cell


def test_home_medians_say_which_worker_measured_them(client, jwt_auth):
    import os

    token = jwt_auth.token()
    for _ in range(3):
        jwt_auth.get("/jwt/api/me", token)
    html = client.get("/").get_data(as_text=True)
    assert f"worker process {os.getpid()}" in html
    assert re.search(r"JWT [\d.]+ ms over 3 requests", html)


def test_screen_reader_notes_name_only_the_steps_this_request_took(client, session_auth):
    from tests.helpers import step_notes

    session_auth.login()
    html = client.get("/session/profile").get_data(as_text=True)
    usage = step_notes(html, "session-usage")
    assert usage["store_lookup"] == "(this request took this step)"
    creation = step_notes(html, "session-creation")
    assert set(creation.values()) == {"(done when you signed in, not on this request)"}
    home = client.get("/").get_data(as_text=True)
    assert set(step_notes(home, "jwt-usage").values()) == {""}  # the server lit none of them
    assert step_notes(home, "session-usage")["store_lookup"] == "(this request took this step)"
    assert step_notes(home, "session-usage")["data_query"] == ""  # home needs no data


def test_the_jwt_pages_state_both_token_lifetimes(make_app):
    from datetime import timedelta

    app = make_app(
        JWT_ACCESS_TOKEN_TTL=timedelta(minutes=2), JWT_REFRESH_TOKEN_TTL=timedelta(days=3)
    )
    client = app.test_client()
    login = " ".join(client.get("/jwt/login").get_data(as_text=True).split())
    assert "gets new access tokens for 3 days" in login
    profile = " ".join(client.get("/jwt/profile").get_data(as_text=True).split())
    assert "The access token lives 2 minutes" in profile


@pytest.mark.parametrize(
    "path", ["/", "/session/login", "/lab/scale", "/jwt/api/me", "/healthz", "/no/such/page"]
)
def test_every_answer_carries_the_security_headers(client, path):
    headers = client.get(path).headers
    assert headers["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self'")
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = dict(item.strip().split("=") for item in headers["Permissions-Policy"].split(","))
    assert {"camera", "microphone", "geolocation", "payment"} <= set(policy)
    assert set(policy.values()) == {"()"}
