"""What each scheme costs per request, counted from real SQL statements, and shown as measured."""

from __future__ import annotations

import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models import SessionRecord
from app.tracing import RecentAuthCosts
from harness.actions import SessionActions
from tests.helpers import flow_marks

SERVER_TIMING = re.compile(r'(\w+);desc="([^"]*)";dur=([\d.]+)')


def timing_entries(response) -> dict[str, tuple[str, float]]:
    header = response.headers["Server-Timing"]
    return {name: (desc, float(dur)) for name, desc, dur in SERVER_TIMING.findall(header)}


def test_read_only_session_request_is_one_store_read_and_no_write(
    client, session_auth, sql_counter
):
    session_auth.login()
    client.get("/session/profile")  # the first page after login shows (and so clears) a flash
    for _ in range(3):
        sql_counter.reset()
        response = client.get("/session/api/me")
        assert response.status_code == 200
        assert len(sql_counter.statements) == 1, sql_counter.statements
        assert "FROM sessions" in sql_counter.statements[0]
        assert sql_counter.writes == []
        assert "Set-Cookie" not in response.headers


def test_session_user_comes_from_the_record_without_a_user_query(client, session_auth, sql_counter):
    session_auth.login()
    client.get("/session/profile")
    sql_counter.reset()
    body = client.get("/session/api/me?trace=1").get_json()
    assert body["display_name"] == "Alice Liddell"
    assert not any("FROM users" in s for s in sql_counter.statements)
    steps = {step["key"]: step for step in body["trace"]["steps"]}
    assert steps["user_info"]["detail"].startswith("from the session record")


def test_profile_page_is_one_session_read_plus_the_data_query(client, session_auth, sql_counter):
    session_auth.login()
    client.get("/session/profile")
    sql_counter.reset()
    assert client.get("/session/profile").status_code == 200
    assert len(sql_counter.reads) == 2 and sql_counter.writes == []
    assert "FROM sessions" in sql_counter.statements[0]
    assert "FROM notes" in sql_counter.statements[1]


def test_jwt_request_needs_no_query_even_with_a_session_cookie(
    client, session_auth, jwt_auth, sql_counter
):
    session_auth.login()  # the browser now also sends a session cookie with every request
    token = jwt_auth.token()
    sql_counter.reset()
    response = jwt_auth.get("/jwt/api/me?trace=1", token)
    assert response.status_code == 200
    assert sql_counter.statements == []
    trace = response.get_json()["trace"]
    assert trace["store"]["reads"] == 0 and trace["sql"]["count"] == 0
    assert [s["key"] for s in trace["steps"]] == ["token", "signature", "claims", "response"]


def test_sliding_expiry_writes_at_most_once_per_interval(
    app, client, session_auth, sql_counter, time_machine
):
    session_auth.login()
    client.get("/session/profile")
    with app.app_context():
        first_expiry = db.session.execute(select(SessionRecord.expiry)).scalar_one()

    interval = app.config["SESSION_REFRESH_INTERVAL"]
    time_machine.move_to(datetime.now(UTC) + interval + timedelta(seconds=1))
    sql_counter.reset()
    refreshed = client.get("/session/api/me")
    assert refreshed.status_code == 200
    assert len(sql_counter.writes) == 1 and sql_counter.writes[0].startswith("UPDATE sessions")
    assert "lab_session=" in refreshed.headers["Set-Cookie"]  # the cookie's expiry moves too
    with app.app_context():
        assert db.session.execute(select(SessionRecord.expiry)).scalar_one() > first_expiry

    # Within the next interval, reads stay reads.
    sql_counter.reset()
    client.get("/session/api/me")
    assert sql_counter.writes == []


def test_server_timing_on_session_and_jwt_responses(client, session_auth, jwt_auth):
    session_auth.login()
    client.get("/session/profile")
    session_timing = timing_entries(client.get("/session/api/me"))
    assert session_timing["auth"][0] == "session lookup (sql)"
    assert session_timing["db"][0] == "1 reads, 0 writes"
    assert session_timing["auth"][1] > 0

    jwt_timing = timing_entries(jwt_auth.get("/jwt/api/me", jwt_auth.token()))
    assert jwt_timing["auth"][0] == "jwt verify"
    assert jwt_timing["db"][0] == "0 reads, 0 writes"
    assert "app" in jwt_timing


@pytest.mark.parametrize(
    "path", ["/", "/inspect", "/session/login", "/jwt/profile", "/healthz", "/static/css/site.css"]
)
def test_every_page_carries_server_timing(client, path):
    assert "db;desc=" in client.get(path).headers["Server-Timing"]


def test_server_timing_counts_the_writes_of_a_login(client):
    response = SessionActions(client).login()
    desc = timing_entries(response)["db"][0]
    reads, writes = (int(n) for n in re.findall(r"\d+", desc))
    assert writes >= 2  # the old record deleted, the new one written


