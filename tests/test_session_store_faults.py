"""A session store that misbehaves: corrupt records, races with logout, clocks that jump,
and errors in the middle of a request. None of it may give a 500 or resurrect a session."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import pytest
from flask import request as flask_request
from redis import Redis
from sqlalchemy import select, update

from app.extensions import db
from app.models import SessionRecord
from app.redis_client import FAILURES_TO_OPEN
from harness.actions import SESSION_COOKIE, JwtActions, SessionActions, csrf_token_from
from harness.servers import RedisServer, free_port
from tests.availability import require_binary


class Boom:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def app_with_store(request, make_app, kind: str):
    """An app whose sessions live in `kind`; a Redis store starts empty."""
    if kind != "redis":
        return make_app(SESSION_STORE=kind)
    server = request.getfixturevalue("redis_server")
    Redis.from_url(server.url).flushdb()
    return make_app(SESSION_STORE="redis", REDIS_URL=server.url)


@pytest.fixture(params=["sql", "redis", "memory"])
def store_app(request, make_app):
    return app_with_store(request, make_app, request.param)


def overwrite_record(app, sid: str, payload: bytes) -> None:
    key = f"session:{sid}"
    if app.config["SESSION_STORE"] == "sql":
        with app.app_context():
            db.session.execute(
                update(SessionRecord).where(SessionRecord.session_id == key).values(data=payload)
            )
            db.session.commit()
    else:
        Redis.from_url(app.config["REDIS_URL"]).set(key, payload)


def record_exists(app, sid: str) -> bool:
    key = f"session:{sid}"
    kind = app.config["SESSION_STORE"]
    if kind == "sql":
        with app.app_context():
            found = db.session.execute(
                select(SessionRecord.id).where(SessionRecord.session_id == key)
            ).first()
            return found is not None
    if kind == "redis":
        return Redis.from_url(app.config["REDIS_URL"]).exists(key) == 1
    return app.session_interface.cache.has(key)


@pytest.fixture(params=["sql", "redis"])
def signed_in_byte_store(request, make_app):
    """Alice signed in, with a store that keeps bytes (SQL or Redis): (app, client, sid)."""
    app = app_with_store(request, make_app, request.param)
    client = app.test_client()
    SessionActions(client).login()
    return app, client, client.get_cookie(SESSION_COOKIE).value


@pytest.mark.parametrize(
    "payload",
    [b"\x80garbage", b"\x01", b"", b"\x93\x01\x02\x03", b"not msgpack at all", b"[1,2]"],
)
def test_an_unreadable_record_is_a_miss_not_a_500(signed_in_byte_store, payload):
    app, client, sid = signed_in_byte_store
    overwrite_record(app, sid, payload)
    response = client.get("/session/api/me")
    assert response.status_code == 401
    assert client.get("/session/profile").status_code == 302
    assert not record_exists(app, sid) or payload == b""


def test_a_pickled_record_is_never_unpickled(signed_in_byte_store, tmp_path):
    app, client, sid = signed_in_byte_store
    marker = tmp_path / "pwned"
    overwrite_record(app, sid, pickle.dumps(Boom(str(marker))))
    assert client.get("/session/api/me").status_code == 401
    assert not marker.exists()


def move_clock(time_machine, seconds: float) -> None:
    time_machine.move_to(datetime.now(UTC) + timedelta(seconds=seconds))


@pytest.fixture(params=["sql", "redis", "memory"])
def racing_app(request, make_app):
    """A store app with a hook that signs the same session out from another tab while a
    request sits between its read and its write; `race["armed"] = True` arms it once."""
    app = app_with_store(request, make_app, request.param)
    race = {"armed": False, "other_tab": app.test_client(), "form": None}

    # Registered after the store's own hook, so it runs first: between the store's read (at
    # the start of the request) and its refresh write (after the view).
    @app.after_request
    def sign_out_meanwhile(response):
        if race["armed"] and flask_request.path == "/session/api/me":
            race["armed"] = False
            data = {"csrf_token": race["form"]}
            race["signed_out"] = race["other_tab"].post("/session/logout", data=data).status_code
        return response

    return app, race


def test_a_refresh_racing_a_sign_out_does_not_bring_the_session_back(racing_app, time_machine):
    app, race = racing_app
    client = app.test_client()
    SessionActions(client).login()
    sid = client.get_cookie(SESSION_COOKIE).value
    race["other_tab"].set_cookie(SESSION_COOKIE, sid)
    race["form"] = csrf_token_from(race["other_tab"].get("/session/logout").get_data(as_text=True))
    move_clock(time_machine, app.config["SESSION_REFRESH_INTERVAL"].total_seconds() + 5)
    race["armed"] = True
    assert client.get("/session/api/me").status_code == 200  # it read the session in time...
    assert race["signed_out"] == 302  # ...then the other tab signed out, before its refresh
    assert not record_exists(app, sid)
    replay = app.test_client()
    replay.set_cookie(SESSION_COOKIE, sid)
    assert replay.get("/session/api/me").status_code == 401


def test_a_due_refresh_extends_a_live_session(store_app, time_machine):
    client = store_app.test_client()
    SessionActions(client).login()
    move_clock(time_machine, store_app.config["SESSION_REFRESH_INTERVAL"].total_seconds() + 5)
    refreshed = client.get("/session/api/me")
    assert refreshed.status_code == 200
    assert "lab_session=" in refreshed.headers.get("Set-Cookie", "")


def test_a_timestamp_from_the_future_is_refreshed_not_frozen(store_app, time_machine):
    """A clock that ran 20 minutes ahead once (less than the idle timeout) must not stop the
    expiry from sliding afterwards."""
    client = store_app.test_client()
    SessionActions(client).login()
    start = datetime.now(UTC)
    time_machine.move_to(start + timedelta(minutes=20), tick=False)
    assert client.get("/session/api/me").status_code == 200  # writes _refreshed_at 20 min ahead
    time_machine.move_to(start + timedelta(seconds=10), tick=False)
    response = client.get("/session/api/me")
    assert response.status_code == 200
    # The due refresh rewrote the timestamp back to the present clock (also on SQL, where the
    # record's expiry, written 20 minutes ahead, is later than the one the refresh would set).
    later = client.get("/session/profile").get_data(as_text=True)
    assert f"&#34;_refreshed_at&#34;: {int((start + timedelta(seconds=10)).timestamp())}" in later


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own, which the test may stop."""
    server = RedisServer(require_binary("redis-server", "redis-server"), tmp_path)
    yield server
    if server.process.poll() is None:
        server.stop()


