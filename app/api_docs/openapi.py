"""The OpenAPI 3.1 document of the JSON API, built as a plain dict: no app or request context.

Response objects are closed (`additionalProperties: false`) and list what is required, so that
tests/test_openapi.py, which checks real answers against this document, fails on any drift.
Request bodies stay open: the server ignores keys it does not know.
"""

from __future__ import annotations

import copy

from app.accounts.credentials import PASSWORD_MAX_LENGTH, USERNAME_MAX_LENGTH

OPENAPI_VERSION = "3.1.0"
REALM = "session-vs-jwt-lab"

# The names app/config.py gives the cookies; the tests check that the two still agree.
SESSION_COOKIE = "lab_session"
ACCESS_COOKIE = "lab_access"
ACCESS_CSRF_COOKIE = "lab_access_csrf"
REFRESH_COOKIE = "lab_refresh"
SESSION_COPY_COOKIE = "lab_session_copy"
REFRESH_COPY_COOKIE = "lab_refresh_copy"
ACCESS_COPY_COOKIE = "lab_access_copy"
STOLEN_REFRESH_COOKIE = "lab_refresh_stolen"
PLANTED_COPY_COOKIE = "lab_planted_copy"

JSON = "application/json"
STORAGES = ["localStorage", "cookie"]
ALGORITHMS = ["HS256", "ES256"]
STORES = ["sql", "redis", "memory"]
FLOW_STEPS_REFUSING = ["token", "signature", "claims", "denylist"]

DESCRIPTION = """\
The JSON API of Session vs JWT Lab: the same user data behind two schemes, a server-side
session (cookie `lab_session`) and a JSON Web Token (an `Authorization: Bearer` header, or the
HttpOnly cookie `lab_access`), plus refresh tokens that rotate (cookie `lab_refresh`).

Every error body is `{"error": <code>, "message": <text>, ...}`. `error` and every other value
stay English; `message` is for people, in the language the request chose (`?lang=`, the `lang`
cookie, then `Accept-Language`: `en` or `ko`).

`?trace=1` adds a `trace` object (the `Trace` schema) to the bodies that say so. Every answer
carries the same figures in a `Server-Timing` header. API answers are `Cache-Control: no-store`;
this document itself is public.
"""