def test_pages_show_this_requests_measured_steps(client, session_auth):
    session_auth.login()
    html = client.get("/session/profile").get_data(as_text=True)
    assert re.search(r'data-step="store_lookup"[^<]*>.*?[\d.]+ ms', html, re.S)
    home = client.get("/").get_data(as_text=True)
    assert "lit by this page load, measured" in home
    assert re.search(
        r"session auth took [\d.]+ ms, with\s+1 read and\s+0 writes in the SQL store", home
    )


def test_json_bodies_carry_the_trace_only_when_asked(jwt_auth):
    token = jwt_auth.token()
    assert "trace" not in jwt_auth.get("/jwt/api/me", token).get_json()
    traced = jwt_auth.get("/jwt/api/me?trace=1", token).get_json()["trace"]
    assert traced["scheme"] == "jwt" and traced["auth_ms"] > 0


def test_recent_costs_are_bounded_and_summarised():
    costs = RecentAuthCosts(limit=5)
    for ms in range(100):
        costs.add("jwt", float(ms))
    costs.add("session", 2.0)
    summary = costs.summary()
    assert summary["jwt"] == {"count": 5, "median_ms": 97.0, "worker_pid": os.getpid()}
    assert summary["session"] == {"count": 1, "median_ms": 2.0, "worker_pid": os.getpid()}


def test_recent_costs_feed_the_inspect_page_without_touching_the_database(
    client, jwt_auth, sql_counter
):
    token = jwt_auth.token()
    for _ in range(3):
        jwt_auth.get("/jwt/api/me", token)
    sql_counter.reset()
    html = client.get("/inspect").get_data(as_text=True)
    assert re.search(r"Median auth cost [\d.]+ ms over the last\s+3 token requests", html)
    assert sql_counter.writes == []


def test_sqlite_runs_in_wal_mode(app):
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 5000


def test_concurrent_workers_never_hit_database_is_locked(tmp_path):
    """Two gunicorn workers, logins (writes) and reads racing: every answer is a success."""
    import http.cookiejar
    import urllib.request

    from harness.servers import GunicornServer, app_environment, prepare_database

    env = app_environment(tmp_path)
    prepare_database(env)
    server = GunicornServer(env, workers=2)
    failures: list[str] = []
    lock = threading.Lock()

    def visitor(n: int) -> None:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(f"{server.url}/session/login", timeout=20).read().decode()
        marker = 'name="csrf_token" type="hidden" value="'
        token = page.split(marker, 1)[1].split('"', 1)[0]
        # Alice and Bob in turn: eight sign-ins each, under the limit of ten per username.
        name, password = ("alice", "wonderland") if n % 2 else ("bob", "builder")
        data = f"username={name}&password={password}&csrf_token={token}".encode()
        opener.open(f"{server.url}/session/login", data=data, timeout=20).read()
        for _ in range(10):
            with opener.open(f"{server.url}/session/api/me", timeout=20) as response:
                if response.status != 200:
                    with lock:
                        failures.append(f"visitor {n}: {response.status}")

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            for future in [pool.submit(visitor, n) for n in range(16)]:
                future.result()
    finally:
        log = server.stop()
    assert failures == []
    assert "database is locked" not in log
    assert "Traceback" not in log


def test_inspect_measures_each_scheme_separately_and_feeds_no_median(
    app, client, session_auth, jwt_auth
):
    session_auth.login()
    token = jwt_auth.token()
    body = client.get(
        "/inspect/api/request", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    session_keys = [s["key"] for s in body["trace"]["steps"]]
    jwt_keys = [s["key"] for s in body["jwt"]["trace"]["steps"]]
    assert "store_lookup" in session_keys and "signature" not in session_keys
    assert jwt_keys == ["token", "signature", "claims", "response"]
    assert body["jwt"]["trace"]["store"]["reads"] == 0
    assert app.extensions["lab_recent_auth"].summary() == {}


def test_inspect_page_lights_the_session_flow_with_this_page_load(client, session_auth):
    session_auth.login()
    html = client.get("/inspect").get_data(as_text=True)
    assert "done" in flow_marks(html, "session-usage")["store_lookup"]
    assert "lit by this page load, measured" in html


@pytest.mark.parametrize(
    "path", ["/session/api/me", "/session/profile", "/session/api/notes", "/inspect", "/"]
)
def test_the_trace_counts_exactly_the_sql_the_database_ran(client, session_auth, sql_counter, path):
    """The figures on the pages come from the trace; SQLite's own log must agree with them."""
    session_auth.login()
    client.get("/session/profile")
    sql_counter.reset()
    response = client.get(path)
    reads, writes = (int(n) for n in re.findall(r"\d+", timing_entries(response)["db"][0]))
    assert (reads, writes) == (len(sql_counter.reads), len(sql_counter.writes))
    assert reads >= 1  # the session read is among them, whichever way it was run


def test_the_trace_counts_the_writes_of_a_sign_in_as_the_database_saw_them(client, sql_counter):
    page = client.get("/session/login").get_data(as_text=True)
    sql_counter.reset()
    response = SessionActions(client).submit_login(page)
    reads, writes = (int(n) for n in re.findall(r"\d+", timing_entries(response)["db"][0]))
    assert (reads, writes) == (len(sql_counter.reads), len(sql_counter.writes))
    assert writes >= 1
