"""Configuration: embedded defaults, then environment variables, then the test overrides.

Everything a deployment may change is read from the environment (see the README's table).
Development needs nothing installed: a SQLite file and two random keys kept in the instance folder.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import time
from datetime import timedelta
from pathlib import Path

from app.redis_client import connection_options

# Values that must never sign anything in production, whatever their length.
KNOWN_WEAK_KEYS = frozenset(
    {"dev", "secret", "changeme", "change-me", "please-change-me", "development", "test"}
)
MIN_KEY_BYTES = 32
# A key of 40 "a"s is 40 bytes and no secret. Random keys as generated (hex, base64, the
# platforms' generators) use at least 16 different characters in 32; a typed-in pattern does not.
MIN_DISTINCT_CHARACTERS = 10


class ConfigurationError(RuntimeError):
    """The app refuses to start with this configuration; the message says why and what to set."""


# Every variable the app reads. Tests clear all of them, so a developer's shell cannot change
# what a test sees; reading one that is not listed here is a programming error.
ENVIRONMENT_VARIABLES = (
    "APP_ENV",
    "SECRET_KEY",
    "JWT_SECRET_KEY",
    "JWT_ALGORITHM",
    "JWT_PRIVATE_KEYS",
    "DATABASE_URL",
    "INSTANCE_PATH",
    "SESSION_STORE",
    "REDIS_URL",
    "REDIS_TLS_VERIFY",
    "PROXY_FIX_HOPS",
    "INSTANCE_NAME",
    "ALLOW_INSECURE_COOKIES",
    "SESSION_COOKIE_SECURE",
    "SESSION_LIFETIME_MINUTES",
    "SESSION_IDLE_TIMEOUT_SECONDS",
    "SESSION_ABSOLUTE_TIMEOUT_SECONDS",
    "SESSION_REFRESH_INTERVAL_SECONDS",
    "JWT_ACCESS_TOKEN_TTL_SECONDS",
    "JWT_REFRESH_TOKEN_TTL_SECONDS",
    "JWT_ISSUER",
    "JWT_AUDIENCE",
    "JWT_LEEWAY_SECONDS",
    "MAX_CONTENT_LENGTH",
)


def env_text(name: str, default: str | None = None) -> str | None:
    """The raw value of one of the app's environment variables."""
    if name not in ENVIRONMENT_VARIABLES:
        raise KeyError(f"{name} is not listed in ENVIRONMENT_VARIABLES")
    return os.environ.get(name, default)