def test_redis_failing_during_login_gives_503_and_no_session(make_app, own_redis, caplog):
    app = make_app(SESSION_STORE="redis", REDIS_URL=own_redis.url)
    client = app.test_client()
    page = client.get("/session/login")  # needs no store: nobody has signed in yet
    assert page.status_code == 200
    own_redis.stop()
    response = SessionActions(client).submit_login(page.get_data(as_text=True))
    assert response.status_code == 503
    assert "session store is unavailable" in response.get_data(as_text=True)
    assert client.get_cookie(SESSION_COOKIE) is None  # no cookie for a record never stored
    lines = [r for r in caplog.records if "session store unavailable" in r.getMessage()]
    assert len(lines) == 1 and lines[0].exc_info is None


def test_a_store_outage_logs_one_line_per_failure_and_no_traceback(make_app, caplog):
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    app = make_app(SESSION_STORE="redis", REDIS_URL=dead)
    client = app.test_client()
    client.set_cookie(SESSION_COOKIE, "A" * 43)
    for _ in range(20):
        assert client.get("/session/api/me").status_code == 503
    # One line per real failure until the circuit opens, one line for its opening, and none
    # for the requests it then refused without asking Redis.
    lines = [r for r in caplog.records if "session store unavailable" in r.getMessage()]
    assert len(lines) == FAILURES_TO_OPEN
    opened = [r for r in caplog.records if "failing fast" in r.getMessage()]
    assert len(opened) == 1
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in lines + opened)
    assert "Connection refused" in lines[0].getMessage()


def test_rejected_tokens_cost_time_but_do_not_enter_the_medians(app, client, jwt_auth):
    token = jwt_auth.token()
    for _ in range(3):
        jwt_auth.get("/jwt/api/me", token)
    for _ in range(10):
        bad = jwt_auth.get("/jwt/api/me", token[:-3] + "AAA")
        assert bad.status_code == 401
        desc_ms = float(bad.headers["Server-Timing"].split("dur=", 1)[1].split(",", 1)[0])
        assert desc_ms > 0  # refusing a token is work too, and it is measured
    for _ in range(5):
        client.get("/jwt/api/me")  # no token at all
    summary = app.extensions["lab_recent_auth"].summary()
    assert summary["jwt"]["count"] == 3
    assert summary["jwt"]["median_ms"] > 0