def ref(name: str, kind: str = "schemas") -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def closed(required: dict, optional: dict | None = None, description: str = "") -> dict:
    """A JSON object with exactly these properties: any other key is drift."""
    schema = {
        "type": "object",
        "required": list(required),
        "properties": {**required, **(optional or {})},
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def nullable(schema: dict) -> dict:
    return {"oneOf": [{"type": "null"}, schema]}


TEXT = {"type": "string"}
MESSAGE = {
    "type": "string",
    "minLength": 1,
    "description": "For people, translated per request; match on `error`, never on this.",
}
UNIX_TIME = {"type": "integer", "minimum": 0, "description": "Unix time, in seconds."}
UNIX_TIME_OR_NULL = {"type": ["integer", "null"], "minimum": 0}
SECONDS = {"type": "integer", "minimum": 1, "description": "A lifetime, in seconds."}
MILLISECONDS = {"type": "number", "minimum": 0}
COUNT = {"type": "integer", "minimum": 0}
JWT_TEXT = {
    "type": "string",
    "pattern": r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$",
    "description": "A compact JWS (HS256 or ES256; its header's `kid` names the key).",
}
TRACED = {"trace": ref("Trace")}


def error(code: str, description: str, extra: dict | None = None, optional=None) -> dict:
    """An error body: `{"error": code, "message": ...}` and exactly the extra keys given."""
    return closed(
        {"error": {"const": code}, "message": MESSAGE, **(extra or {})}, optional, description
    )


# Schemas.

TRACE_SCHEMAS = {
    "TraceStep": closed(
        {
            "key": {"type": "string", "pattern": "^[a-z_]+$"},
            "label": TEXT,
            "ms": {"type": ["number", "null"], "minimum": 0},
            "detail": TEXT,
            "failed": {"type": "boolean"},
        },
        description="One step of a flow that the request went through, or stopped at.",
    ),
    "Trace": closed(
        {
            "scheme": {"enum": ["jwt", "session", None]},
            "authenticated": {"type": "boolean"},
            "steps": {"type": "array", "items": ref("TraceStep")},
            "auth_ms": MILLISECONDS,
            "store": closed(
                {
                    "kind": {"enum": [*STORES, None]},
                    "name": {"type": ["string", "null"]},
                    "reads": COUNT,
                    "writes": COUNT,
                    "ms": MILLISECONDS,
                }
            ),
            "sql": closed(
                {
                    "reads": COUNT,
                    "writes": COUNT,
                    "count": COUNT,
                    "ms": MILLISECONDS,
                    "statements": {"type": "array", "items": TEXT, "maxItems": 20},
                }
            ),
        },
        description="The auth work this request really did, measured (`?trace=1`).",
    ),
}

USER_SCHEMAS = {
    "Note": closed({"id": {"type": "integer", "minimum": 1}, "title": TEXT, "body": TEXT}),
    "JwtIdentity": closed(
        {
            "username": TEXT,
            "display_name": TEXT,
            "user_id": {"type": "integer", "minimum": 1},
            "scheme": {"const": "jwt"},
            "expires_at": UNIX_TIME,
        },
        TRACED,
        "Who the access token says you are, from its verified claims alone.",
    ),
    "JwtNotes": closed(
        {"notes": {"type": "array", "items": ref("Note")}, "scheme": {"const": "jwt"}}, TRACED
    ),
    "SessionIdentity": closed(
        {
            "username": TEXT,
            "display_name": TEXT,
            "user_id": {"type": "integer", "minimum": 1},
            "scheme": {"const": "session"},
            "login_at": {"type": "string", "format": "date-time"},
            "store": {"enum": STORES},
        },
        TRACED,
        "Who the session record says you are.",
    ),
    "SessionNotes": closed(
        {"notes": {"type": "array", "items": ref("Note")}, "scheme": {"const": "session"}}, TRACED
    ),
    "SessionDevice": closed(
        {
            "id": {
                "type": "string",
                "pattern": "^[0-9a-f]{16}$",
                "description": "A public handle for the session, never its ID.",
            },
            "current": {"type": "boolean", "description": "Whether it is this request's."},
            "created_at": nullable({"type": "string", "format": "date-time"}),
            "last_seen_at": nullable(
                {
                    "type": "string",
                    "format": "date-time",
                    "description": "Coarse: written when the expiry slides, at most every "
                    "SESSION_REFRESH_INTERVAL_SECONDS.",
                }
            ),
            "user_agent": TEXT,
            "ip": {"type": "string", "description": "The network signed in from (/24, /48)."},
        }
    ),
    "SessionDevices": closed(
        {"sessions": {"type": "array", "items": ref("SessionDevice")}},
        TRACED,
        "The user's live sessions: this one first, then the most recently seen.",
    ),
    "RevokeSessions": {
        "oneOf": [
            closed({"id": {"type": "string", "minLength": 1, "maxLength": 64}}),
            closed({"all_others": {"const": True}}),
        ]
    },
    "SessionsRevoked": closed(
        {
            "revoked": COUNT,
            "signed_out": {
                "type": "boolean",
                "description": "True when the session ended was this request's own.",
            },
        }
    ),
}

TOKEN_SCHEMAS = {
    "TokenCheck": {
        "description": "What the server makes of the request's access token.",
        "oneOf": [
            closed(
                {
                    "present": {"const": True},
                    "valid": {"const": True},
                    "source": {"enum": ["header", "cookie"]},
                    "username": TEXT,
                    "expires_at": UNIX_TIME,
                    "expires_in": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "Seconds left, by the server's clock.",
                    },
                },
                TRACED,
            ),
            closed(
                {"present": {"type": "boolean"}, "valid": {"const": False}},
                {
                    "source": {"enum": ["header", "cookie"]},
                    "reason": TEXT,
                    "failed_step": {"enum": FLOW_STEPS_REFUSING},
                    "code": {
                        "enum": ["token_expired", "token_revoked"],
                        "description": "Present for the refusals a client may act on: an "
                        "expired token can be replaced with the refresh token.",
                    },
                    **TRACED,
                },
            ),
        ],
    },
    "TokenRequest": {
        "type": "object",
        "required": ["username", "password"],
        "properties": {
            "username": {"type": "string", "minLength": 1, "maxLength": USERNAME_MAX_LENGTH},
            "password": {"type": "string", "minLength": 1, "maxLength": PASSWORD_MAX_LENGTH},
            "storage": {
                "enum": STORAGES,
                "default": "localStorage",
                "description": "Where the page keeps the access token: `cookie` sets it as the "
                "HttpOnly `lab_access` cookie and leaves it out of the body.",
            },
            "algorithm": {
                "enum": ALGORITHMS,
                "description": "What signs this sign-in's access tokens, refreshes included: "
                "`HS256`, the server's shared secret (only the server can check the token), or "
                "`ES256`, a private key whose public half is at `/.well-known/jwks.json` (anyone "
                "can check it). Absent: the server's `JWT_ALGORITHM`. A 400 if the server holds "
                "no key for the algorithm chosen.",
            },
        },
    },
    "TokensIssued": {
        "description": "A new access token (in the body or in `lab_access`) and refresh token.",
        "oneOf": [
            closed(
                {
                    "access_token": JWT_TEXT,
                    "token_type": {"const": "Bearer"},
                    "expires_in": SECONDS,
                    "refresh_expires_in": SECONDS,
                    "storage": {"const": "localStorage"},
                },
                TRACED,
            ),
            closed(
                {
                    "token_type": {"const": "Bearer"},
                    "expires_in": SECONDS,
                    "refresh_expires_in": SECONDS,
                    "storage": {"const": "cookie"},
                },
                TRACED,
            ),
        ],
    },
    "LogoutRequest": {
        "type": "object",
        "properties": {
            "keep_copy": {
                "type": "boolean",
                "default": False,
                "description": "Keep a copy of the signed-out tokens for `/jwt/api/auth/replay`.",
            }
        },
    },
    "SignedOut": closed(
        {
            "signed_out": {"const": True},
            "refresh_family_revoked": {"type": "boolean"},
            "access_token_revoked": {"type": "boolean"},
            "revoked_until": {
                **UNIX_TIME_OR_NULL,
                "description": "When the access token's denylist entry lapses (its `exp`).",
            },
        },
        TRACED,
    ),
    "RefreshTokenState": closed(
        {
            "number": {"type": "integer", "minimum": 1},
            "issued_at": UNIX_TIME,
            "expires_at": UNIX_TIME,
            "used_at": UNIX_TIME_OR_NULL,
            "state": {"enum": ["active", "spent", "revoked", "expired"]},
            "current": {"type": "boolean"},
        }
    ),
    "RefreshFamily": closed(
        {
            "created_at": UNIX_TIME,
            "storage": {"enum": STORAGES},
            "revoked_at": UNIX_TIME_OR_NULL,
            "revoked_reason": {"type": ["string", "null"]},
            "revoked_reason_code": {"enum": ["reuse", "logout", None]},
            "tokens": {"type": "array", "items": ref("RefreshTokenState")},
            "token_count": COUNT,
        },
        description="One sign-in's chain of refresh tokens, newest last.",
    ),
    "FamilyView": closed({"family": nullable(ref("RefreshFamily"))}, TRACED),
    "ReplayedAnswer": closed(
        {"status": {"type": "integer", "minimum": 100, "maximum": 599}, "body": {"type": "object"}},
        {
            "store_reads": {
                **COUNT,
                "description": "The store reads the check made: 0 on the stateless route, 1 on "
                "the checked one.",
            }
        },
        description="What the server answered when an old credential was sent again.",
    ),
    "StolenCopy": closed(
        {
            "copied": {"const": True},
            "number": {"type": "integer", "minimum": 1, "description": "Its place in the family."},
        },
        description=f"The refresh token, copied into `{STOLEN_REFRESH_COOKIE}`.",
    ),
    "JwtReplay": closed(
        {
            "refresh_token": nullable(ref("ReplayedAnswer")),
            "access_token": nullable(
                closed({"stateless": ref("ReplayedAnswer"), "checked": ref("ReplayedAnswer")})
            ),
        },
        description="The kept copies of signed-out tokens, sent again; null where none is kept.",
    ),
    "SessionReplay": closed(
        {
            "copy": {"type": "boolean"},
            "status": {"type": ["integer", "null"], "minimum": 100, "maximum": 599},
            "body": {"type": ["object", "null"]},
        },
        TRACED,
        description="The kept copy of a signed-out session cookie, sent again.",
    ),
}