def _env_int(name: str, default: int, *, minimum: int, unit: str) -> int:
    """A whole number of at least `minimum`; anything else refuses to start, in one line."""
    raw = env_text(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < minimum:
        wanted = (
            f"a positive whole number of {unit}"
            if minimum == 1
            else f"a whole number of {unit}, {minimum} or more"
        )
        raise ConfigurationError(f"{name} must be {wanted}, got {raw.strip()!r}")
    return value


def _env_bool(name: str, default: bool) -> bool:
    raw = env_text(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def instance_path_from_environment(default: Path) -> str:
    return env_text("INSTANCE_PATH") or str(default)


def normalise_database_url(url: str) -> str:
    """Accept the `postgres://` URLs PaaS platforms hand out and pick the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def load_or_create_instance_key(instance_path: str, name: str) -> str:
    """Return the key stored in `instance/<name>`, creating it once if it does not exist.

    Every worker and every restart must sign with the same key, or users are logged out at
    random. O_EXCL makes creation safe when several gunicorn workers start at the same time:
    exactly one writes the file and the others read what it wrote.
    """
    path = Path(instance_path) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            key = path.read_text(encoding="ascii").strip()
            if key:
                return key
            # Another worker created the file a moment ago and is still writing it.
            time.sleep(0.01)
        raise ConfigurationError(
            f"{path} exists but is empty; delete it to generate a new key"
        ) from None
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


INSTANCE_NAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")


def instance_name() -> str:
    """INSTANCE_NAME, else the host name: plain ASCII, since it goes into a response header."""
    raw = (env_text("INSTANCE_NAME") or "").strip()
    if raw:
        if not INSTANCE_NAME_PATTERN.fullmatch(raw):
            raise ConfigurationError(
                "INSTANCE_NAME must be 1 to 64 letters, digits, dots, dashes or underscores "
                f"(it goes into the X-Served-By header), got {raw!r}"
            )
        return raw
    return re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname())[:64] or "app"


def check_secure_cookies(config: dict, log) -> None:
    """In production, cookies without Secure travel in clear over http: only on purpose."""
    if not config["PRODUCTION"] or config["SESSION_COOKIE_SECURE"]:
        return
    if not config["ALLOW_INSECURE_COOKIES"]:
        raise ConfigurationError(
            "SESSION_COOKIE_SECURE is off in production: cookies would travel in clear over "
            "http. Set ALLOW_INSECURE_COOKIES=1 as well if that is really wanted."
        )
    log.warning("SESSION_COOKIE_SECURE is off in production (ALLOW_INSECURE_COOKIES is set)")


def check_cookie_prefixes(config: dict) -> None:
    """A __Host- cookie that is not Secure, not for Path=/ or has a Domain is thrown away by
    the browser without a word: refuse to start instead."""
    for name in ("SESSION_COOKIE_NAME", "PRE_LOGIN_COOKIE_NAME"):
        if not str(config[name]).startswith("__Host-"):
            continue
        if (
            not config["SESSION_COOKIE_SECURE"]
            or config.get("SESSION_COOKIE_DOMAIN")
            or (config.get("SESSION_COOKIE_PATH") or config.get("APPLICATION_ROOT") or "/") != "/"
        ):
            raise ConfigurationError(
                f"{name} {config[name]!r} needs SESSION_COOKIE_SECURE, Path=/ and no Domain"
            )


def build_config(instance_path: str) -> dict:
    """Return the settings read from the environment, with development defaults."""
    if env_text("SESSION_LIFETIME_MINUTES"):
        raise ConfigurationError(
            "SESSION_LIFETIME_MINUTES was replaced by SESSION_IDLE_TIMEOUT_SECONDS (default 1800) "
            "and SESSION_ABSOLUTE_TIMEOUT_SECONDS (default 28800): set those instead"
        )
    app_env = (env_text("APP_ENV") or "development").strip().lower()
    production = app_env == "production"
    default_db = "sqlite:///" + str(Path(instance_path) / "lab.sqlite3")
    secure_cookies = _env_bool("SESSION_COOKIE_SECURE", production)
    host_prefix = "__Host-" if secure_cookies else ""

    return {
        "APP_ENV": app_env,
        "PRODUCTION": production,
        "SECRET_KEY": env_text("SECRET_KEY"),
        "JWT_SECRET_KEY": env_text("JWT_SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(env_text("DATABASE_URL", default_db)),
        # SQL errors are logged without their bound values: those include session IDs and
        # password hashes.
        "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True},
        # Sessions: server-side, in the SQL store by default.
        "SESSION_STORE": (env_text("SESSION_STORE") or "sql").strip().lower(),
        # Over https the names carry the __Host- prefix: the browser then accepts them only if
        # Secure, for the whole site (Path=/) and for this host alone (no Domain), so that no
        # subdomain or plain-http page can plant or overwrite them.
        "SESSION_COOKIE_NAME": f"{host_prefix}lab_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "ALLOW_INSECURE_COOKIES": _env_bool("ALLOW_INSECURE_COOKIES", False),
        # Before sign-in there is no server-side session: the CSRF token of the forms lives in
        # this signed cookie instead (see app/session_auth/store.py).
        "PRE_LOGIN_COOKIE_NAME": f"{host_prefix}lab_csrf",
        # Two server-side timeouts, whatever the cookie says: a session ends after
        # SESSION_IDLE_TIMEOUT_SECONDS without a request (the record's expiry, which each
        # refresh moves forward), and SESSION_ABSOLUTE_TIMEOUT_SECONDS after sign-in in any case
        # (no refresh moves the expiry past it). See app/session_auth/store.py.
        "PERMANENT_SESSION_LIFETIME": timedelta(
            seconds=_env_int("SESSION_IDLE_TIMEOUT_SECONDS", 30 * 60, minimum=1, unit="seconds")
        ),
        "SESSION_ABSOLUTE_TIMEOUT": timedelta(
            seconds=_env_int(
                "SESSION_ABSOLUTE_TIMEOUT_SECONDS", 8 * 3600, minimum=1, unit="seconds"
            )
        ),
        "REDIS_URL": env_text("REDIS_URL", "redis://127.0.0.1:6379/0"),
        # Off only for a provider whose TLS certificate cannot be checked (Heroku Redis).
        "REDIS_TLS_VERIFY": _env_bool("REDIS_TLS_VERIFY", True),
        # How many proxies in front of the app append to X-Forwarded-For and set -Proto: 0 when
        # clients reach the app directly, 1 behind a PaaS router or one nginx. The app believes
        # those two headers from exactly that many hops, never more (app/proxies.py).
        "PROXY_FIX_HOPS": _env_int("PROXY_FIX_HOPS", 0, minimum=0, unit="proxies"),
        # Rate limits (app/rate_limits.py): counted in memory, or in Redis when REDIS_URL is
        # set, so that every worker and instance shares the counts. A counter store that
        # fails lets requests through, logged, rather than lock everyone out.
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": rate_limit_storage_uri(env_text("REDIS_URL")),
        "RATELIMIT_STORAGE_OPTIONS": rate_limit_storage_options(
            env_text("REDIS_URL"), _env_bool("REDIS_TLS_VERIFY", True)
        ),
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_HEADERS_ENABLED": False,
        # What X-Served-By and the pages call this instance (app/served_by.py).
        "INSTANCE_NAME": instance_name(),
        # Refreshing on every request turns each read into a write. Expiry slides instead at most
        # once per interval; see app/session_auth/store.py.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "SESSION_REFRESH_INTERVAL": timedelta(
            seconds=_env_int("SESSION_REFRESH_INTERVAL_SECONDS", 300, minimum=1, unit="seconds")
        ),
        # Each new SQL session record removes at most this many expired ones, so the table stays
        # bounded without a scheduler and no request does unbounded work.
        "SESSION_SWEEP_BATCH": 20,
        "SESSION_PROTECTION": "basic",
        # JWT access tokens.
        # Which key signs new tokens: the shared secret (HS256) or the key pair (ES256) whose
        # public half /.well-known/jwks.json serves. See app/jwt_auth/keys.py.
        "JWT_ALGORITHM": env_text("JWT_ALGORITHM", "HS256"),
        # A JWKS with private members; in development the instance folder's jwt-keys.json.
        "JWT_PRIVATE_KEYS": env_text("JWT_PRIVATE_KEYS"),
        "JWT_ISSUER": env_text("JWT_ISSUER", "session-vs-jwt-lab"),
        "JWT_AUDIENCE": env_text("JWT_AUDIENCE", "session-vs-jwt-lab:api"),
        "JWT_ACCESS_TOKEN_TTL": timedelta(
            seconds=_env_int("JWT_ACCESS_TOKEN_TTL_SECONDS", 300, minimum=1, unit="seconds")
        ),
        # Refresh tokens: opaque, rotated on each use, kept (hashed) in the database.
        "JWT_REFRESH_TOKEN_TTL": timedelta(
            seconds=_env_int(
                "JWT_REFRESH_TOKEN_TTL_SECONDS", 7 * 24 * 3600, minimum=1, unit="seconds"
            )
        ),
        "JWT_REFRESH_COOKIE_NAME": "lab_refresh",
        # The third place to keep an access token: an HttpOnly cookie, with a readable
        # double-submit CSRF cookie beside it.
        "JWT_ACCESS_COOKIE_NAME": "lab_access",
        "JWT_ACCESS_CSRF_COOKIE_NAME": "lab_access_csrf",
        # Revoked access tokens (`jti` until `exp`): in the database, or in Redis with
        # SESSION_STORE=redis. Each new entry (and each new refresh family) removes at most
        # this many expired ones.
        "JWT_SWEEP_BATCH": 20,
        "JWT_LEEWAY_SECONDS": _env_int("JWT_LEEWAY_SECONDS", 0, minimum=0, unit="seconds"),
        # Requests: nothing this site accepts is anywhere near this size.
        "MAX_CONTENT_LENGTH": _env_int("MAX_CONTENT_LENGTH", 64 * 1024, minimum=1, unit="bytes"),
        "MAX_FORM_MEMORY_SIZE": 64 * 1024,
        # A form's CSRF token lives as long as what holds its secret: the pre-login cookie (until
        # the browser closes) or the session record (until sign-out).
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": production,
        # Compressed copies of static/, one folder per content hash (app/static_files.py).
        "STATIC_BUILD_FOLDER": str(Path(instance_path) / "static-build"),
    }


# Settings that are durations: zero or less would mean "expired at birth" or "refresh always".
POSITIVE_DURATIONS = (
    "PERMANENT_SESSION_LIFETIME",
    "SESSION_ABSOLUTE_TIMEOUT",
    "SESSION_REFRESH_INTERVAL",
    "JWT_ACCESS_TOKEN_TTL",
    "JWT_REFRESH_TOKEN_TTL",
)


def check_durations(config: dict) -> None:
    """Refuse lifetimes of zero or less, whether they came from the environment or the code."""
    for name in POSITIVE_DURATIONS:
        value = config[name]
        if not isinstance(value, timedelta) or value.total_seconds() < 1:
            raise ConfigurationError(f"{name} must be at least one second, got {value!r}")
    if config["SESSION_REFRESH_INTERVAL"] >= config["PERMANENT_SESSION_LIFETIME"]:
        raise ConfigurationError(
            "SESSION_REFRESH_INTERVAL_SECONDS must be shorter than SESSION_IDLE_TIMEOUT_SECONDS, "
            "or a session in use would time out between two refreshes"
        )
    batch = config["SESSION_SWEEP_BATCH"]
    # SQLite reads LIMIT 0 or less as "no limit": the opposite of bounded work per request.
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise ConfigurationError(f"SESSION_SWEEP_BATCH must be a positive number, got {batch!r}")


def rate_limit_storage_uri(redis_url: str | None) -> str:
    """Where Flask-Limiter counts: this process's memory, or the Redis at REDIS_URL, whose
    `unix://` form the limits library spells `redis+unix://`."""
    if not redis_url:
        return "memory://"
    if redis_url.startswith("unix://"):
        return "redis+" + redis_url
    return redis_url


def rate_limit_storage_options(redis_url: str | None, tls_verify: bool) -> dict:
    """The rate limiter connects to Redis as the app's own client does."""
    return connection_options(redis_url, tls_verify) if redis_url else {}


def check_keys(config: dict, instance_path: str) -> None:
    """Fill in development keys, or refuse to start in production without strong ones."""
    for name, filename in (("SECRET_KEY", "secret_key"), ("JWT_SECRET_KEY", "jwt_secret_key")):
        value = config.get(name)
        if config["PRODUCTION"]:
            if not value:
                raise ConfigurationError(
                    f"{name} is not set. In production (APP_ENV=production) set it to a random "
                    f"value of at least {MIN_KEY_BYTES} bytes, e.g. "
                    "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
                )
            if (
                len(value.encode()) < MIN_KEY_BYTES
                or value.strip().lower() in KNOWN_WEAK_KEYS
                or len(set(value)) < MIN_DISTINCT_CHARACTERS
            ):
                raise ConfigurationError(
                    f"{name} is too weak: production needs at least {MIN_KEY_BYTES} random bytes "
                    f"(a generated key: at least {MIN_DISTINCT_CHARACTERS} different characters)."
                )
        elif not value:
            config[name] = load_or_create_instance_key(instance_path, filename)
    if config["SECRET_KEY"] == config["JWT_SECRET_KEY"]:
        raise ConfigurationError(
            "SECRET_KEY and JWT_SECRET_KEY must differ: a leak of one must not forge the other."
        )