def test_a_record_with_a_corrupt_expiry_is_a_miss(app, client, session_auth):
    from sqlalchemy import text

    session_auth.login()
    with app.app_context():
        db.session.execute(text("UPDATE sessions SET expiry = 12345"))
        db.session.commit()
    assert client.get("/session/api/me").status_code == 401


def test_an_expired_record_counts_one_read_and_one_write_timed_once(app, client, session_auth):
    session_auth.login()
    with app.app_context():
        db.session.execute(update(SessionRecord).values(expiry=datetime(2000, 1, 1)))
        db.session.commit()
    body = client.get("/inspect/api/request").get_json()
    store = body["trace"]["store"]
    assert (store["reads"], store["writes"]) == (1, 1)
    lookup = next(s for s in body["trace"]["steps"] if s["key"] == "store_lookup")
    assert store["ms"] <= lookup["ms"] + 0.001  # the delete's time is inside the read's


def test_the_trace_does_not_leak_between_requests_in_one_app_context(
    app, client, jwt_auth, session_auth
):
    token = jwt_auth.token()
    session_auth.login()
    with app.app_context():
        jwt_auth.get("/jwt/api/me?trace=1", token)  # a sessionless request
        steps = client.get("/session/api/me?trace=1").get_json()["trace"]["steps"]
        assert "signature" not in {step["key"] for step in steps}
        assert "store_lookup" in {step["key"] for step in steps}


def test_the_bare_endpoint_is_flask_alone(client):
    response = client.get("/api/ping")
    assert response.get_json() == {"pong": True}
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")


def test_a_jwt_request_with_a_session_cookie_is_still_sessionless(client, session_auth):
    session_auth.login()
    token = JwtActions(client).token()
    response = JwtActions(client).get("/jwt/api/me", token)
    assert "Set-Cookie" not in response.headers


def test_an_unreachable_sqlite_file_gives_session_pages_a_503_and_one_log_line(
    tmp_path, monkeypatch, caplog
):
    from app import create_app
    from tests.conftest import make_test_config

    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    missing = tmp_path / "no-such-folder" / "lab.sqlite3"
    client = create_app(make_test_config(missing)).test_client()
    client.set_cookie(SESSION_COOKIE, "A" * 43)
    assert client.get("/session/api/me").status_code == 503
    assert client.get("/session/profile").status_code == 503
    assert client.get("/").status_code == 200  # a page that needs no session still works
    lines = [r for r in caplog.records if "session store unavailable" in r.getMessage()]
    assert len(lines) == 3 and all(r.exc_info is None for r in lines)


def test_signing_out_while_the_store_is_down_says_so_and_keeps_the_cookie(make_app, own_redis):
    app = make_app(SESSION_STORE="redis", REDIS_URL=own_redis.url)
    client = app.test_client()
    SessionActions(client).login()
    form = csrf_token_from(client.get("/session/logout").get_data(as_text=True))
    own_redis.stop()
    response = client.post("/session/logout", data={"csrf_token": form})
    assert response.status_code == 503  # never "you were already signed out"
    assert "session store is unavailable" in response.get_data(as_text=True)
    assert client.get_cookie(SESSION_COOKIE) is not None


def test_a_sign_in_whose_old_record_cannot_be_deleted_moves_no_identity(make_app, own_redis):
    """Bob is signed in; Alice signs in on the same browser while Redis refuses DEL. The
    sign-in fails with a 503, and Bob's old session ID must not come to belong to Alice."""
    app = make_app(SESSION_STORE="redis", REDIS_URL=own_redis.url)
    client = app.test_client()
    SessionActions(client).login("bob")
    bobs_id = client.get_cookie(SESSION_COOKIE).value
    form = client.get("/session/login").get_data(as_text=True)
    admin = Redis.from_url(own_redis.url)
    admin.execute_command("ACL", "SETUSER", "default", "-del")
    try:
        response = SessionActions(client).submit_login(form)
    finally:
        admin.execute_command("ACL", "SETUSER", "default", "+del")
    assert response.status_code == 503
    replay = app.test_client()
    replay.set_cookie(SESSION_COOKIE, bobs_id)
    assert replay.get("/session/api/me").get_json()["username"] == "bob"