INSPECT_SCHEMAS = {
    "ReceivedCookie": closed(
        {"name": {"type": "string", "maxLength": 64}, "masked": TEXT, "note": TEXT}
    ),
    "AuthorizationView": {
        "oneOf": [
            closed({"present": {"const": False}}),
            closed(
                {
                    "present": {"const": True},
                    "scheme": {"type": "string", "maxLength": 20},
                    "masked": TEXT,
                    "parts": COUNT,
                }
            ),
        ]
    },
    "SessionView": {
        "oneOf": [
            closed(
                {
                    "authenticated": {"const": False},
                    "store": {"enum": STORES},
                    "store_name": {"type": ["string", "null"]},
                    "cookie": {"enum": ["none", "malformed", "unchecked", "unknown", "found"]},
                }
            ),
            closed(
                {
                    "authenticated": {"const": True},
                    "cookie": {"const": "found"},
                    "store": {"enum": STORES},
                    "store_name": {"type": ["string", "null"]},
                    "key": TEXT,
                    "expiry": {"type": ["string", "null"]},
                    "username": TEXT,
                    "data_keys": {"type": "array", "items": TEXT},
                }
            ),
        ]
    },
    "RequestSeen": closed(
        {
            "cookies": {"type": "array", "items": ref("ReceivedCookie"), "maxItems": 20},
            "authorization": ref("AuthorizationView"),
            "session": ref("SessionView"),
            "jwt": ref("TokenCheck"),
            "server_stores_for_jwt": {
                "type": "object",
                "description": "What the server keeps for the JWT scheme: never the access "
                "token; the refresh families in SQL; the denylist in SQL or Redis.",
                "properties": {
                    "access_tokens": {"type": "null"},
                    "refresh_families": {"const": "sql"},
                    "denylist": {"enum": ["sql", "redis"]},
                },
                "required": ["access_tokens", "refresh_families", "denylist"],
                "additionalProperties": False,
            },
            "worker_pid": {"type": "integer", "minimum": 1},
            "trace": ref("Trace"),
        },
        description="What this request carried, as the server received it (masked).",
    ),
}

ERROR_SCHEMAS = {
    "InvalidRequest": error(
        "invalid_request",
        "The request is missing something or is not the JSON object expected.",
        optional={
            "fields": {
                "type": "object",
                "propertyNames": {"enum": ["username", "password", "storage"]},
                "additionalProperties": {"type": "array", "items": TEXT, "minItems": 1},
            }
        },
    ),
    "InvalidCredentials": error("invalid_credentials", "Wrong username or password."),
    "MissingToken": error("missing_token", "No access token came.", optional=TRACED),
    "InvalidToken": error(
        "invalid_token",
        "An access token came and was refused.",
        {"reason": TEXT, "failed_step": {"enum": FLOW_STEPS_REFUSING}},
        TRACED,
    ),
    "InvalidRefreshToken": error(
        "invalid_refresh_token", "No new tokens for this refresh token.", {"reason": TEXT}, TRACED
    ),
    "CsrfFailed": error(
        "csrf_failed",
        "The lab_access cookie came without its double submit.",
        {"reason": TEXT},
        TRACED,
    ),
    "NotAuthenticated": error("not_authenticated", "No valid session."),
    "SessionCsrfFailed": error(
        "csrf_failed", "The X-CSRFToken header is missing or does not match the session's."
    ),
    "NoSuchSession": error("not_found", "None of your live sessions has this id."),
    "NotFoundError": error("not_found", "No route at this address."),
    "MethodNotAllowedError": error("method_not_allowed", "The route exists for other methods."),
    "PayloadTooLargeError": error("request_entity_too_large", "Larger than MAX_CONTENT_LENGTH."),
    "UnsupportedMediaTypeError": error("unsupported_media_type", "The body is not JSON."),
    "StoreUnavailableError": error("service_unavailable", "The session store cannot be reached."),
    "DatabaseUnavailableError": error("database_unavailable", "The database cannot be reached."),
    "TooManyRequestsError": error(
        "too_many_requests",
        "Over a rate limit: 30 a minute per client address; sign-ins also 10 a minute per "
        "username; refreshes 60 a minute per address.",
    ),
}

