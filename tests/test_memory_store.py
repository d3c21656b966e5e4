"""SESSION_STORE=memory: works in one process, and shows why scaling out needs a shared store."""

from __future__ import annotations

from tests.helpers import SessionActions

COOKIE = "lab_session"


def test_memory_store_signs_in_and_out(make_app, sql_counter_factory):
    app = make_app(SESSION_STORE="memory")
    client = app.test_client()
    actions = SessionActions(client)
    assert actions.login().status_code == 302
    counter = sql_counter_factory(app)
    body = client.get("/session/api/me").get_json()
    assert body["username"] == "alice" and body["store"] == "memory"
    assert counter.statements == []  # the session never touched the database
    sid = client.get_cookie(COOKIE).value
    actions.logout()
    replay = app.test_client()
    replay.set_cookie(COOKIE, sid)
    assert replay.get("/session/api/me").status_code == 401


def test_a_second_worker_does_not_know_a_memory_session(make_app):
    """What a load balancer in front of two workers would do to a per-process store."""
    first = make_app(SESSION_STORE="memory")
    second = make_app(SESSION_STORE="memory")
    client = first.test_client()
    SessionActions(client).login()
    sid = client.get_cookie(COOKIE).value
    other = second.test_client()
    other.set_cookie(COOKIE, sid)
    assert client.get("/session/api/me").status_code == 200
    assert other.get("/session/api/me").status_code == 401
