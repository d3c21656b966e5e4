"""The benchmark reads wrk's output correctly, never reports failed requests as speed, and
measures and compares the rows the README speaks of."""

from __future__ import annotations

import pytest

from bench.run import Result, endpoint_rows, median_ratio, parse_wrk_output, summary_ratios

WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:5000/jwt/api/me
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     8.73ms    1.02ms  20.31ms   85.00%
  Latency Distribution
     50%  850.00us
     75%    9.12ms
     90%    9.80ms
     99%    1.20s
  17815 requests in 5.00s, 5.10MB read
  Socket errors: connect 3, read 0, write 2, timeout 57
  Non-2xx or 3xx responses: 11
Requests/sec:   3563.00
Transfer/sec:      1.02MB
"""


def test_wrk_units_and_every_kind_of_error_are_read():
    result = parse_wrk_output("jwt", "jwt/api/me", WRK_OUTPUT)
    assert result.requests_per_second == 3563.0
    assert result.p50_ms == 0.85
    assert result.p99_ms == 1200.0
    assert result.errors == 11 + 3 + 0 + 2 + 57


def test_a_clean_run_has_no_errors():
    clean = WRK_OUTPUT.replace("  Socket errors: connect 3, read 0, write 2, timeout 57\n", "")
    clean = clean.replace("  Non-2xx or 3xx responses: 11\n", "")
    assert parse_wrk_output("jwt", "jwt/api/me", clean).errors == 0


def runs(*rps):
    return [Result("x", "/", r, 1.0, 2.0, 0) for r in rps]


def test_ratios_pair_runs_from_the_same_round():
    # Round 2 was slow for everything; pairing medians from different rounds would give 0.46.
    jwt = runs(3600, 1823, 3650)
    bare = runs(3994, 4500, 4100)
    assert round(median_ratio(jwt, bare), 2) == 0.89


def test_the_es256_row_sends_its_own_token_to_the_same_endpoint_next_to_the_hs256_one():
    rows = endpoint_rows("sqlite", "lab_session=s", "hs.256.token", "es.256.token")
    assert [name for name, _, _ in rows] == [
        "bare",
        "jwt",
        "jwt es256",
        "jwt checked",
        "session (sqlite)",
    ]
    by_name = {name: (path, header) for name, path, header in rows}
    assert by_name["jwt"] == ("/jwt/api/me", "Authorization: Bearer hs.256.token")
    assert by_name["jwt es256"] == ("/jwt/api/me", "Authorization: Bearer es.256.token")
    assert by_name["jwt checked"][1] == "Authorization: Bearer hs.256.token"


def test_without_an_es256_token_there_is_no_es256_row():
    rows = endpoint_rows("redis", "lab_session=s", "hs.256.token", None)
    assert "jwt es256" not in [name for name, _, _ in rows]


@pytest.mark.parametrize("with_redis", [False, True])
def test_the_summary_gives_es256_as_a_ratio_of_hs256(with_redis):
    results = {
        "sqlite": {
            "bare": runs(4000, 4000, 4000),
            "jwt": runs(3000, 2000, 3200),
            "jwt es256": runs(2400, 1000, 1600),
            "jwt checked": runs(2700, 1800, 2880),
            "session (sqlite)": runs(2400, 1600, 2560),
        }
    }
    if with_redis:
        results["redis"] = {
            "jwt": runs(3000, 3000, 3000),
            "jwt checked": runs(2400, 2400, 2400),
            "session (redis)": runs(2700, 2700, 2700),
        }
    ratios = summary_ratios(results)
    assert ratios["jwt es256 / jwt (hs256)"] == 0.5  # the per-round ratios: 0.8, 0.5, 0.5
    assert ratios["jwt / bare"] == 0.75
    assert ratios["session (sqlite) / jwt"] == 0.8
    assert ratios["jwt checked (sqlite) / jwt"] == 0.9
    assert ("session (redis) / jwt" in ratios) is with_redis