# Headers.

HEADERS = {
    "ServerTiming": {
        "description": "The trace's figures (auth, store, db, total), for DevTools.",
        "required": True,
        "schema": {
            "type": "string",
            "pattern": r'db;desc="[0-9]+ reads, [0-9]+ writes";dur=[0-9]+\.[0-9]{3}, '
            r'app;desc="total in app";dur=[0-9]+\.[0-9]{3}$',
        },
    },
    "ServedBy": {
        "description": "The instance (INSTANCE_NAME, else the host name) and worker process that "
        "answered: on every response.",
        "required": True,
        "schema": {"type": "string", "pattern": r"^[^/]{1,64}/[0-9]+$"},
    },
    "NoStore": {
        "description": "API answers show identities and tokens: nothing may cache them.",
        "required": True,
        "schema": {"const": "no-store"},
    },
    "PublicCache": {"required": True, "schema": {"const": "public, max-age=300"}},
    "WwwAuthenticate": {
        "description": "RFC 6750; English, printable ASCII. No error code when no token came.",
        "required": True,
        "schema": {
            "type": "string",
            "pattern": rf'^Bearer realm="{REALM}"'
            r'(, error="invalid_token", error_description="[ !#-\[\]-~]*")?$',
        },
    },
    "RetryAfter": {"required": True, "schema": {"type": "string", "pattern": "^[0-9]+$"}},
    "Allow": {"required": True, "schema": {"type": "string", "minLength": 1}},
    "SetCookie": {
        "description": "The cookies listed in the response's `x-set-cookie`, one header each.",
        "required": True,
        "schema": {"type": "string"},
    },
}

# Parameters.

PARAMETERS = {
    "Trace": {
        "name": "trace",
        "in": "query",
        "description": "`1` adds the `trace` object to the body; any other value does not.",
        "schema": {"type": "string"},
    },
    "RequestedWith": {
        "name": "X-Requested-With",
        "in": "header",
        "required": True,
        "description": "No cross-site form can set it: the refresh cookie's CSRF guard.",
        "schema": {"const": "fetch"},
    },
    "RequestedWithIfRefreshCookie": {
        "name": "X-Requested-With",
        "in": "header",
        "description": "Required when only the `lab_refresh` cookie authenticates the call.",
        "schema": {"const": "fetch"},
    },
    "RefreshCopy": {
        "name": REFRESH_COPY_COOKIE,
        "in": "cookie",
        "description": "The refresh token kept by a sign-out with `keep_copy`.",
        "schema": {"type": "string"},
    },
    "StolenRefresh": {
        "name": STOLEN_REFRESH_COOKIE,
        "in": "cookie",
        "description": "The thief's copy of a refresh token (Path=/jwt/api/auth/thief).",
        "schema": {"type": "string"},
    },
    "AccessCopy": {
        "name": ACCESS_COPY_COOKIE,
        "in": "cookie",
        "description": "The `lab_access` token kept by a sign-out with `keep_copy`.",
        "schema": {"type": "string"},
    },
    "SessionCopy": {
        "name": SESSION_COPY_COOKIE,
        "in": "cookie",
        "description": "A copy of a signed-out `lab_session` cookie, kept to show it is dead.",
        "schema": {"type": "string"},
    },
    "PlantedCopy": {
        "name": PLANTED_COPY_COOKIE,
        "in": "cookie",
        "description": "The ID the fixation demo planted, kept to send it again after sign-in.",
        "schema": {"type": "string"},
    },
}

# Security schemes.

SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from `/jwt/api/token`, verified with no store lookup. "
        "A non-empty `Authorization` header is the credential even when the access cookie "
        "is also sent: a refused header is not saved by a good cookie.",
    },
    "accessCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": ACCESS_COOKIE,
        "description": "The access token in an HttpOnly cookie (`storage: cookie`), read only "
        "when no `Authorization` header is sent. A POST, PUT, PATCH or DELETE authenticated "
        "by it also needs `X-CSRF-Token`.",
    },
    "accessCsrfHeader": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRF-Token",
        "description": f"The value of the readable `{ACCESS_CSRF_COOKIE}` cookie, repeated "
        "(double submit).",
    },
    "refreshCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": REFRESH_COOKIE,
        "description": "The current refresh token (HttpOnly, SameSite=Strict, "
        "Path=/jwt/api/auth); rotated on every use.",
    },
    "requestedWithFetch": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Requested-With",
        "description": "Must be `fetch`: the CSRF guard of calls made with `lab_refresh` alone.",
    },
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "A random session ID, looked up in the session store on each request. "
        "Over https the cookie is named `__Host-lab_session`: the browser then accepts it only "
        "if Secure, for Path=/ and with no Domain.",
    },
    "sessionCsrfHeader": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRFToken",
        "description": "Flask-WTF's token, for a POST authenticated by `lab_session` (the "
        "session forms, and `POST /session/api/sessions/revoke`). Every page carries it in "
        '`<meta name="csrf-token">` once the visitor holds one (a signed-in session does).',
    },
}

ACCESS_TOKEN = [{"bearerAuth": []}, {"accessCookie": []}]
OPTIONAL_ACCESS_TOKEN = [{}, *ACCESS_TOKEN]

# Responses.


def answer(description: str, schema: dict, headers: dict | None = None, **extensions) -> dict:
    """A JSON response with the headers every API answer carries, plus `headers`."""
    return {
        "description": description,
        "headers": {
            "Server-Timing": ref("ServerTiming", "headers"),
            "Cache-Control": ref("NoStore", "headers"),
            "X-Served-By": ref("ServedBy", "headers"),
            **(headers or {}),
        },
        "content": {JSON: {"schema": schema}},
        **extensions,
    }


