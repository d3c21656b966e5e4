"""The circuit breaker in front of Redis (app/redis_client.py), on a clock the test moves."""

from __future__ import annotations

import pytest

from app.redis_client import CircuitBreaker, CircuitOpen


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def breaker(clock):
    return CircuitBreaker(failures_to_open=3, open_seconds=5, clock=clock)


def fail(breaker, times: int) -> list[bool]:
    return [breaker.failed(breaker.before_call()) for _ in range(times)]


def test_it_opens_after_three_failures_in_a_row_and_says_so_once(breaker):
    assert fail(breaker, 3) == [False, False, True]
    assert breaker.is_open
    with pytest.raises(CircuitOpen):
        breaker.before_call()


def test_a_success_in_between_starts_the_count_again(breaker):
    fail(breaker, 2)
    breaker.succeeded(breaker.before_call())
    assert fail(breaker, 2) == [False, False]
    assert not breaker.is_open


def test_calls_in_flight_when_it_opened_do_not_open_it_again(breaker):
    in_flight = [breaker.before_call() for _ in range(5)]  # five threads waiting on Redis
    opened = [breaker.failed(trial) for trial in in_flight]
    assert opened == [False, False, True, False, False]  # one opening, one log line


def test_after_the_open_period_one_call_tries_and_the_others_still_fail_fast(breaker, clock):
    fail(breaker, 3)
    clock.now += 4.9
    with pytest.raises(CircuitOpen):
        breaker.before_call()
    clock.now += 0.2
    assert breaker.before_call() is True  # the trial
    with pytest.raises(CircuitOpen):
        breaker.before_call()  # a second thread meanwhile


def test_a_successful_trial_closes_it(breaker, clock):
    fail(breaker, 3)
    clock.now += 5
    breaker.succeeded(breaker.before_call())
    assert not breaker.is_open
    assert breaker.before_call() is False


def test_a_failed_trial_opens_it_for_another_full_period(breaker, clock):
    fail(breaker, 3)
    clock.now += 5
    assert breaker.failed(breaker.before_call()) is False  # not a new opening: no new log line
    clock.now += 4.9
    with pytest.raises(CircuitOpen):
        breaker.before_call()
    clock.now += 0.2
    assert breaker.before_call() is True


def test_an_abandoned_trial_lets_the_next_call_try(breaker, clock):
    fail(breaker, 3)
    clock.now += 5
    breaker.abandoned(breaker.before_call())
    assert breaker.before_call() is True
