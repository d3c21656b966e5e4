"""SESSION_STORE=memory: works in one process, and shows why scaling out needs a shared store."""

from __future__ import annotations

from harness.actions import SESSION_COOKIE, SessionActions


def test_memory_store_signs_in_and_out(make_app, sql_counter_factory):
    app = make_app(SESSION_STORE="memory")
    client = app.test_client()
    actions = SessionActions(client)
    assert actions.login().status_code == 302
    counter = sql_counter_factory(app)
    body = client.get("/session/api/me").get_json()
    assert body["username"] == "alice" and body["store"] == "memory"
    assert counter.statements == []  # the session never touched the database
    sid = client.get_cookie(SESSION_COOKIE).value
    actions.logout()
    replay = app.test_client()
    replay.set_cookie(SESSION_COOKIE, sid)
    assert replay.get("/session/api/me").status_code == 401


def signed_in_on_one_of_two_workers(make_app):
    """Two memory-store workers; a browser signed in on the first, and the same cookie as the
    second worker receives it when a load balancer sends the browser there."""
    first = make_app(SESSION_STORE="memory")
    second = make_app(SESSION_STORE="memory")
    client = first.test_client()
    SessionActions(client).login()
    other = second.test_client()
    other.set_cookie(SESSION_COOKIE, client.get_cookie(SESSION_COOKIE).value)
    return client, other


def test_a_second_worker_does_not_know_a_memory_session(make_app):
    """What a load balancer in front of two workers would do to a per-process store."""
    client, other = signed_in_on_one_of_two_workers(make_app)
    assert client.get("/session/api/me").status_code == 200
    assert other.get("/session/api/me").status_code == 401


def test_a_form_from_one_process_signs_in_on_another(tmp_path):
    """Two app processes with SESSION_STORE=memory, as two gunicorn workers are: the form's
    CSRF token is in a signed cookie any of them can check, so signing in works whichever one
    answers. The session itself then lives in one process only, and the other does not know
    it: that is the lesson of the memory store, and the only one."""
    import http.client
    import urllib.parse

    from harness.actions import csrf_token_from
    from harness.servers import GunicornServer, app_environment, prepare_database

    env = app_environment(tmp_path, SESSION_STORE="memory")
    prepare_database(env)
    first, second = GunicornServer(env, workers=1), GunicornServer(env, workers=1)

    def request(server, method: str, path: str, body: str | None = None, cookie: str = ""):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        headers = {"Cookie": cookie} if cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        cookies = [v.split(";", 1)[0] for k, v in response.getheaders() if k == "Set-Cookie"]
        answer = (response.status, response.getheader("Location"), response.read().decode())
        conn.close()
        return answer, "; ".join(c for c in cookies if not c.endswith("="))

    try:
        for form_from, post_to in ((first, second), (second, first), (first, first)):
            (_, _, page), cookie = request(form_from, "GET", "/session/login")
            token = csrf_token_from(page)
            form = {"username": "alice", "password": "wonderland", "csrf_token": token}
            (status, location, _), session_cookie = request(
                post_to, "POST", "/session/login", urllib.parse.urlencode(form), cookie
            )
            assert (status, location) == (302, "/session/profile")
            (status, _, _), _ = request(post_to, "GET", "/session/api/me", cookie=session_cookie)
            assert status == 200
            other = second if post_to is first else first
            (status, _, _), _ = request(other, "GET", "/session/api/me", cookie=session_cookie)
            assert status == 401  # the other process never heard of it
    finally:
        first.stop()
        second.stop()


def test_the_other_worker_does_not_throw_the_session_cookie_away(make_app):
    """A worker that does not know a memory session cannot tell it is gone: it keeps the cookie,
    so the worker that knows it still serves it, and the visitor looks signed out at random."""
    client, other = signed_in_on_one_of_two_workers(make_app)
    sid = client.get_cookie(SESSION_COOKIE).value
    for path in ("/session/api/me", "/", "/inspect/api/request"):
        response = other.get(path)
        assert "lab_session=;" not in " ".join(response.headers.getlist("Set-Cookie")), path
    assert other.get_cookie(SESSION_COOKIE).value == sid
    back = client.application.test_client()  # the first worker again
    back.set_cookie(SESSION_COOKIE, other.get_cookie(SESSION_COOKIE).value)
    assert back.get("/session/api/me").status_code == 200
