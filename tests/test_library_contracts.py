"""What the site leans on in its libraries, checked so a change fails loudly, and the boundaries
between its own packages, checked so they stay where the README says they are."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import jwt
import pytest
from flask_session.base import ServerSideSessionInterface

from app.config import ConfigurationError
from app.jwt_auth import tokens
from app.session_auth.store import MemorySessionStore, RedisSessionStore, SqlSessionStore
from app.tracing import RequestTrace
from harness.actions import JwtActions

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SLOW = 0.05  # seconds: far above the real cost of either step


def test_start_up_refuses_a_pyjwt_that_no_longer_calls_the_hook(make_app, monkeypatch):
    # What a PyJWT release that renamed `_decode_payload` would look like from here.
    monkeypatch.setattr(tokens._SplitTimedJWT, "_decode_payload", jwt.PyJWT._decode_payload)
    with pytest.raises(ConfigurationError, match="no longer calls _decode_payload"):
        make_app()


def test_start_up_refuses_a_pyjwt_without_our_algorithm(make_app, monkeypatch):
    monkeypatch.setattr(tokens._jwt, "_jws", jwt.PyJWS())
    with pytest.raises(ConfigurationError, match="HS256 algorithm registered"):
        make_app()


def verify_with_trace(app, token: str) -> dict[str, float]:
    trace = RequestTrace()
    with app.test_request_context("/"):
        tokens.verify_access_token(token, trace=trace)
    return {step.key: step.ms for step in trace.steps} | {"auth": trace.auth_ms}


def test_the_signature_step_times_the_signature_check(app, monkeypatch):
    token = JwtActions(app.test_client()).token()
    real_verify = tokens._KeyVettedOnceHMAC.verify

    def slow_verify(self, msg, key, sig):
        time.sleep(SLOW)
        return real_verify(self, msg, key, sig)

    monkeypatch.setattr(tokens._KeyVettedOnceHMAC, "verify", slow_verify)
    steps = verify_with_trace(app, token)
    assert steps["signature"] >= SLOW * 1000
    assert steps["claims"] < SLOW * 1000
    assert steps["signature"] + steps["claims"] == pytest.approx(steps["auth"], rel=0.05)


def test_the_claims_step_times_the_claim_checks(app, monkeypatch):
    token = JwtActions(app.test_client()).token()
    real_validate = jwt.PyJWT._validate_claims

    def slow_validate(self, *args, **kwargs):
        time.sleep(SLOW)
        return real_validate(self, *args, **kwargs)

    monkeypatch.setattr(jwt.PyJWT, "_validate_claims", slow_validate)
    steps = verify_with_trace(app, token)
    assert steps["claims"] >= SLOW * 1000
    assert steps["signature"] < SLOW * 1000


def test_the_stores_implement_flask_sessions_storage_contract():
    """The storage methods ServerSideSessionInterface asks its subclasses for are still these."""
    assert ServerSideSessionInterface.__abstractmethods__ == {
        "_retrieve_session_data",
        "_delete_session",
        "_upsert_session",
    }
    for store in (SqlSessionStore, RedisSessionStore, MemorySessionStore):
        assert not store.__abstractmethods__, store


# The package layers, inner to outer: nothing may import from a layer further out.
CORE = {
    "app.config",
    "app.extensions",
    "app.models",
    "app.tracing",
    "app.display",
    "app.flows",
    "app.sessionless",
    "app.logs",
    "app.static_files",
    "app.errors",
}
FEATURES = (
    "app.accounts",
    "app.session_auth",
    "app.jwt_auth",
    "app.inspect",
    "app.main",
    "app.scale",
    "app.browser_lab",
    "app.password_change",
    "app.token_lab",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def project_imports(folder: str) -> dict[str, set[str]]:
    graph = {}
    for path in (PROJECT_ROOT / folder).rglob("*.py"):
        wanted = ("app", "harness", "tests", "bench")
        graph[module_name(path)] = {m for m in imports_of(path) if m.split(".")[0] in wanted}
    return graph


def in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_core_modules_import_no_feature_package():
    for module, imported in project_imports("app").items():
        if any(in_package(module, core) for core in CORE):
            outward = {m for m in imported if any(in_package(m, f) for f in FEATURES)}
            assert outward == set(), f"{module} imports {outward}"


def test_features_never_import_another_features_routes():
    for module, imported in project_imports("app").items():
        own = next((f for f in FEATURES if in_package(module, f)), None)
        if own is None:
            continue
        foreign = {m for m in imported if m.endswith(".routes") and not in_package(m, own)}
        assert foreign == set(), f"{module} imports {foreign}"


def test_the_session_store_shapes_no_http_response():
    imported = project_imports("app")["app.session_auth.store"]
    assert not any(in_package(m, "app.errors") for m in imported)


def test_tools_and_tests_share_helpers_from_harness_not_from_tests():
    for module, imported in project_imports("bench").items():
        assert not any(in_package(m, "tests") for m in imported), module
    for module, imported in project_imports("harness").items():
        assert not any(in_package(m, "tests") for m in imported), module


def test_the_app_has_no_import_cycles():
    imports = project_imports("app")
    graph = {module: {m for m in imported if m in imports} for module, imported in imports.items()}
    visiting, done = set(), set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        if module in done:
            return
        assert module not in visiting, f"import cycle: {' -> '.join((*path, module))}"
        visiting.add(module)
        for imported in graph[module]:
            visit(imported, (*path, module))
        visiting.discard(module)
        done.add(module)

    for module in graph:
        visit(module, ())
