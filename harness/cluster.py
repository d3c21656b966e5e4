"""`make cluster SETUP=memory|shared|jwt`: several instances of the app behind nginx.

Each instance is its own gunicorn (one worker, so an instance is one process) on a loopback
port, named app-1, app-2, ... in X-Served-By; nginx hands requests to them in turn. All of
them share the SQL database (the accounts) and, except where a setup says otherwise, the keys.

- memory: sessions in each instance's memory. Signed in on one, unknown on the other.
- shared: sessions in one store for all: Redis when redis-server is installed, else SQL.
- jwt:    two instances share the JWT key and a third has a key of its own.

tests/test_cluster.py starts the same setups through `start_cluster`.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

from harness.servers import (
    PROJECT_ROOT,
    GunicornServer,
    NginxServer,
    RedisServer,
    app_environment,
    find_binary,
    prepare_database,
)

SETUPS = ("memory", "shared", "jwt")


@dataclass
class Cluster:
    setup: str
    instances: list[GunicornServer]
    proxy: NginxServer
    store: str
    redis: RedisServer | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.proxy.url

    def stop(self) -> None:
        self.proxy.stop()
        for instance in self.instances:
            instance.stop()
        if self.redis is not None:
            self.redis.stop()


def start_cluster(setup: str, workdir: Path, *, port: int | None = None) -> Cluster:
    if setup not in SETUPS:
        raise ValueError(f"SETUP must be one of {', '.join(SETUPS)}, got {setup!r}")
    nginx = find_binary("nginx")
    if nginx is None:
        raise RuntimeError("nginx is not installed: apt-get install nginx")
    workdir.mkdir(parents=True, exist_ok=True)
    env = app_environment(
        workdir,
        SECRET_KEY=secrets.token_urlsafe(48),
        JWT_SECRET_KEY=secrets.token_urlsafe(48),
        PROXY_FIX_HOPS="1",
        SESSION_STORE="sql",
    )
    redis = None
    notes = []
    if setup == "memory":
        env["SESSION_STORE"] = "memory"
    elif setup == "shared" and (binary := find_binary("redis-server")):
        redis = RedisServer(binary, workdir)
        env.update(SESSION_STORE="redis", REDIS_URL=redis.url)
    elif setup == "shared":
        notes.append("redis-server is not installed, so the shared store is the SQL database.")
    keys = [env["JWT_SECRET_KEY"]] * 2
    if setup == "jwt":
        keys.append(secrets.token_urlsafe(48))  # app-3 signs and verifies with a key of its own
    instances = []
    try:
        prepare_database(env)
        for number, key in enumerate(keys, start=1):
            named = {**env, "INSTANCE_NAME": f"app-{number}", "JWT_SECRET_KEY": key}
            instances.append(GunicornServer(named, workers=1))
        proxy = NginxServer(
            nginx, workdir, [f"127.0.0.1:{instance.port}" for instance in instances], port=port
        )
    except BaseException:
        for instance in instances:
            instance.stop()
        if redis is not None:
            redis.stop()
        raise
    return Cluster(setup, instances, proxy, env["SESSION_STORE"], redis, notes)


WHAT_TO_TRY = {
    "memory": "Sign in with a session, then open /lab/scale and send the requests: only the "
    "instance that signed you in knows you.",
    "shared": "Sign in with a session, then open /lab/scale: every instance finds your session.",
    "jwt": "Get a token, then open /lab/scale: app-1 and app-2 accept it, app-3 (another key) "
    "refuses it; a token app-3 issued, only app-3 accepts.",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("setup", choices=SETUPS)
    parser.add_argument("--port", type=int, default=8000, help="nginx's port (default 8000)")
    args = parser.parse_args(argv)
    workdir = PROJECT_ROOT / "instance" / "cluster"
    shutil.rmtree(workdir, ignore_errors=True)  # a fresh database and store each time
    cluster = start_cluster(args.setup, workdir, port=args.port)
    names = ", ".join(
        f"app-{n} on 127.0.0.1:{i.port}" for n, i in enumerate(cluster.instances, start=1)
    )
    print(f"Setup {args.setup!r}: sessions in {cluster.store!r}; {names}.")
    for note in cluster.notes:
        print(note)
    print(f"nginx, round-robin: {cluster.url}/lab/scale  (Ctrl-C to stop)")
    print(WHAT_TO_TRY[args.setup])
    sys.stdout.flush()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop on TERM as on Ctrl-C
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        print("Stopping the cluster.")
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
