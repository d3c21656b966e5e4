"""`make bench`: the measured cost of each scheme, as ratios taken in one run.

Starts the app under gunicorn (2 workers, loopback, a fresh SQLite database), signs in under
both schemes, then drives each endpoint with wrk (32 connections, a fixed duration) and prints
requests per second and p50/p99 latency, with the ratios the README's targets are stated in.
The `jwt` rows send an HS256 token; beside them, `jwt es256` sends one signed with the ES256
key, so the two signatures' costs are compared in the same rounds.
The Redis row uses a real redis-server started here; it is skipped, and said so, without one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from harness.actions import access_token_over_http, sign_in_over_http
from harness.servers import (
    GunicornServer,
    PostgresServer,
    RedisServer,
    app_environment,
    find_binary,
    find_postgres_bin,
    prepare_database,
)

TARGETS = {
    "jwt / bare": 0.90,
    # Issue 12: a stalled Redis must leave JWT at least half its throughput.
    "jwt, redis stalled / redis answering": 0.50,
    "session (sqlite) / jwt": 0.70,
    "session (redis) / jwt": 0.75,
}
# Redis over its unix socket is held to the Redis target. PostgreSQL has no target: reported only.
TARGETS["session (redis-unix) / jwt"] = TARGETS["session (redis) / jwt"]


@dataclass
class Result:
    name: str
    path: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(name: str, url: str, header: str | None, seconds: int, connections: int) -> Result:
    output = subprocess.run(
        wrk_command(url, header, seconds, connections),
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    return parse_wrk_output(name, url.split("/", 3)[-1], output)


def parse_wrk_output(name: str, path: str, output: str) -> Result:
    """Read throughput, p50/p99 and every kind of failure from `wrk --latency` output."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = to_ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))
    p99 = to_ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:  # "connect 3, read 0, write 2, timeout 57": every kind counts
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return Result(name, path, rps, p50, p99, errors)


def wrk_command(url: str, header: str | None, seconds: int, connections: int) -> list[str]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    return [*command, *(["-H", header] if header else []), url]


def run_wrk_together(jobs: list[tuple], seconds: int, connections: int) -> list[Result]:
    """Several wrk runs at once, against one server: (name, url, header) each."""
    processes = [
        subprocess.Popen(
            wrk_command(url, header, seconds, connections), stdout=subprocess.PIPE, text=True
        )
        for _, url, header in jobs
    ]
    outputs = [process.communicate(timeout=seconds + 60)[0] for process in processes]
    return [
        parse_wrk_output(name, url.split("/", 3)[-1], output)
        for (name, url, _), output in zip(jobs, outputs, strict=True)
    ]


