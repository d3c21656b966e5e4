"""Real servers for the integration tests and the benchmark: Redis, PostgreSQL and gunicorn.

Nothing here is mocked: each class starts the real program on a free loopback port.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_for_port(
    port: int, timeout: float = 15.0, process: subprocess.Popen | None = None
) -> None:
    """Wait until something listens on the port; give up early if `process` has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise TimeoutError(f"the process exited ({process.returncode}) before listening")
        with closing(socket.socket()) as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def await_listening(process: subprocess.Popen, port: int, timeout: float, what: str, said) -> None:
    """Wait for `process` to listen on `port`; if it dies or never does, kill it and raise with
    what `said()` returns (its output, its error log)."""
    try:
        wait_for_port(port, timeout=timeout, process=process)
    except TimeoutError:
        process.kill()
        process.wait()
        raise RuntimeError(f"{what} did not start: {said()}") from None


def find_binary(name: str) -> str | None:
    """The path of a server program, also looking where Debian puts daemons (/usr/sbin)."""
    return shutil.which(name) or (
        f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None
    )


class RedisServer:
    """A throwaway redis-server on a free loopback port and a unix socket, persistence off."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.port = free_port()
        self.socket = workdir / f"redis-{self.port}.sock"
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--unixsocket",
                str(self.socket),
                "--unixsocketperm",
                "700",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def socket_url(self) -> str:
        """The same server over its unix socket, as a co-located Redis is usually reached."""
        return f"unix://{self.socket}?db=0"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class GunicornServer:
    """The app under gunicorn, as `make run` serves it (gunicorn.conf.py), with its own
    environment."""

    def __init__(self, env: dict, workers: int = 2, extra_args: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop())
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                "gunicorn.conf.py",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                *extra_args,
                "wsgi:app",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            # A file, not a pipe: nobody reads a pipe while the server runs, and once its buffer
            # is full every worker that logs a line would block.
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        try:
            await_listening(self.process, self.port, 30, "gunicorn", self.output)
        except RuntimeError:
            self.log.close()
            raise

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> str:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        try:
            return self.output()
        finally:
            self.log.close()


NGINX_TEMPLATE = PROJECT_ROOT / "harness" / "nginx.conf.template"
NGINX_TEMP_FOLDERS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


class NginxServer:
    """Debian's nginx on a loopback port, handing requests in turn to `upstreams` (host:port).

    `proto` is what nginx tells the app in X-Forwarded-Proto: `$scheme` (http here), or
    "https" to stand in for a platform's router that ends TLS.
    """

    def __init__(
        self,
        binary: str,
        workdir: Path,
        upstreams: list[str],
        *,
        port: int | None = None,
        proto: str = "$scheme",
    ) -> None:
        if port is not None and not port_is_free(port):
            raise RuntimeError(f"port {port} is in use: choose another (CLUSTER_PORT=...)")
        self.port = port or free_port()
        self.root = workdir / f"nginx-{self.port}"
        self.root.mkdir(parents=True, exist_ok=True)
        for name in NGINX_TEMP_FOLDERS:
            folder = self.root / name
            folder.mkdir(exist_ok=True)
            folder.chmod(0o777)  # nginx's workers drop root for an unprivileged user
        servers = "\n".join(f"        server {address};" for address in upstreams)
        config = (
            NGINX_TEMPLATE.read_text()
            .replace("@ROOT@", str(self.root))
            .replace("@PORT@", str(self.port))
            .replace("@PROTO@", proto)
            .replace("@UPSTREAMS@", servers)
        )
        self.config = self.root / "nginx.conf"
        self.config.write_text(config)
        self.process = subprocess.Popen(
            [
                binary,
                "-p",
                str(self.root),
                "-e",
                str(self.root / "error.log"),
                "-c",
                str(self.config),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        errors = self.root / "error.log"
        await_listening(
            self.process,
            self.port,
            15,
            "nginx",
            lambda: errors.read_text() if errors.exists() else "",
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def app_environment(workdir: Path, **extra: str) -> dict:
    """A clean environment for a subprocess of the app: its own database and instance folder."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "INSTANCE_PATH": str(workdir / "instance"),
        "DATABASE_URL": f"sqlite:///{workdir / 'lab.sqlite3'}",
    }
    env.update(extra)
    return env


def flask_cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    """Run `flask --app wsgi ARGS` in a subprocess with exactly this environment."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def prepare_database(env: dict) -> None:
    """`flask db upgrade` and `flask seed-demo`, exactly as `make run` does."""
    for args in (("db", "upgrade"), ("seed-demo",)):
        result = flask_cli(env, *args)
        if result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed: {result.stderr}")


def find_postgres_bin() -> Path | None:
    """The folder holding Debian's initdb/pg_ctl (they are not on PATH)."""
    override = os.environ.get("PG_BIN")
    if override:
        return Path(override)
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresServer:
    """A throwaway PostgreSQL cluster on a free loopback port.

    PostgreSQL refuses to run as root, so when the tests run as root the cluster is created
    and started as the `postgres` user that Debian's package adds.
    """

    def __init__(self, bin_dir: Path, workdir: Path) -> None:
        self.bin_dir = bin_dir
        self.port = free_port()
        self.datadir = workdir / "pgdata"
        self.socketdir = workdir / "pgsock"
        self.socketdir.mkdir(parents=True, exist_ok=True)
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(workdir, user=self.user)
            shutil.chown(self.socketdir, user=self.user)
        self._run(
            "initdb",
            "-D",
            str(self.datadir),
            "-U",
            "lab",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.datadir),
            "-l",
            str(workdir / "postgres.log"),
            "-w",
            "-o",
            f"-p {self.port} -k {self.socketdir} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        )
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "lab", "lab")

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin_dir / tool), *args]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120, cwd="/")

    @property
    def url(self) -> str:
        return f"postgresql://lab@127.0.0.1:{self.port}/lab"

    def database(self, name: str) -> str:
        """Create a fresh database and return its URL."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "lab", name)
        return f"postgresql://lab@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop")
