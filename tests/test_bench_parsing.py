"""The benchmark reads wrk's output correctly and never reports failed requests as speed."""

from __future__ import annotations

from bench.run import Result, median_ratio, parse_wrk_output

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


def test_ratios_pair_runs_from_the_same_round():
    def runs(*rps):
        return [Result("x", "/", r, 1.0, 2.0, 0) for r in rps]

    # Round 2 was slow for everything; pairing medians from different rounds would give 0.46.
    jwt = runs(3600, 1823, 3650)
    bare = runs(3994, 4500, 4100)
    assert round(median_ratio(jwt, bare), 2) == 0.89