def one_of(*names: str) -> dict:
    return {"oneOf": [ref(name) for name in names]}


# How each cookie is set; `storage` limits it to the sign-ins that chose that storage.
TOKEN_COOKIES = [
    {
        "name": REFRESH_COOKIE,
        "httpOnly": True,
        "sameSite": "Strict",
        "path": "/jwt/api/auth",
        "storage": STORAGES,
    },
    {
        "name": ACCESS_COOKIE,
        "httpOnly": True,
        "sameSite": "Lax",
        "path": "/jwt/api",
        "storage": ["cookie"],
    },
    {
        "name": ACCESS_CSRF_COOKIE,
        "httpOnly": False,
        "sameSite": "Lax",
        "path": "/",
        "storage": ["cookie"],
    },
]

UNAVAILABLE = {"Retry-After": ref("RetryAfter", "headers")}

RESPONSES = {
    "InvalidRequest": answer("Not the request this route expects.", ref("InvalidRequest")),
    "BearerRefused": answer(
        "No access token, or a refused one.",
        one_of("MissingToken", "InvalidToken"),
        {"WWW-Authenticate": ref("WwwAuthenticate", "headers")},
    ),
    "NotSignedIn": answer("No valid session.", ref("NotAuthenticated")),
    "NotFound": answer("No route at this address.", ref("NotFoundError")),
    "MethodNotAllowed": answer(
        "The route does not take this method.",
        ref("MethodNotAllowedError"),
        {"Allow": ref("Allow", "headers")},
    ),
    "PayloadTooLarge": answer("The body is over MAX_CONTENT_LENGTH.", ref("PayloadTooLargeError")),
    "UnsupportedMediaType": answer("The body is not JSON.", ref("UnsupportedMediaTypeError")),
    "TooManyRequests": answer(
        "Rate limited; Retry-After says in how many seconds to try again. Refused before any "
        "password is checked.",
        ref("TooManyRequestsError"),
        UNAVAILABLE,
    ),
    "StoreUnavailable": answer(
        "The session store cannot be reached; retry shortly.",
        ref("StoreUnavailableError"),
        UNAVAILABLE,
    ),
    "DatabaseUnavailable": answer(
        "The database cannot be reached; retry shortly.",
        ref("DatabaseUnavailableError"),
        UNAVAILABLE,
    ),
    "StoreOrDatabaseUnavailable": answer(
        "The database or the session store (Redis) cannot be reached; retry shortly.",
        one_of("DatabaseUnavailableError", "StoreUnavailableError"),
        UNAVAILABLE,
    ),
    "InvalidCredentialsAnswer": answer("Wrong username or password.", ref("InvalidCredentials")),
    "RefreshRefused": answer(
        "No refresh token, or one that is unknown, expired, spent or revoked.",
        ref("InvalidRefreshToken"),
    ),
    "CsrfRefused": answer(
        "The `lab_access` cookie came without a matching `X-CSRF-Token`.", ref("CsrfFailed")
    ),
    "RevokeRefused": answer(
        "Not a revoke body, or no valid `X-CSRFToken`.",
        one_of("InvalidRequest", "SessionCsrfFailed"),
    ),
    "SessionGone": answer("No live session of yours has this id.", ref("NoSuchSession")),
}


def responses(ok: dict, errors: dict[int, str] | None = None) -> dict:
    """`ok` as the 200, and each error status as a reference to a component response."""
    refs = {str(status): ref(name, "responses") for status, name in (errors or {}).items()}
    return {"200": ok, **refs}


def tokens_issued(description: str) -> dict:
    return answer(
        description,
        ref("TokensIssued"),
        {"Set-Cookie": ref("SetCookie", "headers")},
        **{"x-set-cookie": TOKEN_COOKIES},
    )


def json_body(name: str, required: bool = True) -> dict:
    return {"required": required, "content": {JSON: {"schema": ref(name)}}}


TRACE_PARAMETER = [ref("Trace", "parameters")]

# Paths.

