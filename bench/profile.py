"""`make profile`: where each scheme's time goes, measured in-process with no HTTP in the way.

Prints the per-request cost of the bare, JWT and session endpoints through the WSGI app, then
the parts that make up the differences (PyJWT's decode and its pieces, the store read through
SQLAlchemy against the raw driver), and finally a pyinstrument call tree of JWT requests.
"""

from __future__ import annotations

import hmac
import os
import tempfile
import time
import timeit
from pathlib import Path

import jwt
from flask_migrate import upgrade
from jwt.api_jws import PyJWS
from pyinstrument import Profiler
from werkzeug.test import EnvironBuilder

from app import create_app
from app.accounts.cli import seed_demo_users
from app.extensions import db
from app.session_auth.store import _READ_RECORD
from harness.actions import SESSION_COOKIE, JwtActions, SessionActions

N = 4000


def per_call_us(func, number: int = N) -> float:
    func()
    return min(timeit.repeat(func, number=number, repeat=3)) / number * 1e6


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="lab-profile-"))
    os.environ["INSTANCE_PATH"] = str(workdir / "instance")  # keys are generated in here
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'lab.sqlite3'}"})
    with app.app_context():
        upgrade()
        seed_demo_users()
    client = app.test_client()
    SessionActions(client).login()
    client.get("/session/profile")
    cookie = f"{SESSION_COOKIE}={client.get_cookie(SESSION_COOKIE).value}"
    token = JwtActions(app.test_client()).token()

    def request(path: str, headers: dict | None = None):
        environ = EnvironBuilder(path=path, headers=headers or {}).get_environ()

        def call():
            body = app.wsgi_app(dict(environ), lambda status, headers, exc_info=None: None)
            b"".join(body)

        return call

    bare = request("/api/ping")
    jwt_me = request("/jwt/api/me", {"Authorization": f"Bearer {token}"})
    session_me = request("/session/api/me", {"Cookie": cookie})

    print("Per request through the WSGI app (no HTTP server, no network):")
    costs = {
        name: per_call_us(call)
        for name, call in (("bare", bare), ("jwt", jwt_me), ("session (sqlite)", session_me))
    }
    for name, us in costs.items():
        print(f"  {name:<18} {us:7.1f} µs")
    print(f"  jwt - bare         {costs['jwt'] - costs['bare']:7.1f} µs")
    print(f"  session - jwt      {costs['session (sqlite)'] - costs['jwt']:7.1f} µs")

    key = app.config["JWT_SECRET_KEY"]
    audience, issuer = app.config["JWT_AUDIENCE"], app.config["JWT_ISSUER"]
    segments = [part.encode() for part in token.split(".")]
    hmac_input = segments[0] + b"." + segments[1]
    decode_us = per_call_us(
        lambda: jwt.decode(token, key, algorithms=["HS256"], audience=audience, issuer=issuer)
    )
    segments_us = per_call_us(lambda: [PyJWS._decode_base64url_segment(s, "x") for s in segments])
    hmac_us = per_call_us(lambda: hmac.new(key.encode(), hmac_input, "sha256").digest())
    print("\nInside the JWT difference:")
    print(f"  PyJWT decode (plain jwt.decode)  {decode_us:7.1f} µs")
    print(f"  of which base64url segment checks {segments_us:6.1f} µs")
    print(f"  HMAC-SHA256 of the token itself  {hmac_us:7.1f} µs")

    print("\nInside the session difference (the one store read):")
    sid = cookie.split("=", 1)[1]
    store = app.session_interface
    with app.test_request_context("/"):
        engine = db.engine

        def via_core():
            with engine.connect() as conn:
                conn.execute(_READ_RECORD.statement, {"session_id": f"session:{sid}"}).first()

        def as_the_store_reads_it():
            store.read_record(f"session:{sid}")

        core_us, store_us = per_call_us(via_core), per_call_us(as_the_store_reads_it)
        print(f"  the SELECT through SQLAlchemy Core       {core_us:7.1f} µs")
        print(f"  the store's read, on the pooled driver   {store_us:7.1f} µs")
        print("  (decoding the record included; PostgreSQL keeps the Core path, in autocommit)")

    print("\npyinstrument, 2000 JWT requests:")
    profiler = Profiler(interval=0.0002)
    profiler.start()
    started = time.perf_counter()
    for _ in range(2000):
        jwt_me()
    profiler.stop()
    print(f"  ({(time.perf_counter() - started) / 2000 * 1e6:.1f} µs each while profiled)")
    print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