def measure_stalled_redis(env: dict, redis: RedisServer, args: argparse.Namespace) -> dict:
    """JWT throughput with session load beside it, Redis answering and then stopped (SIGSTOP).

    Each round runs both loads together twice: once with Redis answering, once with Redis
    stalled; the session answers of the stalled half are 503s by design, and their p99 shows
    how fast they fail (app/redis_client.py: 250 ms per command, then a circuit breaker).
    """
    from app.redis_client import OPEN_SECONDS

    server = GunicornServer({**env, "SESSION_STORE": "redis", "REDIS_URL": redis.url}, args.workers)
    half = max(1, args.connections // 2)
    try:
        cookie = sign_in_over_http(server.url)
        token = access_token_over_http(server.url)
        jobs = [
            ("jwt", f"{server.url}/jwt/api/me", f"Authorization: Bearer {token}"),
            ("session", f"{server.url}/session/api/me", f"Cookie: {cookie}"),
        ]
        run_wrk_together(jobs, 2, half)  # warm up
        rounds = {"up": [], "stalled": []}
        for _ in range(max(3, args.rounds // 2)):
            rounds["up"].append(run_wrk_together(jobs, args.seconds, half))
            os.kill(redis.process.pid, signal.SIGSTOP)
            try:
                rounds["stalled"].append(run_wrk_together(jobs, args.seconds, half))
            finally:
                os.kill(redis.process.pid, signal.SIGCONT)
            time.sleep(OPEN_SECONDS + 1)  # the circuit closes again
    finally:
        server.stop()
    ratio = sorted(
        stalled[0].requests_per_second / up[0].requests_per_second
        for up, stalled in zip(rounds["up"], rounds["stalled"], strict=True)
    )[len(rounds["up"]) // 2]
    jwt_up = median_result([up[0] for up in rounds["up"]])
    jwt_stalled = median_result([stalled[0] for stalled in rounds["stalled"]])
    session_stalled = median_result([stalled[1] for stalled in rounds["stalled"]])
    print("Redis stalled (SIGSTOP), JWT and session load together:")
    print(f"  jwt, redis answering {jwt_up.requests_per_second:>7.0f} req/s")
    print(f"  jwt, redis stalled   {jwt_stalled.requests_per_second:>7.0f} req/s")
    print(
        f"  session, stalled     {session_stalled.requests_per_second:>7.0f} answers/s (503)"
        f"  p50 {session_stalled.p50_ms:.2f} ms  p99 {session_stalled.p99_ms:.2f} ms",
        flush=True,
    )
    jwt_errors = sum(r[0].errors for runs in rounds.values() for r in runs)
    return {
        "ratio": ratio,
        "jwt_errors": jwt_errors,
        "session_stalled_p99_ms": session_stalled.p99_ms,
    }


def measure(base: str, args: argparse.Namespace, rows: list[tuple]) -> dict[str, list[Result]]:
    """Run every endpoint once per round, interleaved, and return each one's rounds.

    On a 2-core machine the load generator and both workers share the CPUs, so one run of one
    endpoint swings by ±10%. Interleaving puts any slow patch into every endpoint of that round,
    and ratios are then taken within a round (see `median_ratio`).
    """
    for name, path, header in rows:
        run_wrk(name, f"{base}{path}", header, 2, args.connections)  # warm up
    rounds: dict[str, list[Result]] = {name: [] for name, _, _ in rows}
    for _ in range(args.rounds):
        for name, path, header in rows:
            rounds[name].append(
                run_wrk(name, f"{base}{path}", header, args.seconds, args.connections)
            )
    for name, results in rounds.items():
        middle = median_result(results)
        spread = ", ".join(f"{r.requests_per_second:.0f}" for r in results)
        print(
            f"  {name:<18} {middle.requests_per_second:>7.0f} req/s"
            f"  p50 {middle.p50_ms:>6.2f} ms  p99 {middle.p99_ms:>6.2f} ms"
            f"  errors {sum(r.errors for r in results)}  (rounds: {spread})",
            flush=True,
        )
    return rounds


def endpoint_rows(store: str, cookie: str, token: str, es256_token: str | None) -> list[tuple]:
    """The (name, path, header) of each endpoint driven against one store's server."""
    bearer = f"Authorization: Bearer {token}"
    rows = [("bare", "/api/ping", None), ("jwt", "/jwt/api/me", bearer)]
    if es256_token is not None:
        # The same answer, the signature checked with the public key instead of the secret.
        rows.append(("jwt es256", "/jwt/api/me", f"Authorization: Bearer {es256_token}"))
    return [
        *rows,
        # Honouring a sign-out: the same answer after one denylist lookup in the store (Redis
        # with the Redis store, else the database).
        ("jwt checked", "/jwt/api/checked/me", bearer),
        (f"session ({store})", "/session/api/me", f"Cookie: {cookie}"),
    ]


def summary_ratios(results: dict[str, dict[str, list[Result]]]) -> dict[str, float]:
    """The ratios of the summary, each the median of ratios taken within a round."""

    def ratio(store: str, numerator: str, denominator: str) -> float:
        return median_ratio(results[store][numerator], results[store][denominator])

    ratios = {
        "jwt / bare": ratio("sqlite", "jwt", "bare"),
        "session (sqlite) / jwt": ratio("sqlite", "session (sqlite)", "jwt"),
    }
    ratios["jwt checked (sqlite) / jwt"] = ratio("sqlite", "jwt checked", "jwt")
    if "jwt es256" in results["sqlite"]:
        ratios["jwt es256 / jwt (hs256)"] = ratio("sqlite", "jwt es256", "jwt")
    for store in ("redis", "redis-unix", "postgres"):
        if store in results:
            ratios[f"session ({store}) / jwt"] = ratio(store, f"session ({store})", "jwt")
            ratios[f"jwt checked ({store}) / jwt"] = ratio(store, "jwt checked", "jwt")
    return ratios


def median_result(results: list[Result]) -> Result:
    return sorted(results, key=lambda r: r.requests_per_second)[len(results) // 2]


def median_ratio(numerator: list[Result], denominator: list[Result]) -> float:
    """The median of the per-round ratios: both sides of each ratio ran in the same round."""
    ratios = sorted(
        n.requests_per_second / d.requests_per_second
        for n, d in zip(numerator, denominator, strict=True)
    )
    return ratios[len(ratios) // 2]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0))
    return f"{cpu}, {cores} cores, Python {platform.python_version()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=4, help="seconds per endpoint and round")
    # A shared virtual machine moves by ±30% from one few-second window to the next: many
    # short interleaved rounds, and the median of their ratios, hold up better than a few long ones.
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds; median kept")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--stores",
        default="sqlite,redis,postgres",
        help="comma-separated session stores to measure (sqlite always runs: it is the baseline)",
    )
    args = parser.parse_args()

    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2

    print(f"Machine: {machine()}")
    print(
        f"gunicorn {args.workers} gthread workers (gunicorn.conf.py), "
        f"wrk {args.connections} connections, {args.seconds}s per endpoint\n"
    )
    results: dict[str, dict[str, list[Result]]] = {}
    with tempfile.TemporaryDirectory() as workdir:
        work = Path(workdir)
        # One token serves the whole run, which lasts far longer than the default 5 minutes.
        env = app_environment(work, JWT_ACCESS_TOKEN_TTL_SECONDS="86400")  # noqa: S106  (a lifetime)
        prepare_database(env)
        stores = [("sqlite", {})]
        redis = postgres = None
        wanted = set(args.stores.split(","))
        redis_binary = find_binary("redis-server") if "redis" in wanted else None
        if redis_binary:
            redis = RedisServer(redis_binary, work)
            stores.append(("redis", {"SESSION_STORE": "redis", "REDIS_URL": redis.url}))
            stores.append(("redis-unix", {"SESSION_STORE": "redis", "REDIS_URL": redis.socket_url}))
        elif "redis" in wanted:
            print("Redis session store: skipped (apt-get install redis-server)")
        pg_bin = find_postgres_bin() if "postgres" in wanted else None
        if pg_bin:
            # PostgreSQL runs as its own user, so its folder cannot sit inside root's tmp dir.
            pg_dir = Path(tempfile.mkdtemp(prefix="lab-bench-pg-"))
            postgres = PostgresServer(pg_bin, pg_dir)
            pg_env = {**env, "DATABASE_URL": postgres.database("bench")}
            prepare_database(pg_env)
            stores.append(("postgres", {"DATABASE_URL": pg_env["DATABASE_URL"]}))
        elif "postgres" in wanted:
            print("PostgreSQL: skipped (apt-get install postgresql)")
        try:
            for store, extra in stores:
                server = GunicornServer({**env, **extra}, workers=args.workers)
                try:
                    cookie = sign_in_over_http(server.url)
                    token = access_token_over_http(server.url, algorithm="HS256")
                    # Verifying a token reads no store: one store's rounds say what ES256 costs.
                    es256_token = (
                        access_token_over_http(server.url, algorithm="ES256")
                        if store == "sqlite"
                        else None
                    )
                    print(f"Session store: {store}")
                    rows = endpoint_rows(store, cookie, token, es256_token)
                    results[store] = measure(server.url, args, rows)
                finally:
                    server.stop()
            if redis:
                stalled = measure_stalled_redis(env, redis, args)
        finally:
            if redis:
                redis.stop()
            if postgres:
                postgres.stop()
                shutil.rmtree(pg_dir, ignore_errors=True)

    ratios = summary_ratios(results)
    failed = sum(r.errors for rows in results.values() for runs in rows.values() for r in runs)
    if redis:
        ratios["jwt, redis stalled / redis answering"] = stalled["ratio"]
        failed += stalled["jwt_errors"]  # the stalled half's session 503s are the point
    print("\n| ratio | measured | target | |")
    print("|---|---|---|---|")
    for name, value in ratios.items():
        target = TARGETS.get(name)
        if target is None:
            verdict, shown = "no target set", "none"
        else:
            verdict = "met" if value >= target else "missed"
            shown = f"≥ {target:.2f}"
        if failed:
            verdict = "INVALID: requests failed"
        print(f"| {name} | {value:.2f} | {shown} | {verdict} |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "machine": machine(),
                    "results": {
                        store: {name: [asdict(r) for r in runs] for name, runs in rows.items()}
                        for store, rows in results.items()
                    },
                    "ratios": ratios,
                },
                indent=2,
            )
        )
    if failed:
        print(f"{failed} requests failed: the figures above are not valid.", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
