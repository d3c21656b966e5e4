"""The session's two server-side timeouts: idle (SESSION_IDLE_TIMEOUT_SECONDS, 30 minutes) and
absolute (SESSION_ABSOLUTE_TIMEOUT_SECONDS, 8 hours), on a clock moved by time-machine."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from redis import Redis

from harness.actions import SESSION_COOKIE, SessionActions

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sql", "memory"])
def timed_app(request, make_app, time_machine):
    time_machine.move_to(START, tick=False)
    return make_app(SESSION_STORE=request.param)


def at(time_machine, minutes: float) -> None:
    time_machine.move_to(START + timedelta(minutes=minutes), tick=False)


def test_half_an_hour_without_a_request_ends_the_session(timed_app, time_machine):
    client = timed_app.test_client()
    SessionActions(client).login()
    at(time_machine, 29)
    assert client.get("/session/api/me").status_code == 200  # due: the expiry moves to 9:59
    at(time_machine, 58)
    assert client.get("/session/api/me").status_code == 200
    at(time_machine, 58 + 31)
    assert client.get("/session/api/me").status_code == 401


def test_eight_hours_after_sign_in_the_session_ends_however_busy(timed_app, time_machine):
    client = timed_app.test_client()
    SessionActions(client).login()
    answers = {}
    for minutes in range(20, 8 * 60 + 40, 20):  # a request every 20 minutes, all day
        at(time_machine, minutes)
        answers[minutes] = client.get("/session/api/me").status_code
    assert {answers[m] for m in answers if m < 8 * 60} == {200}
    assert {answers[m] for m in answers if m >= 8 * 60} == {401}


def test_the_cookie_expires_with_the_record_and_never_past_the_absolute_timeout(
    timed_app, time_machine
):
    client = timed_app.test_client()
    SessionActions(client).login()
    for minutes in range(20, 7 * 60 + 51, 20):  # busy all day, up to 7:50 after sign-in
        at(time_machine, minutes)
        assert client.get("/session/api/me").status_code == 200
    response = client.get("/session/profile")
    assert response.status_code == 200
    cookie = client.get_cookie(SESSION_COOKIE)
    assert cookie.expires == START + timedelta(hours=8)


def test_the_profile_shows_both_deadlines(timed_app, time_machine):
    client = timed_app.test_client()
    SessionActions(client).login()
    page = client.get("/session/profile").get_data(as_text=True)
    idle = re.search(r"data-idle-deadline>(.*?)</dd>", page, re.S).group(1)
    absolute = re.search(r"data-absolute-deadline>(.*?)</dd>", page, re.S).group(1)
    assert "9:30:00" in idle and "30 minutes" in idle
    assert "5:00:00" in absolute and "8 hours after you signed in" in absolute
    for minutes in range(20, 7 * 60 + 41, 20):  # busy until 7:40, the last refresh
        at(time_machine, minutes)
        client.get("/session/api/me")
    # Idle would end at 17:10 at the earliest: the absolute timeout, 17:00, comes first.
    page = client.get("/session/profile").get_data(as_text=True)
    assert "none left: the absolute timeout comes first" in page


def test_redis_is_told_the_shorter_of_the_two(make_app, redis_server, time_machine):
    Redis.from_url(redis_server.url).flushdb()
    time_machine.move_to(START, tick=False)
    app = make_app(SESSION_STORE="redis", REDIS_URL=redis_server.url)
    client = app.test_client()
    SessionActions(client).login()
    sid = client.get_cookie(SESSION_COOKIE).value
    redis = Redis.from_url(redis_server.url)
    assert 1790 <= redis.ttl(f"session:{sid}") <= 1800  # idle
    for minutes in range(20, 7 * 60 + 56, 25):  # busy until 7:55
        at(time_machine, minutes)
        assert client.get("/session/api/me").status_code == 200
    left = (START + timedelta(hours=8) - datetime.now(UTC)).total_seconds()
    assert redis.ttl(f"session:{sid}") <= left  # the 8 hours, not another half hour
