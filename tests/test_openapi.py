"""The OpenAPI document at /api/openapi.json: valid, complete, and true of every real answer.

Each status the document gives an operation is reached by a real request through the test
client, and the real answer (status, headers, JSON body) is checked against the document with
openapi-core. Hostile requests to every operation must get an answer the document lists, too.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.exceptions import OpenAPIError
from openapi_spec_validator import validate
from sqlalchemy import text

from app.api_docs import openapi as docs
from app.api_docs.openapi import build_openapi_document
from app.extensions import db
from app.sessionless import is_sessionless
from harness.actions import (
    DEMO_PASSWORDS,
    SESSION_COOKIE,
    SessionActions,
    csrf_meta_from,
    csrf_token_from,
)
from harness.servers import free_port
from tests.helpers import forge, good_claims, make_token, tampered

DOCUMENT = build_openapi_document()  # outside any app or request context, as the module promises
API_PREFIXES = (
    "/jwt/api/",
    "/session/api/",
    "/inspect/api/",
    "/lab/scale/api/",
    "/lab/browser/api/",
    "/lab/naive/",
)
UNDOCUMENTED_METHODS = {"HEAD", "OPTIONS"}  # answered by Flask itself for every route
CREDENTIALS = {"username": "alice", "password": DEMO_PASSWORDS["alice"]}
FETCH = {"X-Requested-With": "fetch"}
OVER_THE_LIMIT = '{"username": "' + "a" * 70_000 + '"}'  # MAX_CONTENT_LENGTH is 64 KiB
UNKNOWN_REFRESH_TOKEN = "A" * 43  # the shape of one, issued by no one
UNKNOWN_SESSION_ID = "A" * 43
WRONG_KEY = "a-signing-key-this-server-does-not-have-0123456789"


def documented_operations() -> list[tuple[str, str]]:
    return [(method.upper(), path) for path, item in DOCUMENT["paths"].items() for method in item]


def documented_answers() -> set[tuple[str, str, int]]:
    return {
        (method.upper(), path, int(status))
        for path, item in DOCUMENT["paths"].items()
        for method, operation in item.items()
        for status in operation["responses"]
    }


def resolve(node: dict) -> dict:
    """Follow `$ref`s inside the document."""
    while "$ref" in node:
        target = DOCUMENT
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def documented_response(method: str, path: str, status: int) -> dict:
    return resolve(DOCUMENT["paths"][path][method.lower()]["responses"][str(status)])


@pytest.fixture(scope="module")
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(DOCUMENT)


# Checking real answers.


def explain(exc: OpenAPIError) -> str:
    """What really differed: each schema error openapi-core wraps, with the branches of a oneOf."""
    lines = []
    cause: BaseException | None = exc
    while cause is not None:
        errors = getattr(cause, "schema_errors", None) or []
        if not errors and cause.__cause__ is None:
            lines.append(f"{type(cause).__name__}: {str(cause)[:300]}")
        for error in errors:
            lines.append(f"{error.json_path}: {error.message[:300]}")
            lines += [f"  or {sub.json_path}: {sub.message[:200]}" for sub in error.context]
        cause = cause.__cause__
    return "\n".join(lines) or f"{type(exc).__name__}: {exc}"


def sent_request(response) -> WerkzeugOpenAPIRequest:
    """The request as the client sent it, body included (the app has read it once already)."""
    response.request.environ["wsgi.input"].seek(0)
    return WerkzeugOpenAPIRequest(response.request)


def check_answer(openapi: OpenAPI, response, document: OpenAPI | None = None) -> None:
    """Fail unless the document lists this status for the operation and the answer fits it."""
    try:
        (document or openapi).validate_response(
            sent_request(response), WerkzeugOpenAPIResponse(response)
        )
    except OpenAPIError as exc:
        problem = explain(exc)
    else:
        return
    request = response.request
    pytest.fail(
        f"{request.method} {request.full_path.rstrip('?')} answered {response.status}, which "
        f"the document does not describe:\n{problem}\n"
        f"body: {response.get_data(as_text=True)[:800]}",
        pytrace=False,
    )


def check_request(openapi: OpenAPI, response) -> None:
    """A request the app accepted must be one the document describes (body, security, headers)."""
    try:
        openapi.validate_request(sent_request(response))
    except OpenAPIError as exc:
        problem = explain(exc)
    else:
        return
    request = response.request
    pytest.fail(
        f"{request.method} {request.full_path.rstrip('?')} succeeded, yet the document "
        f"would refuse the request:\n{problem}",
        pytrace=False,
    )


def set_cookies(response) -> dict[str, dict[str, str | bool]]:
    """Each cookie the response sets, with its attributes (lower-case names; flags are True)."""
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = (part.strip() for part in header.split(";"))
        name, _, value = first.partition("=")
        cookie: dict[str, str | bool] = {"value": value}
        for attribute in attributes:
            key, sep, attribute_value = attribute.partition("=")
            cookie[key.lower()] = attribute_value if sep else True
        cookies[name] = cookie
    return cookies


def check_set_cookies(response, documented: dict) -> None:
    """The cookies the document's `x-set-cookie` promises, with the attributes it promises."""
    promised = documented.get("x-set-cookie")
    if not promised:
        return
    storage = response.get_json().get("storage")
    sent = set_cookies(response)
    for cookie in promised:
        name = cookie["name"]
        if storage not in cookie.get("storage", [storage]):
            assert not sent.get(name, {}).get("value"), f"{name} set for storage {storage}"
            continue
        assert name in sent, f"{name} is not set; Set-Cookie: {list(sent)}"
        attributes = sent[name]
        assert attributes["value"], f"{name} is set empty"
        assert attributes.get("httponly", False) is cookie["httpOnly"], name
        assert attributes.get("path") == cookie["path"], name
        if "sameSite" in cookie:
            assert str(attributes.get("samesite", "")).lower() == cookie["sameSite"].lower(), name