JWT_PATHS = {
    "/jwt/api/token": {
        "post": {
            "operationId": "issueTokens",
            "tags": ["jwt"],
            "summary": "Sign in: a username and password for an access and a refresh token.",
            "requestBody": json_body("TokenRequest"),
            "responses": responses(
                tokens_issued(
                    "Signed in. `lab_refresh` is set; with `storage: cookie`, so are "
                    "`lab_access` and `lab_access_csrf`."
                ),
                {
                    400: "InvalidRequest",
                    401: "InvalidCredentialsAnswer",
                    413: "PayloadTooLarge",
                    429: "TooManyRequests",
                    503: "DatabaseUnavailable",
                },
            ),
        }
    },
    "/jwt/api/auth/refresh": {
        "post": {
            "operationId": "refreshTokens",
            "tags": ["jwt"],
            "summary": "Spend the refresh token for a new access token and the next refresh token.",
            "description": "A spent refresh token sent again revokes its whole family.",
            "security": [{"refreshCookie": []}],
            "parameters": [ref("RequestedWith", "parameters")],
            "responses": responses(
                tokens_issued(
                    "Rotated: the next `lab_refresh` is set, and the access token is "
                    "in the body or in `lab_access`, as the sign-in chose."
                ),
                {
                    400: "InvalidRequest",
                    401: "RefreshRefused",
                    429: "TooManyRequests",
                    503: "DatabaseUnavailable",
                },
            ),
        }
    },
    "/jwt/api/auth/logout": {
        "post": {
            "operationId": "signOutTokens",
            "tags": ["jwt"],
            "summary": "Revoke the refresh family and put the access token on the denylist.",
            "description": "A refused access token is a 401 unless the refresh cookie came too. "
            f"`keep_copy` keeps the credentials in `{REFRESH_COPY_COOKIE}` and "
            f"`{ACCESS_COPY_COOKIE}` (Path=/jwt/api/auth/replay) for the replay lab.",
            "security": [
                {"bearerAuth": []},
                {"accessCookie": [], "accessCsrfHeader": []},
                {"refreshCookie": [], "requestedWithFetch": []},
            ],
            "parameters": [ref("RequestedWithIfRefreshCookie", "parameters")],
            "requestBody": json_body("LogoutRequest", required=False),
            "responses": responses(
                answer("Signed out.", ref("SignedOut")),
                {
                    400: "InvalidRequest",
                    401: "BearerRefused",
                    403: "CsrfRefused",
                    413: "PayloadTooLarge",
                    503: "StoreOrDatabaseUnavailable",
                },
            ),
        }
    },
    "/jwt/api/auth/family": {
        "get": {
            "operationId": "describeRefreshFamily",
            "tags": ["jwt"],
            "summary": "The refresh family of the `lab_refresh` cookie, token by token.",
            "security": [{}, {"refreshCookie": []}],
            "responses": responses(
                answer("The family, or null without a known refresh token.", ref("FamilyView")),
                {503: "DatabaseUnavailable"},
            ),
        }
    },
    "/jwt/api/auth/replay": {
        "post": {
            "operationId": "replaySignedOutTokens",
            "tags": ["jwt"],
            "summary": "Send the kept copies of signed-out tokens again, to show they are dead.",
            "parameters": [
                ref("RequestedWith", "parameters"),
                ref("RefreshCopy", "parameters"),
                ref("AccessCopy", "parameters"),
            ],
            "responses": responses(
                answer("What each copy got; the copies are deleted.", ref("JwtReplay")),
                {400: "InvalidRequest", 503: "StoreOrDatabaseUnavailable"},
            ),
        }
    },
    "/jwt/api/auth/thief/copy": {
        "post": {
            "operationId": "copyRefreshTokenAsAThief",
            "tags": ["jwt"],
            "summary": "Copy the refresh token as a thief would hold it, for the reuse lab.",
            "description": f"The copy is set for 10 minutes in `{STOLEN_REFRESH_COOKIE}`, which "
            "only `/jwt/api/auth/thief/*` receives.",
            "security": [{"refreshCookie": []}],
            "parameters": [ref("RequestedWith", "parameters")],
            "responses": responses(
                answer("Copied.", ref("StolenCopy")),
                {400: "InvalidRequest", 401: "RefreshRefused", 503: "DatabaseUnavailable"},
            ),
        }
    },
    "/jwt/api/auth/thief/use": {
        "post": {
            "operationId": "useStolenRefreshToken",
            "tags": ["jwt"],
            "summary": "The thief spends the copy at the real refresh logic.",
            "description": "A spent copy is reuse: the whole family is revoked. A copy used first "
            "rotates the family, and what it got is dropped. Either way the copy is deleted. The "
            "answer is the refresh route's status and, for a refusal, its body.",
            "parameters": [
                ref("RequestedWith", "parameters"),
                ref("StolenRefresh", "parameters"),
            ],
            "responses": responses(
                answer("What the refresh logic answered the thief.", ref("ReplayedAnswer")),
                {400: "InvalidRequest", 429: "TooManyRequests", 503: "DatabaseUnavailable"},
            ),
        }
    },
    "/jwt/api/me": {
        "get": {
            "operationId": "jwtMe",
            "tags": ["jwt"],
            "summary": "Who the access token says you are: no query, no store.",
            "security": ACCESS_TOKEN,
            "parameters": TRACE_PARAMETER,
            "responses": responses(
                answer("The token's identity.", ref("JwtIdentity")), {401: "BearerRefused"}
            ),
        }
    },
    "/jwt/api/checked/me": {
        "get": {
            "operationId": "jwtCheckedMe",
            "tags": ["jwt"],
            "summary": "Like `/jwt/api/me`, and the token is looked up on the denylist.",
            "security": ACCESS_TOKEN,
            "parameters": TRACE_PARAMETER,
            "responses": responses(
                answer("The token's identity; it is not signed out.", ref("JwtIdentity")),
                {401: "BearerRefused", 503: "StoreOrDatabaseUnavailable"},
            ),
        }
    },
    "/jwt/api/notes": {
        "get": {
            "operationId": "jwtNotes",
            "tags": ["jwt"],
            "summary": "The user's notes: the token says who, the database holds the data.",
            "security": ACCESS_TOKEN,
            "parameters": TRACE_PARAMETER,
            "responses": responses(
                answer("The notes, oldest first.", ref("JwtNotes")),
                {401: "BearerRefused", 503: "DatabaseUnavailable"},
            ),
        }
    },
    "/jwt/api/check": {
        "get": {
            "operationId": "jwtCheck",
            "tags": ["jwt"],
            "summary": "The verdict on the access token as a 200, for pages that show it.",
            "security": OPTIONAL_ACCESS_TOKEN,
            "parameters": TRACE_PARAMETER,
            "responses": responses(answer("The verdict.", ref("TokenCheck"))),
        }
    },
}

