"""Sessions in a real Redis server: same behaviour, one GET per request, faults survived."""

from __future__ import annotations

import pytest
from redis import Redis

from harness.actions import SESSION_COOKIE, JwtActions, SessionActions


@pytest.fixture
def redis_client(redis_server):
    client = Redis.from_url(redis_server.url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def redis_app(make_app, redis_server, redis_client):
    return make_app(SESSION_STORE="redis", REDIS_URL=redis_server.url)


def command_counts(client: Redis) -> dict[str, int]:
    """How many times the server has run each command: counted by Redis itself."""
    stats = client.info("commandstats")
    return {name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()}


def calls_since(before: dict[str, int], after: dict[str, int], command: str) -> int:
    return after.get(command, 0) - before.get(command, 0)


def test_login_stores_the_session_in_redis_with_a_ttl(redis_app, redis_client):
    client = redis_app.test_client()
    assert SessionActions(client).login().status_code == 302
    sid = client.get_cookie(SESSION_COOKIE).value
    key = f"session:{sid}"
    assert redis_client.exists(key) == 1
    lifetime = redis_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    assert lifetime - 60 < redis_client.ttl(key) <= lifetime
    assert client.get("/session/api/me").get_json()["store"] == "redis"


def test_read_only_request_is_one_get_and_no_write_and_no_sql(redis_app, redis_client, sql_counter):
    client = redis_app.test_client()
    SessionActions(client).login()
    client.get("/session/profile")
    before = command_counts(redis_client)
    sql_counter.reset()
    response = client.get("/session/api/me")
    after = command_counts(redis_client)
    assert response.status_code == 200
    assert calls_since(before, after, "get") == 1
    for write in ("set", "setex", "del", "expire"):
        assert calls_since(before, after, write) == 0, write
    assert sql_counter.statements == []
    timing = response.headers["Server-Timing"]
    assert 'auth;desc="session lookup (redis)"' in timing
    assert 'store;desc="redis: 1 reads, 0 writes"' in timing


@pytest.fixture
def sql_counter(redis_app, sql_counter_factory):
    return sql_counter_factory(redis_app)


def test_logout_deletes_the_key_and_the_old_cookie_is_refused(redis_app, redis_client):
    client = redis_app.test_client()
    actions = SessionActions(client)
    actions.login()
    sid = client.get_cookie(SESSION_COOKIE).value
    actions.logout()
    assert redis_client.exists(f"session:{sid}") == 0
    replay = redis_app.test_client()
    replay.set_cookie(SESSION_COOKIE, sid)
    assert replay.get("/session/api/me").status_code == 401


def test_anonymous_visitors_send_redis_no_command_and_a_sign_in_writes_its_key_and_index(
    redis_app, redis_client
):
    before = command_counts(redis_client)
    for _ in range(25):
        visitor = redis_app.test_client()
        for path in ("/session/login", "/account/signup", "/inspect"):
            assert visitor.get(path).status_code == 200
    after = command_counts(redis_client)
    assert {name: n for name, n in after.items() if name != "info"} == {
        name: n for name, n in before.items() if name != "info"
    }  # only our own INFO calls: the app sent Redis nothing at all
    assert redis_client.dbsize() == 0
    client = redis_app.test_client()
    SessionActions(client).login()
    sid = client.get_cookie(SESSION_COOKIE).value
    assert set(redis_client.keys()) == {f"session:{sid}".encode(), b"session:user:1"}
    assert redis_client.smembers("session:user:1") == {f"session:{sid}".encode()}
    # The index lives as long as a session can, so it never outlives the sessions it lists.
    absolute = redis_app.config["SESSION_ABSOLUTE_TIMEOUT"].total_seconds()
    assert absolute - 5 < redis_client.ttl("session:user:1") <= absolute


def test_sessions_survive_in_redis_across_app_instances(redis_app, make_app, redis_server):
    """Two instances behind a proxy share the store, so either can serve the session."""
    client = redis_app.test_client()
    SessionActions(client).login()
    sid = client.get_cookie(SESSION_COOKIE).value
    other = make_app(SESSION_STORE="redis", REDIS_URL=redis_server.url)
    other_client = other.test_client()
    other_client.set_cookie(SESSION_COOKIE, sid)
    assert other_client.get("/session/api/me").get_json()["username"] == "alice"


def test_redis_down_means_503_for_sessions_while_jwt_keeps_working(make_app):
    from harness.servers import free_port

    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    app = make_app(SESSION_STORE="redis", REDIS_URL=dead)
    client = app.test_client()
    client.set_cookie(SESSION_COOKIE, "A" * 43)  # a browser that holds a session cookie
    assert client.get("/session/api/me").status_code == 503
    assert client.get("/session/api/me").get_json()["error"] == "service_unavailable"
    page = client.get("/session/profile")
    assert page.status_code == 503 and "unavailable" in page.get_data(as_text=True)
    assert client.get("/").status_code == 200
    assert client.get_cookie(SESSION_COOKIE).value == "A" * 43  # not thrown away: Redis may return
    fresh = app.test_client()  # nobody has signed in: the form needs no store...
    page = fresh.get("/session/login")
    assert page.status_code == 200
    signing_in = SessionActions(fresh).login()  # ...signing in does, and says so
    assert signing_in.status_code == 503
    assert "session store is unavailable" in signing_in.get_data(as_text=True)
    assert fresh.get_cookie(SESSION_COOKIE) is None
    assert fresh.get("/account/signup").status_code == 200
    jwt = JwtActions(client)
    assert jwt.get("/jwt/api/me", jwt.token()).status_code == 200


def test_redis_over_a_unix_socket(make_app, redis_server, redis_client):
    """REDIS_URL=unix:///path: how a Redis on the same host is best reached."""
    app = make_app(SESSION_STORE="redis", REDIS_URL=redis_server.socket_url)
    client = app.test_client()
    SessionActions(client).login()
    sid = client.get_cookie(SESSION_COOKIE).value
    assert redis_client.exists(f"session:{sid}") == 1  # the same server, seen over TCP
    assert client.get("/session/api/me").get_json()["username"] == "alice"