# The apps a request may need, and the steps that set it up.


class LabApps:
    """The ordinary app, and on demand one whose database is gone or whose Redis is down."""

    def __init__(self, make_app, tmp_path) -> None:
        self.make_app = make_app
        self.tmp_path = tmp_path

    @cached_property
    def app(self):
        return self.make_app()

    @cached_property
    def client(self):
        return self.app.test_client()

    @cached_property
    def app_without_database(self):
        gone = self.tmp_path / "no-such-folder" / "lab.sqlite3"
        return self.make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{gone}")

    @cached_property
    def app_without_redis(self):
        dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
        return self.make_app(SESSION_STORE="redis", REDIS_URL=dead)

    def client_without_database(self):
        return self.app_without_database.test_client()

    def limited_client(self):
        """A client of an app whose rate limits are on, with the counts at zero."""
        from app.extensions import limiter

        app = self.make_app(RATELIMIT_ENABLED=True)
        limiter.reset()
        return app.test_client()

    def client_without_redis(self):
        return self.app_without_redis.test_client()

    def client_without_es256_key(self):
        """A client of an app holding the shared secret only (no JWT_PRIVATE_KEYS in production)."""
        return self.make_app(JWT_PRIVATE_KEYS=json.dumps({"keys": []})).test_client()


@pytest.fixture
def lab(make_app, tmp_path) -> LabApps:
    return LabApps(make_app, tmp_path)