SESSION_PATHS = {
    "/session/api/me": {
        "get": {
            "operationId": "sessionMe",
            "tags": ["session"],
            "summary": "Who the session record says you are.",
            "security": [{"sessionCookie": []}],
            "parameters": TRACE_PARAMETER,
            "responses": responses(
                answer("The session's identity.", ref("SessionIdentity")),
                {401: "NotSignedIn", 503: "StoreUnavailable"},
            ),
        }
    },
    "/session/api/notes": {
        "get": {
            "operationId": "sessionNotes",
            "tags": ["session"],
            "summary": "The user's notes: the session says who, the database holds the data.",
            "security": [{"sessionCookie": []}],
            "parameters": TRACE_PARAMETER,
            "responses": responses(
                answer("The notes, oldest first.", ref("SessionNotes")),
                {401: "NotSignedIn", 503: "StoreOrDatabaseUnavailable"},
            ),
        }
    },
    "/session/api/sessions": {
        "get": {
            "operationId": "sessionDevices",
            "tags": ["session"],
            "summary": "The signed-in user's live sessions (the device list).",
            "security": [{"sessionCookie": []}],
            "parameters": TRACE_PARAMETER,
            "responses": responses(
                answer("Every live session of the user.", ref("SessionDevices")),
                {401: "NotSignedIn", 503: "StoreUnavailable"},
            ),
        }
    },
    "/session/api/sessions/revoke": {
        "post": {
            "operationId": "revokeSessions",
            "tags": ["session"],
            "summary": "End one of your sessions by its id, or every other one.",
            "description": "Its record is deleted: its cookie, wherever it is, then "
            "authenticates no one. Ending this request's own session signs it out.",
            "security": [{"sessionCookie": [], "sessionCsrfHeader": []}],
            "requestBody": json_body("RevokeSessions"),
            "responses": responses(
                answer("Ended.", ref("SessionsRevoked")),
                {
                    400: "RevokeRefused",
                    401: "NotSignedIn",
                    404: "SessionGone",
                    413: "PayloadTooLarge",
                    503: "StoreUnavailable",
                },
            ),
        }
    },
    "/session/api/replay": {
        "get": {
            "operationId": "replaySignedOutSession",
            "tags": ["session"],
            "summary": "Send the kept copy of a signed-out session cookie again.",
            "parameters": [ref("SessionCopy", "parameters")],
            "responses": responses(
                answer("What the copy got, if one is kept.", ref("SessionReplay")),
                {503: "StoreOrDatabaseUnavailable"},
            ),
        }
    },
}

INSPECT_PATHS = {
    "/inspect/api/request": {
        "get": {
            "operationId": "inspectRequest",
            "tags": ["inspect"],
            "summary": "Echo what this request carried, and what the server keeps for it.",
            "security": [{}, *ACCESS_TOKEN, {"sessionCookie": []}],
            "responses": responses(answer("What the server saw.", ref("RequestSeen"))),
        }
    },
}

SCALE_SCHEMAS = {
    "ScaleProbe": closed(
        {
            "served_by": {"type": "string", "description": "The same as X-Served-By."},
            "session_store": {"enum": STORES},
            "session_store_name": TEXT,
            "session_store_shared": {
                "type": "boolean",
                "description": "Whether every instance and worker reads the same sessions.",
            },
            "session": closed(
                {
                    "cookie": {"enum": ["none", "malformed", "unchecked", "unknown", "found"]},
                    "username": {"type": ["string", "null"]},
                },
                description="What this instance made of the session cookie: `unknown` when it "
                "has no such session (another instance's memory holds it), `unchecked` when its "
                "store did not answer.",
            ),
        }
    ),
}

SCALE_PATHS = {
    "/lab/scale/api/probe": {
        "get": {
            "operationId": "scaleProbe",
            "tags": ["scale"],
            "summary": "Which instance answered, and whether it found this browser's session.",
            "security": [{}, {"sessionCookie": []}],
            "responses": responses(
                answer("Always 200: an unknown session is a finding.", ref("ScaleProbe"))
            ),
        }
    },
}

BROWSER_LAB_SCHEMAS = {
    "StolenToken": closed({"token": {"type": "string", "minLength": 1, "maxLength": 8192}}),
    "SinkReceipt": closed(
        {
            "received": {"const": True},
            "length": COUNT,
            "preview": {"type": "string", "description": "The start of it, masked."},
            "parts": COUNT,
        },
        description="What the attacker's server received. It keeps nothing.",
    ),
    "FixationCheck": closed(
        {
            "planted": nullable(TEXT),
            "current": nullable(TEXT),
            "accepted": {"type": ["boolean", "null"]},
        },
        description="The planted ID's first characters, this session's, and whether the store "
        "accepted the planted one (null when none is kept).",
    ),
}

BROWSER_LAB_PATHS = {
    "/lab/browser/api/sink": {
        "post": {
            "operationId": "browserLabSink",
            "tags": ["lab"],
            "summary": "The XSS demo's attacker's server: says what it received, keeps nothing.",
            "requestBody": json_body("StolenToken"),
            "responses": responses(
                answer("Received.", ref("SinkReceipt")),
                {400: "InvalidRequest", 413: "PayloadTooLarge"},
            ),
        }
    },
    "/lab/browser/api/fixation": {
        "get": {
            "operationId": "browserLabFixation",
            "tags": ["lab"],
            "summary": "Send the ID the fixation demo planted to the session store again.",
            "security": [{}, {"sessionCookie": []}],
            "parameters": [ref("PlantedCopy", "parameters")],
            "responses": responses(
                answer("What the store made of the planted ID.", ref("FixationCheck")),
                {503: "StoreOrDatabaseUnavailable"},
            ),
        }
    },
}