def sign_in(client, storage: str | None = None):
    """POST /jwt/api/token as alice; the client's cookie jar keeps what it sets."""
    body = CREDENTIALS | ({"storage": storage} if storage else {})
    response = client.post("/jwt/api/token", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def access_token(client) -> str:
    return sign_in(client).get_json()["access_token"]


def refused_with(response, code: str):
    """The response, once its body is known to carry this `error` code."""
    assert response.get_json()["error"] == code, response.get_json()
    return response


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def forged_token() -> str:
    """A token the test app would accept, made without asking it (or its database)."""
    return forge(good_claims())


def cookie_path(name: str) -> str:
    """Where the document says the cookie is set, which is where the client's jar keeps it."""
    return next(cookie["path"] for cookie in docs.TOKEN_COOKIES if cookie["name"] == name)


def access_csrf(client) -> str:
    return client.get_cookie(
        docs.ACCESS_CSRF_COOKIE, path=cookie_path(docs.ACCESS_CSRF_COOKIE)
    ).value


def refresh_token_in(client) -> str:
    return client.get_cookie(docs.REFRESH_COOKIE, path=cookie_path(docs.REFRESH_COOKIE)).value


def send_refresh_token(client, token: str) -> None:
    client.set_cookie(docs.REFRESH_COOKIE, token, path=cookie_path(docs.REFRESH_COOKIE))


# One real request for each documented answer.


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    status: int
    send: Callable[[LabApps], object]

    @property
    def id(self) -> str:
        return f"{self.method} {self.path} {self.status} {self.send.__name__}"


CASES: list[Case] = []


def case(method: str, path: str, status: int) -> Callable:
    def register(send: Callable[[LabApps], object]) -> Callable:
        CASES.append(Case(method, path, status, send))
        return send

    return register


@case("POST", "/jwt/api/token", 200)
def token_for_local_storage(lab):
    return lab.client.post("/jwt/api/token", json=CREDENTIALS)


@case("POST", "/jwt/api/token", 200)
def token_for_cookie_storage(lab):
    return lab.client.post("/jwt/api/token", json=CREDENTIALS | {"storage": "cookie"})


@case("POST", "/jwt/api/token", 400)
def token_from_broken_json(lab):
    return lab.client.post("/jwt/api/token", data="{", content_type="application/json")


@case("POST", "/jwt/api/token", 400)
def token_without_a_password(lab):
    return lab.client.post("/jwt/api/token", json={"username": "alice"})


@case("POST", "/jwt/api/token", 400)
def token_for_an_unknown_storage(lab):
    return lab.client.post("/jwt/api/token", json=CREDENTIALS | {"storage": "sessionStorage"})


@case("POST", "/jwt/api/token", 200)
def token_signed_with_es256(lab):
    return lab.client.post("/jwt/api/token", json=CREDENTIALS | {"algorithm": "ES256"})


@case("POST", "/jwt/api/token", 400)
def token_for_an_unknown_algorithm(lab):
    return lab.client.post("/jwt/api/token", json=CREDENTIALS | {"algorithm": "RS256"})


@case("POST", "/jwt/api/token", 400)
def token_for_an_algorithm_the_server_has_no_key_for(lab):
    client = lab.client_without_es256_key()
    return client.post("/jwt/api/token", json=CREDENTIALS | {"algorithm": "ES256"})


@case("POST", "/jwt/api/token", 401)
def token_for_a_wrong_password(lab):
    return lab.client.post("/jwt/api/token", json={"username": "alice", "password": "nope"})


@case("POST", "/jwt/api/token", 413)
def token_from_a_body_over_the_limit(lab):
    return lab.client.post("/jwt/api/token", data=OVER_THE_LIMIT, content_type="application/json")


@case("POST", "/jwt/api/token", 429)
def token_over_the_limit(lab):
    client = lab.limited_client()
    for _ in range(10):
        client.post("/jwt/api/token", json={"username": "alice", "password": "nope"})
    return client.post("/jwt/api/token", json={"username": "alice", "password": "nope"})


@case("POST", "/jwt/api/token", 503)
def token_without_a_database(lab):
    return refused_with(
        lab.client_without_database().post("/jwt/api/token", json=CREDENTIALS),
        "database_unavailable",
    )


@case("POST", "/jwt/api/auth/refresh", 200)
def refresh_after_a_local_storage_sign_in(lab):
    sign_in(lab.client)
    return lab.client.post("/jwt/api/auth/refresh", headers=FETCH)


@case("POST", "/jwt/api/auth/refresh", 200)
def refresh_after_a_cookie_sign_in(lab):
    sign_in(lab.client, "cookie")
    return lab.client.post("/jwt/api/auth/refresh", headers=FETCH)


@case("POST", "/jwt/api/auth/refresh", 400)
def refresh_without_x_requested_with(lab):
    sign_in(lab.client)
    return lab.client.post("/jwt/api/auth/refresh")


@case("POST", "/jwt/api/auth/refresh", 401)
def refresh_without_a_refresh_token(lab):
    return lab.client.post("/jwt/api/auth/refresh", headers=FETCH)


@case("POST", "/jwt/api/auth/refresh", 401)
def refresh_with_a_spent_refresh_token(lab):
    sign_in(lab.client)
    spent = refresh_token_in(lab.client)
    assert lab.client.post("/jwt/api/auth/refresh", headers=FETCH).status_code == 200
    send_refresh_token(lab.client, spent)
    return lab.client.post("/jwt/api/auth/refresh", headers=FETCH)


@case("POST", "/jwt/api/auth/refresh", 429)
def refresh_over_the_limit(lab):
    client = lab.limited_client()
    for _ in range(60):
        client.post("/jwt/api/auth/refresh", headers=FETCH)
    return client.post("/jwt/api/auth/refresh", headers=FETCH)


@case("POST", "/jwt/api/auth/refresh", 503)
def refresh_without_a_database(lab):
    client = lab.client_without_database()
    send_refresh_token(client, UNKNOWN_REFRESH_TOKEN)
    return refused_with(client.post("/jwt/api/auth/refresh", headers=FETCH), "database_unavailable")


@case("POST", "/jwt/api/auth/logout", 200)
def logout_with_a_bearer_token(lab):
    return lab.client.post("/jwt/api/auth/logout", headers=bearer(access_token(lab.client)))


@case("POST", "/jwt/api/auth/logout", 200)
def logout_with_the_access_cookie_and_its_csrf_value(lab):
    sign_in(lab.client, "cookie")
    headers = {"X-CSRF-Token": access_csrf(lab.client)}
    return lab.client.post("/jwt/api/auth/logout", headers=headers)


@case("POST", "/jwt/api/auth/logout", 200)
def logout_with_the_refresh_cookie_alone(lab):
    sign_in(lab.client)
    return lab.client.post("/jwt/api/auth/logout", headers=FETCH)


@case("POST", "/jwt/api/auth/logout", 200)
def logout_keeping_a_copy(lab):
    token = access_token(lab.client)
    return lab.client.post("/jwt/api/auth/logout", headers=bearer(token), json={"keep_copy": True})


@case("POST", "/jwt/api/auth/logout", 400)
def logout_without_credentials(lab):
    return lab.client.post("/jwt/api/auth/logout")


@case("POST", "/jwt/api/auth/logout", 400)
def logout_with_the_refresh_cookie_without_x_requested_with(lab):
    sign_in(lab.client)
    return lab.client.post("/jwt/api/auth/logout")


@case("POST", "/jwt/api/auth/logout", 401)
def logout_with_a_refused_token_and_no_refresh_cookie(lab):
    return lab.client.post("/jwt/api/auth/logout", headers=bearer(forge(good_claims(), WRONG_KEY)))


@case("POST", "/jwt/api/auth/logout", 403)
def logout_with_the_access_cookie_without_csrf_value(lab):
    sign_in(lab.client, "cookie")
    return lab.client.post("/jwt/api/auth/logout")


@case("POST", "/jwt/api/auth/logout", 403)
def logout_with_the_access_cookie_and_a_wrong_csrf_value(lab):
    sign_in(lab.client, "cookie")
    return lab.client.post("/jwt/api/auth/logout", headers={"X-CSRF-Token": "not-the-value"})


@case("POST", "/jwt/api/auth/logout", 413)
def logout_with_a_body_over_the_limit(lab):
    return lab.client.post(
        "/jwt/api/auth/logout",
        headers=bearer(forged_token()),
        data=OVER_THE_LIMIT,
        content_type="application/json",
    )


@case("POST", "/jwt/api/auth/logout", 503)
def logout_without_a_database(lab):
    client = lab.client_without_database()
    return refused_with(
        client.post("/jwt/api/auth/logout", headers=bearer(forged_token())), "database_unavailable"
    )


@case("POST", "/jwt/api/auth/logout", 503)
def logout_without_redis(lab):
    client = lab.client_without_redis()
    return refused_with(
        client.post("/jwt/api/auth/logout", headers=bearer(forged_token())), "service_unavailable"
    )


@case("GET", "/jwt/api/auth/family", 200)
def family_without_a_refresh_token(lab):
    response = lab.client.get("/jwt/api/auth/family")
    assert response.get_json() == {"family": None}
    return response


@case("GET", "/jwt/api/auth/family", 200)
def family_after_a_sign_in_and_a_refresh(lab):
    sign_in(lab.client, "cookie")
    lab.client.post("/jwt/api/auth/refresh", headers=FETCH)
    return lab.client.get("/jwt/api/auth/family")


@case("GET", "/jwt/api/auth/family", 200)
def family_revoked_for_reuse(lab):
    sign_in(lab.client)
    spent = refresh_token_in(lab.client)
    lab.client.post("/jwt/api/auth/refresh", headers=FETCH)
    send_refresh_token(lab.client, spent)
    assert lab.client.post("/jwt/api/auth/refresh", headers=FETCH).status_code == 401
    send_refresh_token(lab.client, spent)  # the thief's copy: the family it names was revoked
    response = lab.client.get("/jwt/api/auth/family")
    assert response.get_json()["family"]["revoked_reason_code"] == "reuse"
    return response


@case("GET", "/jwt/api/auth/family", 503)
def family_without_a_database(lab):
    client = lab.client_without_database()
    send_refresh_token(client, UNKNOWN_REFRESH_TOKEN)
    return refused_with(client.get("/jwt/api/auth/family"), "database_unavailable")


@case("POST", "/jwt/api/auth/replay", 200)
def replay_with_nothing_kept(lab):
    return lab.client.post("/jwt/api/auth/replay", headers=FETCH)


@case("POST", "/jwt/api/auth/replay", 200)
def replay_after_a_logout_that_kept_copies(lab):
    sign_in(lab.client, "cookie")
    headers = {"X-CSRF-Token": access_csrf(lab.client)}
    signed_out = lab.client.post("/jwt/api/auth/logout", headers=headers, json={"keep_copy": True})
    assert {docs.REFRESH_COPY_COOKIE, docs.ACCESS_COPY_COOKIE} <= set(set_cookies(signed_out))
    response = lab.client.post("/jwt/api/auth/replay", headers=FETCH)
    assert None not in response.get_json().values()
    return response


@case("POST", "/jwt/api/auth/replay", 400)
def replay_without_x_requested_with(lab):
    return lab.client.post("/jwt/api/auth/replay")


@case("POST", "/jwt/api/auth/replay", 503)
def replay_without_a_database(lab):
    client = lab.client_without_database()
    client.set_cookie(docs.REFRESH_COPY_COOKIE, UNKNOWN_REFRESH_TOKEN)
    return refused_with(client.post("/jwt/api/auth/replay", headers=FETCH), "database_unavailable")


@case("POST", "/jwt/api/auth/replay", 503)
def replay_without_redis(lab):
    client = lab.client_without_redis()
    client.set_cookie(docs.ACCESS_COPY_COOKIE, forged_token())
    return refused_with(client.post("/jwt/api/auth/replay", headers=FETCH), "service_unavailable")


@case("GET", "/jwt/api/me", 200)
def me_with_a_bearer_token(lab):
    return lab.client.get("/jwt/api/me", headers=bearer(access_token(lab.client)))


@case("GET", "/jwt/api/me", 200)
def me_with_the_access_cookie_and_the_trace(lab):
    sign_in(lab.client, "cookie")
    response = lab.client.get("/jwt/api/me?trace=1")
    assert "trace" in response.get_json()
    return response


@case("GET", "/jwt/api/me", 401)
def me_without_a_token(lab):
    return lab.client.get("/jwt/api/me")


@case("GET", "/jwt/api/me", 401)
def me_with_an_expired_token_and_the_trace(lab):
    expired = forge(good_claims(iat=int(time.time()) - 600, exp=int(time.time()) - 60))
    return lab.client.get("/jwt/api/me?trace=1", headers=bearer(expired))


@case("GET", "/jwt/api/me", 401)
def me_with_a_tampered_token(lab):
    return lab.client.get("/jwt/api/me", headers=bearer(tampered(access_token(lab.client))))


@case("GET", "/jwt/api/me", 401)
def me_with_another_auth_scheme(lab):
    return lab.client.get("/jwt/api/me", headers={"Authorization": "Basic YWxpY2U6d29uZGVy"})


@case("GET", "/jwt/api/me", 401)
def me_with_a_garbage_access_cookie(lab):
    lab.client.set_cookie(docs.ACCESS_COOKIE, "garbage", path="/jwt/api")
    return lab.client.get("/jwt/api/me")


@case("GET", "/jwt/api/checked/me", 200)
def checked_me_with_a_bearer_token(lab):
    return lab.client.get("/jwt/api/checked/me", headers=bearer(access_token(lab.client)))


@case("GET", "/jwt/api/checked/me", 401)
def checked_me_without_a_token(lab):
    return lab.client.get("/jwt/api/checked/me")


@case("GET", "/jwt/api/checked/me", 401)
def checked_me_after_logout(lab):
    headers = bearer(access_token(lab.client))
    assert lab.client.post("/jwt/api/auth/logout", headers=headers).status_code == 200
    response = lab.client.get("/jwt/api/checked/me?trace=1", headers=headers)
    assert response.get_json().get("failed_step") == "denylist"
    return response


@case("GET", "/jwt/api/checked/me", 503)
def checked_me_without_a_database(lab):
    client = lab.client_without_database()
    return refused_with(
        client.get("/jwt/api/checked/me", headers=bearer(forged_token())), "database_unavailable"
    )


@case("GET", "/jwt/api/checked/me", 503)
def checked_me_without_redis(lab):
    client = lab.client_without_redis()
    return refused_with(
        client.get("/jwt/api/checked/me", headers=bearer(forged_token())), "service_unavailable"
    )


@case("GET", "/jwt/api/notes", 200)
def notes_with_a_bearer_token_and_the_trace(lab):
    return lab.client.get("/jwt/api/notes?trace=1", headers=bearer(access_token(lab.client)))


@case("GET", "/jwt/api/notes", 200)
def notes_with_the_access_cookie(lab):
    sign_in(lab.client, "cookie")
    return lab.client.get("/jwt/api/notes")


@case("GET", "/jwt/api/notes", 401)
def notes_without_a_token(lab):
    return lab.client.get("/jwt/api/notes")


@case("GET", "/jwt/api/notes", 503)
def notes_without_a_database(lab):
    client = lab.client_without_database()
    return refused_with(
        client.get("/jwt/api/notes", headers=bearer(forged_token())), "database_unavailable"
    )


@case("GET", "/jwt/api/check", 200)
def check_a_good_token_with_the_trace(lab):
    return lab.client.get("/jwt/api/check?trace=1", headers=bearer(access_token(lab.client)))


@case("GET", "/jwt/api/check", 200)
def check_without_a_token(lab):
    return lab.client.get("/jwt/api/check")


@case("GET", "/jwt/api/check", 200)
def check_a_tampered_token(lab):
    return lab.client.get("/jwt/api/check", headers=bearer(tampered(access_token(lab.client))))


@case("GET", "/jwt/api/check", 200)
def check_the_access_cookie(lab):
    sign_in(lab.client, "cookie")
    return lab.client.get("/jwt/api/check")


@case("GET", "/session/api/me", 200)
def session_me_signed_in_with_the_trace(lab):
    SessionActions(lab.client).login()
    return lab.client.get("/session/api/me?trace=1")


@case("GET", "/session/api/me", 401)
def session_me_signed_out(lab):
    return lab.client.get("/session/api/me")


@case("GET", "/session/api/me", 503)
def session_me_with_the_store_down(lab):
    client = lab.client_without_redis()
    client.set_cookie(SESSION_COOKIE, UNKNOWN_SESSION_ID)
    return refused_with(client.get("/session/api/me"), "service_unavailable")


@case("GET", "/session/api/notes", 200)
def session_notes_signed_in(lab):
    SessionActions(lab.client).login()
    return lab.client.get("/session/api/notes")


@case("GET", "/session/api/notes", 401)
def session_notes_signed_out(lab):
    return lab.client.get("/session/api/notes")


@case("GET", "/session/api/notes", 503)
def session_notes_with_the_store_down(lab):
    client = lab.client_without_redis()
    client.set_cookie(SESSION_COOKIE, UNKNOWN_SESSION_ID)
    return refused_with(client.get("/session/api/notes"), "service_unavailable")


@case("GET", "/session/api/notes", 503)
def session_notes_with_the_notes_table_gone(lab):
    SessionActions(lab.client).login()
    with lab.app.app_context():
        db.session.execute(text("DROP TABLE notes"))
        db.session.commit()
    return refused_with(lab.client.get("/session/api/notes"), "database_unavailable")


@case("POST", "/jwt/api/auth/thief/copy", 200)
def thief_copies_the_refresh_token(lab):
    sign_in(lab.client)
    response = lab.client.post("/jwt/api/auth/thief/copy", headers=FETCH)
    assert docs.STOLEN_REFRESH_COOKIE in set_cookies(response)
    return response


@case("POST", "/jwt/api/auth/thief/copy", 400)
def thief_copy_without_x_requested_with(lab):
    sign_in(lab.client)
    return lab.client.post("/jwt/api/auth/thief/copy")


@case("POST", "/jwt/api/auth/thief/copy", 401)
def thief_copy_without_a_refresh_token(lab):
    return lab.client.post("/jwt/api/auth/thief/copy", headers=FETCH)


@case("POST", "/jwt/api/auth/thief/copy", 503)
def thief_copy_without_a_database(lab):
    client = lab.client_without_database()
    send_refresh_token(client, UNKNOWN_REFRESH_TOKEN)
    response = client.post("/jwt/api/auth/thief/copy", headers=FETCH)
    return refused_with(response, "database_unavailable")


@case("POST", "/jwt/api/auth/thief/use", 200)
def thief_uses_a_copy_the_visitor_already_spent(lab):
    sign_in(lab.client)
    lab.client.post("/jwt/api/auth/thief/copy", headers=FETCH)
    assert lab.client.post("/jwt/api/auth/refresh", headers=FETCH).status_code == 200
    response = lab.client.post("/jwt/api/auth/thief/use", headers=FETCH)
    assert response.get_json()["status"] == 401
    return response


@case("POST", "/jwt/api/auth/thief/use", 400)
def thief_use_without_a_copy(lab):
    return lab.client.post("/jwt/api/auth/thief/use", headers=FETCH)


@case("POST", "/jwt/api/auth/thief/use", 429)
def thief_use_over_the_limit(lab):
    client = lab.limited_client()
    for _ in range(60):
        client.post("/jwt/api/auth/thief/use", headers=FETCH)
    return client.post("/jwt/api/auth/thief/use", headers=FETCH)


@case("POST", "/jwt/api/auth/thief/use", 503)
def thief_use_without_a_database(lab):
    client = lab.client_without_database()
    client.set_cookie(docs.STOLEN_REFRESH_COOKIE, UNKNOWN_REFRESH_TOKEN)
    response = client.post("/jwt/api/auth/thief/use", headers=FETCH)
    return refused_with(response, "database_unavailable")


@case("GET", "/session/api/replay", 200)
def session_replay_without_a_copy(lab):
    return lab.client.get("/session/api/replay")


@case("GET", "/session/api/replay", 200)
def session_replay_of_a_signed_out_session(lab):
    SessionActions(lab.client).login()
    token = csrf_token_from(lab.client.get("/session/profile").get_data(as_text=True))
    signed_out = lab.client.post("/session/logout", data={"csrf_token": token, "keep_copy": "1"})
    assert docs.SESSION_COPY_COOKIE in set_cookies(signed_out)
    return lab.client.get("/session/api/replay?trace=1")


@case("GET", "/session/api/replay", 503)
def session_replay_with_the_store_down(lab):
    client = lab.client_without_redis()
    client.set_cookie(SESSION_COOKIE, UNKNOWN_SESSION_ID)
    return refused_with(client.get("/session/api/replay"), "service_unavailable")


@case("GET", "/session/api/replay", 503)
def session_replay_without_a_database(lab):
    client = lab.client_without_database()
    client.set_cookie(docs.SESSION_COPY_COOKIE, UNKNOWN_SESSION_ID)
    return refused_with(client.get("/session/api/replay"), "service_unavailable")


def page_token(client) -> str:
    return csrf_meta_from(client.get("/session/devices").get_data(as_text=True))


def second_session(lab) -> str:
    """Sign alice in on another client; the public id of that session."""
    SessionActions(lab.app.test_client()).login()
    sessions = lab.client.get("/session/api/sessions").get_json()["sessions"]
    return next(row["id"] for row in sessions if not row["current"])


@case("GET", "/session/api/sessions", 200)
def session_devices_with_the_trace(lab):
    SessionActions(lab.client).login()
    SessionActions(lab.app.test_client()).login()
    response = lab.client.get("/session/api/sessions?trace=1")
    assert len(response.get_json()["sessions"]) == 2
    return response


@case("GET", "/session/api/sessions", 401)
def session_devices_signed_out(lab):
    return lab.client.get("/session/api/sessions")


@case("GET", "/session/api/sessions", 503)
def session_devices_with_the_store_down(lab):
    client = lab.client_without_redis()
    client.set_cookie(SESSION_COOKIE, UNKNOWN_SESSION_ID)
    return refused_with(client.get("/session/api/sessions"), "service_unavailable")


@case("POST", "/session/api/sessions/revoke", 200)
def revoke_another_session(lab):
    SessionActions(lab.client).login()
    other = second_session(lab)
    headers = {"X-CSRFToken": page_token(lab.client)}
    return lab.client.post("/session/api/sessions/revoke", json={"id": other}, headers=headers)


@case("POST", "/session/api/sessions/revoke", 200)
def revoke_every_other_session(lab):
    SessionActions(lab.client).login()
    headers = {"X-CSRFToken": page_token(lab.client)}
    body = {"all_others": True}
    return lab.client.post("/session/api/sessions/revoke", json=body, headers=headers)


@case("POST", "/session/api/sessions/revoke", 400)
def revoke_without_the_csrf_header(lab):
    SessionActions(lab.client).login()
    response = lab.client.post("/session/api/sessions/revoke", json={"all_others": True})
    return refused_with(response, "csrf_failed")


@case("POST", "/session/api/sessions/revoke", 400)
def revoke_naming_nothing(lab):
    SessionActions(lab.client).login()
    headers = {"X-CSRFToken": page_token(lab.client)}
    response = lab.client.post("/session/api/sessions/revoke", json={}, headers=headers)
    return refused_with(response, "invalid_request")


@case("POST", "/session/api/sessions/revoke", 401)
def revoke_before_signing_in(lab):
    # A visitor who opened a form holds a CSRF token (the sign-in page's <meta> shows it), and
    # yet has no session: the token passes, the request speaks for no one.
    page = lab.client.get("/session/login").get_data(as_text=True)
    headers = {"X-CSRFToken": csrf_meta_from(page)}
    body = {"all_others": True}
    return lab.client.post("/session/api/sessions/revoke", json=body, headers=headers)


@case("POST", "/session/api/sessions/revoke", 404)
def revoke_an_unknown_id(lab):
    SessionActions(lab.client).login()
    headers = {"X-CSRFToken": page_token(lab.client)}
    body = {"id": "0123456789abcdef"}
    return lab.client.post("/session/api/sessions/revoke", json=body, headers=headers)


@case("POST", "/session/api/sessions/revoke", 413)
def revoke_with_a_body_over_the_limit(lab):
    SessionActions(lab.client).login()
    headers = {"X-CSRFToken": page_token(lab.client), "Content-Type": "application/json"}
    return lab.client.post("/session/api/sessions/revoke", data=OVER_THE_LIMIT, headers=headers)


@case("POST", "/session/api/sessions/revoke", 503)
def revoke_with_the_store_down(lab):
    client = lab.client_without_redis()
    client.set_cookie(SESSION_COOKIE, UNKNOWN_SESSION_ID)
    response = client.post("/session/api/sessions/revoke", json={"all_others": True})
    return refused_with(response, "service_unavailable")


@case("POST", "/lab/browser/api/sink", 200)
def sink_receives_a_token(lab):
    return lab.client.post("/lab/browser/api/sink", json={"token": access_token(lab.client)})


@case("POST", "/lab/browser/api/sink", 400)
def sink_without_a_token(lab):
    return refused_with(lab.client.post("/lab/browser/api/sink", json={}), "invalid_request")


@case("POST", "/lab/browser/api/sink", 413)
def sink_with_a_body_over_the_limit(lab):
    return lab.client.post(
        "/lab/browser/api/sink", data=OVER_THE_LIMIT, content_type="application/json"
    )


@case("GET", "/lab/naive/me", 200)
def naive_believes_alg_none(lab):
    token = make_token({"alg": "none"}, good_claims(), lambda data: b"")
    return lab.client.get("/lab/naive/me", headers=bearer(token))


@case("GET", "/lab/naive/me", 200)
def naive_believes_a_genuine_token(lab):
    return lab.client.get("/lab/naive/me", headers=bearer(access_token(lab.client)))


@case("GET", "/lab/naive/me", 401)
def naive_without_a_token(lab):
    return lab.client.get("/lab/naive/me")


@case("GET", "/lab/naive/me", 401)
def naive_with_junk(lab):
    return lab.client.get("/lab/naive/me", headers=bearer("not.a.token"))


@case("GET", "/lab/naive/weak-token", 200)
def naive_weak_sample(lab):
    return lab.client.get("/lab/naive/weak-token")


@case("GET", "/jwt/api/lab/claim-samples", 200)
def claim_samples_for_a_signed_in_visitor(lab):
    return lab.client.get("/jwt/api/lab/claim-samples", headers=bearer(access_token(lab.client)))


@case("GET", "/jwt/api/lab/claim-samples", 401)
def claim_samples_for_a_tampered_token(lab):
    token = tampered(access_token(lab.client))
    return lab.client.get("/jwt/api/lab/claim-samples", headers=bearer(token))


@case("GET", "/lab/browser/api/fixation", 200)
def fixation_without_a_planted_id(lab):
    return lab.client.get("/lab/browser/api/fixation")


@case("GET", "/lab/browser/api/fixation", 200)
def fixation_after_planting_and_signing_in(lab):
    page = lab.client.get("/lab/browser").get_data(as_text=True)
    planted = lab.client.post(
        "/lab/browser/fixation/plant", data={"csrf_token": csrf_token_from(page)}
    )
    form = planted.get_data(as_text=True)
    SessionActions(lab.client).submit_login(form)
    response = lab.client.get("/lab/browser/api/fixation")
    body = response.get_json()
    assert body["accepted"] is False and body["planted"] != body["current"]
    return response


@case("GET", "/lab/browser/api/fixation", 503)
def fixation_with_the_store_down(lab):
    client = lab.client_without_redis()
    client.set_cookie(
        docs.PLANTED_COPY_COOKIE, UNKNOWN_SESSION_ID, path="/lab/browser/api/fixation"
    )
    return refused_with(client.get("/lab/browser/api/fixation"), "service_unavailable")


@case("GET", "/inspect/api/request", 200)
def inspect_with_nothing(lab):
    return lab.client.get("/inspect/api/request")


@case("GET", "/inspect/api/request", 200)
def inspect_with_a_session_and_a_bearer_token(lab):
    SessionActions(lab.client).login()
    return lab.client.get("/inspect/api/request", headers=bearer(access_token(lab.client)))


@case("GET", "/inspect/api/request", 200)
def inspect_with_a_refused_token_and_an_unknown_session(lab):
    lab.client.set_cookie(SESSION_COOKIE, UNKNOWN_SESSION_ID)
    return lab.client.get("/inspect/api/request", headers=bearer("not.a.token"))


@case("GET", "/lab/scale/api/probe", 200)
def probe_with_nothing(lab):
    return lab.client.get("/lab/scale/api/probe")


@case("GET", "/lab/scale/api/probe", 200)
def probe_with_a_session(lab):
    SessionActions(lab.client).login()
    return lab.client.get("/lab/scale/api/probe")


@case("GET", "/lab/scale/api/probe", 200)
def probe_with_an_unknown_session(lab):
    lab.client.set_cookie(SESSION_COOKIE, UNKNOWN_SESSION_ID)
    return lab.client.get("/lab/scale/api/probe")


@case("GET", "/.well-known/jwks.json", 200)
def the_public_key_set(lab):
    response = lab.client.get("/.well-known/jwks.json")
    assert len(response.get_json()["keys"]) == 1
    return response


@case("GET", "/api/openapi.json", 200)
def the_document_itself(lab):
    return lab.client.get("/api/openapi.json")


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_each_documented_answer_is_what_the_app_really_sends(case, lab, openapi):
    response = case.send(lab)
    assert response.status_code == case.status, response.get_data(as_text=True)[:800]
    check_answer(openapi, response)
    if response.status_code < 300:
        check_request(openapi, response)
    check_set_cookies(response, documented_response(case.method, case.path, case.status))


def test_every_documented_answer_is_reached_by_a_real_request():
    reached = {(case.method, case.path, case.status) for case in CASES}
    assert sorted(documented_answers() - reached) == []
    assert sorted(reached - documented_answers()) == []


# Whatever else a client sends, the answer is one the document lists.

PROBES = {
    "nothing": {},
    "a garbage bearer token": {"headers": {"Authorization": "Bearer not.a.token"}},
    "an empty bearer": {"headers": {"Authorization": "Bearer "}},
    "another auth scheme": {"headers": {"Authorization": "Basic YWxpY2U6d29uZGVy"}},
    "a garbage access cookie": {"cookies": {docs.ACCESS_COOKIE: "garbage"}},
    "an unknown refresh token": {
        "cookies": {docs.REFRESH_COOKIE: UNKNOWN_REFRESH_TOKEN},
        "headers": FETCH,
    },
    "a malformed refresh cookie": {"cookies": {docs.REFRESH_COOKIE: "short"}, "headers": FETCH},
    "an unknown session": {"cookies": {SESSION_COOKIE: UNKNOWN_SESSION_ID}},
    "a malformed session cookie": {"cookies": {SESSION_COOKIE: "x"}},
    "a session copy cookie": {"cookies": {docs.SESSION_COPY_COOKIE: UNKNOWN_SESSION_ID}},
    "kept copies of tokens": {
        "cookies": {
            docs.REFRESH_COPY_COOKIE: UNKNOWN_REFRESH_TOKEN,
            docs.ACCESS_COPY_COOKIE: forged_token(),
        },
        "headers": FETCH,
    },
    "garbage copies of tokens": {
        "cookies": {docs.REFRESH_COPY_COOKIE: "x", docs.ACCESS_COPY_COOKIE: "x"},
        "headers": FETCH,
    },
    "broken JSON": {"data": "{", "content_type": "application/json"},
    "a JSON array": {"json": []},
    "JSON of the wrong types": {
        "json": {"username": 1, "password": [], "storage": 5, "algorithm": 5, "keep_copy": "yes"}
    },
    "plain text": {"data": "hello", "content_type": "text/plain"},
    "a form": {"data": {"username": "alice", "password": "wonderland"}},
    "a body over the limit": {"data": OVER_THE_LIMIT, "content_type": "application/json"},
    "Korean": {"headers": {"Accept-Language": "ko"}, "query_string": {"trace": "1"}},
    "the trace": {"query_string": {"trace": "1"}},
}


def probe(client_factory, method: str, path: str, request: dict):
    client = client_factory()
    for name, value in request.get("cookies", {}).items():
        client.set_cookie(name, value)
    options = {key: value for key, value in request.items() if key != "cookies"}
    return client.open(path, method=method, **options)


@pytest.mark.parametrize("setup", ["ordinary", "without a database", "without redis"])
@pytest.mark.parametrize(("method", "path"), documented_operations())
def test_hostile_requests_get_only_documented_answers(method, path, setup, lab, openapi):
    factory = {
        "ordinary": lambda: lab.app.test_client(),
        "without a database": lab.client_without_database,
        "without redis": lab.client_without_redis,
    }[setup]
    for request in PROBES.values():
        response = probe(factory, method, path, request)
        assert response.status_code != 500, response.get_data(as_text=True)[:800]
        check_answer(openapi, response)


def document_with(additions: dict[str, dict[str, dict]]) -> OpenAPI:
    """The document with extra operations that point at its own error components."""
    document = copy.deepcopy(DOCUMENT)
    for path, operations in additions.items():
        document["paths"].setdefault(path, {}).update(operations)
    return OpenAPI.from_dict(document)


def only(status: int, component: str) -> dict:
    return {"responses": {str(status): docs.ref(component, "responses")}}


@pytest.mark.parametrize("path", [f"{prefix}no-such-route" for prefix in API_PREFIXES])
def test_unknown_api_routes_answer_the_documented_404(client, openapi, path):
    response = client.get(path)
    assert response.status_code == 404
    check_answer(openapi, response, document_with({path: {"get": only(404, "NotFound")}}))


@pytest.mark.parametrize(("method", "path"), documented_operations())
def test_other_methods_answer_the_documented_405(client, openapi, method, path):
    other = "GET" if method == "POST" else "POST"
    response = client.open(path, method=other)
    assert response.status_code == 405
    extra = document_with({path: {other.lower(): only(405, "MethodNotAllowed")}})
    check_answer(openapi, response, extra)
    assert method in response.headers["Allow"]


# The document itself.


def test_the_document_is_valid_openapi_3_1():
    assert DOCUMENT["openapi"].startswith("3.1.")
    validate(DOCUMENT)


def test_the_document_is_english_and_ascii_only():
    assert json.dumps(DOCUMENT, ensure_ascii=False).isascii()


def openapi_path(rule: str) -> str:
    """Flask's `/notes/<int:id>` as OpenAPI's `/notes/{id}`."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def api_operations(app) -> set[tuple[str, str]]:
    return {
        (method, openapi_path(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API_PREFIXES)
        for method in rule.methods - UNDOCUMENTED_METHODS
    }


def test_every_api_route_and_method_is_documented(app):
    assert sorted(api_operations(app) - set(documented_operations())) == []


def test_every_documented_operation_exists_in_the_app(app):
    adapter = app.url_map.bind("localhost")
    missing = []
    for method, path in documented_operations():
        if not adapter.test(re.sub(r"\{[^}]+\}", "1", path), method):
            missing.append(f"{method} {path}")
    assert missing == []


def test_the_cookie_names_are_the_apps(app):
    documented = {
        "SESSION_COOKIE_NAME": docs.SESSION_COOKIE,
        "JWT_ACCESS_COOKIE_NAME": docs.ACCESS_COOKIE,
        "JWT_ACCESS_CSRF_COOKIE_NAME": docs.ACCESS_CSRF_COOKIE,
        "JWT_REFRESH_COOKIE_NAME": docs.REFRESH_COOKIE,
    }
    assert {key: app.config.get(key) for key in documented} == documented


def test_the_served_document_is_the_built_one_in_every_language(client):
    english = client.get("/api/openapi.json")
    korean = client.get("/api/openapi.json?lang=ko", headers={"Accept-Language": "ko"})
    assert english.get_json() == korean.get_json() == DOCUMENT
    assert english.headers["Cache-Control"] == "public, max-age=300"


def test_the_document_never_touches_the_session_store(app, client):
    SessionActions(client).login()  # a real session cookie, which the SQL store would look up
    assert is_sessionless(app, "/api/openapi.json")
    response = client.get("/api/openapi.json")
    assert 'db;desc="0 reads, 0 writes"' in response.headers["Server-Timing"]
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")