NAIVE_MARK = {"verifier": {"const": "naive"}, "deliberately_broken": {"const": True}}
TOKEN_LAB_SCHEMAS = {
    "NaiveBelief": closed(
        {
            **NAIVE_MARK,
            "accepted": {"const": True},
            "believes": {"type": "object", "description": "The payload, believed as it is."},
            "admin": {"type": "boolean"},
            "how": TEXT,
        },
        description="What the deliberately broken verifier believes. Nothing trusts it.",
    ),
    "NaiveRefusal": closed(
        {
            **NAIVE_MARK,
            "accepted": {"const": False},
            "error": {"enum": ["missing_token", "invalid_token"]},
            "reason": MESSAGE,
        }
    ),
    "WeakSampleToken": closed(
        {**NAIVE_MARK, "token": JWT_TEXT, "kid": {"const": "lab-weak-key"}},
        description="An HS256 token signed with a dictionary word: crack it.",
    ),
    "ClaimSamples": closed(
        {"expired": JWT_TEXT, "not_yet_valid": JWT_TEXT, "other_audience": JWT_TEXT},
        description="Tokens signed with the site's real key whose claims the API refuses.",
    ),
}

TOKEN_LAB_PATHS = {
    "/lab/naive/me": {
        "get": {
            "operationId": "naiveMe",
            "tags": ["lab"],
            "summary": "What the token lab's deliberately broken verifier believes: never "
            "trust it. It takes the algorithm and key from the token's header, accepts "
            "`alg: none`, and checks no claim.",
            "security": [{}, {"bearerAuth": []}],
            "responses": {
                "200": answer("It believes the token.", ref("NaiveBelief")),
                "401": answer(
                    "Even it refuses this one, or no Bearer token came.",
                    ref("NaiveRefusal"),
                    {"WWW-Authenticate": {"required": True, "schema": TEXT}},
                ),
            },
        }
    },
    "/lab/naive/weak-token": {
        "get": {
            "operationId": "naiveWeakToken",
            "tags": ["lab"],
            "summary": "A sample token signed with a weak key: a word of static/lab/words.txt.",
            "responses": {"200": answer("The sample.", ref("WeakSampleToken"))},
        }
    },
    "/jwt/api/lab/claim-samples": {
        "get": {
            "operationId": "claimSamples",
            "tags": ["lab"],
            "summary": "For the signed-in visitor: an expired token, one not valid yet (and "
            "already expired), one for another audience. None is ever accepted by the API.",
            "security": ACCESS_TOKEN,
            "responses": responses(
                answer("The three samples.", ref("ClaimSamples")), {401: "BearerRefused"}
            ),
        }
    },
}

JWKS_SCHEMAS = {
    "PublicJwk": closed(
        {
            "kty": {"const": "EC"},
            "crv": {"const": "P-256"},
            "x": TEXT,
            "y": TEXT,
            "kid": TEXT,
            "alg": {"const": "ES256"},
            "use": {"const": "sig"},
        },
        description="The public half of an ES256 signing key: never `d`, never a secret.",
    ),
    "Jwks": closed({"keys": {"type": "array", "items": ref("PublicJwk")}}),
}

DOCUMENT_PATH = {
    "/.well-known/jwks.json": {
        "get": {
            "operationId": "jwks",
            "tags": ["jwt"],
            "summary": "The public keys that check ES256 tokens, by kid (RFC 7517).",
            "responses": {
                "200": {
                    "description": "Every ES256 key of the set, the one that signs and those that "
                    "only verify; empty when the server signs with HS256 only.",
                    "headers": {"Cache-Control": ref("PublicCache", "headers")},
                    "content": {JSON: {"schema": ref("Jwks")}},
                }
            },
        }
    },
    "/api/openapi.json": {
        "get": {
            "operationId": "openapiDocument",
            "tags": ["docs"],
            "summary": "This document.",
            "responses": {
                "200": {
                    "description": "The OpenAPI 3.1 document, the same for everyone.",
                    "headers": {
                        "Server-Timing": ref("ServerTiming", "headers"),
                        "Cache-Control": ref("PublicCache", "headers"),
                        "X-Served-By": ref("ServedBy", "headers"),
                    },
                    "content": {JSON: {"schema": {"type": "object", "required": ["openapi"]}}},
                }
            },
        }
    },
}


def build_openapi_document() -> dict:
    """The whole document, as a new dict each time (callers may change their copy)."""
    return copy.deepcopy(
        {
            "openapi": OPENAPI_VERSION,
            "info": {"title": "Session vs JWT Lab API", "version": "1", "description": DESCRIPTION},
            "tags": [
                {"name": "jwt", "description": "JSON Web Tokens: access, refresh, revocation."},
                {"name": "session", "description": "The server-side session, as JSON."},
                {"name": "inspect", "description": "What a request carried, both schemes at once."},
                {"name": "scale", "description": "Several instances: which one answered."},
                {"name": "lab", "description": "The labs' attacks, shown live."},
                {"name": "docs", "description": "This document."},
            ],
            "paths": {
                **JWT_PATHS,
                **SESSION_PATHS,
                **INSPECT_PATHS,
                **SCALE_PATHS,
                **BROWSER_LAB_PATHS,
                **TOKEN_LAB_PATHS,
                **DOCUMENT_PATH,
            },
            "components": {
                "schemas": {
                    **TRACE_SCHEMAS,
                    **USER_SCHEMAS,
                    **TOKEN_SCHEMAS,
                    **INSPECT_SCHEMAS,
                    **SCALE_SCHEMAS,
                    **BROWSER_LAB_SCHEMAS,
                    **TOKEN_LAB_SCHEMAS,
                    **JWKS_SCHEMAS,
                    **ERROR_SCHEMAS,
                },
                "responses": RESPONSES,
                "parameters": PARAMETERS,
                "headers": HEADERS,
                "securitySchemes": SECURITY_SCHEMES,
            },
        }
    )
