"""Access tokens: read from the request, issued and verified with PyJWT, never by hand.

Verification pins the algorithm list, requires every claim the site relies on, and turns each
PyJWT error into a precise, user-facing reason and the step of the flow that refused it: 2a (the
signature) or 2b (the claims). Verifying touches no database and no store: that is the point.
Only the checked routes then ask the denylist (app/jwt_auth/denylist.py), and pay a store read.
"""

from __future__ import annotations

import functools
import hmac
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

import jwt
from flask import current_app, request
from flask_babel import lazy_gettext as _
from flask_babel import lazy_ngettext
from jwt.algorithms import HMACAlgorithm
from jwt.api_jws import PyJWS
from jwt.exceptions import InvalidIssuedAtError, InvalidJTIError, InvalidSubjectError

from app.accounts.credentials import Identity
from app.config import ConfigurationError
from app.jwt_auth.denylist import denylist
from app.jwt_auth.keys import SigningKey, key_set
from app.models import User
from app.tracing import RequestTrace, current_trace, store_label

# `jti` too: signing a token out puts it on the denylist.
REQUIRED_CLAIMS = ("exp", "iat", "sub", "iss", "aud", "jti")
# ASCII digits only: str.isdigit() also accepts "²", which int() then refuses.
USER_ID_PATTERN = re.compile(r"[0-9]{1,18}")
MAX_TOKEN_LENGTH = 8 * 1024

# The steps of the JWT usage flow (app/flows.py) a token can be refused at.
STEP_TOKEN = "token"  # noqa: S105  (1: what was sent is not a bearer token at all)
STEP_SIGNATURE = "signature"  # 2a: not three base64url parts, a refused algorithm, a bad signature
STEP_CLAIMS = "claims"  # 2b: signed by us, but expired, for someone else, or missing a claim
STEP_DENYLIST = "denylist"  # the checked routes only: genuine and current, but signed out

SOURCE_HEADER = "header"
SOURCE_COOKIE = "cookie"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int
    claims: dict


class TokenRejected(Exception):
    """A bearer token that does not authenticate anyone; `reason` is safe to show the client.

    `reason` is translated when it is turned into text, so that the page says it in its own
    language and the WWW-Authenticate header in English. `step` is the step of the flow that
    refused it: STEP_TOKEN, STEP_SIGNATURE, STEP_CLAIMS or STEP_DENYLIST. `code` names the
    refusals a client may act on: "token_expired" (a refresh mends it) or "token_revoked".
    """

    def __init__(self, reason, step: str = STEP_CLAIMS, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.step = step
        self.code = code


def read_access_token() -> tuple[str, str] | None:
    """This request's access token, as sent, and where it came from; None if it carries none.

    `Authorization: Bearer <token>` first, as an API client sends it; otherwise the HttpOnly
    `lab_access` cookie that the browser sends by itself when the visitor chose that storage.
    Nothing is checked here: see check_token().
    """
    header = request.headers.get("Authorization")
    if header is None or header.strip() == "":
        cookie = request.cookies.get(current_app.config["JWT_ACCESS_COOKIE_NAME"])
        return (cookie, SOURCE_COOKIE) if cookie else None
    return header, SOURCE_HEADER


def _bearer_value(header: str) -> str:
    scheme, _space, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer":
        raise TokenRejected(_("the Authorization header must use the Bearer scheme"), STEP_TOKEN)
    if not token:
        raise TokenRejected(_("the Authorization header has no token after 'Bearer'"), STEP_TOKEN)
    return token


def _checked_shape(token: str) -> str:
    if len(token) > MAX_TOKEN_LENGTH:
        raise TokenRejected(_("the token is far too long to be one of ours"), STEP_TOKEN)
    if not token.isascii():
        raise TokenRejected(_("the token is malformed: it has non-ASCII characters"), STEP_TOKEN)
    return token


def signing_algorithm(chosen: str | None) -> str:
    """The algorithm a sign-in's access tokens are signed with: the one the visitor chose, while
    this server holds a key for it; JWT_ALGORITHM (whose key it always holds) otherwise.

    A refresh must not fail over a key retired since the sign-in: the visitor stays signed in,
    and the new token's header says which key signed it.
    """
    if chosen is not None and key_set().signing_key(chosen) is not None:
        return chosen
    return current_app.config["JWT_ALGORITHM"]


def issue_access_token(
    user: User,
    *,
    algorithm: str | None = None,
    now: float | None = None,
    csrf: str | None = None,
) -> IssuedToken:
    """Sign a short-lived access token for `user` with the key of `algorithm` (JWT_ALGORITHM
    when None); its header says which key (`kid`). The payload is readable by anyone.

    A token kept in a cookie carries `csrf`, the value its double-submit cookie must repeat in
    the `X-CSRF-Token` header of a state-changing request (as flask-jwt-extended does).
    """
    config = current_app.config
    issued_at = int(now if now is not None else time.time())
    lifetime = int(config["JWT_ACCESS_TOKEN_TTL"].total_seconds())
    claims = {
        "sub": str(user.id),
        "username": user.username,
        "name": user.display_name,
        "iat": issued_at,
        "exp": issued_at + lifetime,
        "iss": config["JWT_ISSUER"],
        "aud": config["JWT_AUDIENCE"],
        "jti": uuid.uuid4().hex,
    }
    if csrf is not None:
        claims["csrf"] = csrf
    algorithm = algorithm or config["JWT_ALGORITHM"]
    key = key_set().signing_key(algorithm)
    if key is None:  # the token endpoint refuses such a choice before anything is signed
        raise LookupError(f"this server has no {algorithm} signing key")
    token = jwt.encode(claims, key.signing, algorithm=key.alg, headers={"kid": key.kid})
    return IssuedToken(token=token, expires_in=lifetime, claims=claims)


def _refusal(exc: jwt.InvalidTokenError) -> TokenRejected:
    """A precise reason, and the step that refused, for each failure PyJWT reports."""
    if isinstance(exc, jwt.ExpiredSignatureError):
        return TokenRejected(_("the token has expired"), code="token_expired")
    if isinstance(exc, jwt.InvalidSignatureError):
        return TokenRejected(
            _("the signature does not match: the token was changed or signed with another key"),
            STEP_SIGNATURE,
        )
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return TokenRejected(_("the token has no '%(claim)s' claim", claim=exc.claim))
    if isinstance(exc, jwt.InvalidAudienceError):
        return TokenRejected(_("the token was issued for another audience"))
    if isinstance(exc, jwt.InvalidIssuerError):
        return TokenRejected(_("the token was issued by someone else"))
    if isinstance(exc, jwt.ImmatureSignatureError):
        return TokenRejected(_("the token is not valid yet (iat or nbf is in the future)"))
    if isinstance(exc, InvalidIssuedAtError):
        return TokenRejected(_("the token's 'iat' claim is not a valid time"))
    if isinstance(exc, InvalidSubjectError):
        return TokenRejected(_("the token's 'sub' claim is not a string"))
    if isinstance(exc, InvalidJTIError):
        return TokenRejected(_("the token's 'jti' claim is not a string"))
    if isinstance(exc, jwt.DecodeError):
        return TokenRejected(
            _("the token is malformed: it is not three base64url parts with JSON inside"),
            STEP_SIGNATURE,
        )
    # Any failure PyJWT adds later: refused all the same, and its English wording stays in the
    # log rather than in a reason shown in the page's language.
    current_app.logger.info("token refused: %s: %s", type(exc).__name__, exc)
    return TokenRejected(_("the token is invalid"), STEP_SIGNATURE)


def _algorithm_refusal(token: str, allowed: str):
    """Name the refused algorithm; only called once PyJWT has already refused the token."""
    try:
        alg = jwt.get_unverified_header(token).get("alg")
    except jwt.InvalidTokenError:
        alg = None
    return _(
        "the token's algorithm %(alg)s is not allowed (only %(allowed)s is)",
        alg=ascii(alg),
        allowed=allowed,
    )


class _KeyVettedOnceHMAC(HMACAlgorithm):
    """PyJWT's HMAC algorithm, with the key vetted once instead of on every verification.

    PyJWT's `prepare_key` checks that an HMAC secret is not a PEM, SSH, DER or JWK key (an
    algorithm-confusion guard) each time it is called: a regex scan, a JSON parse and two
    attempts to load the bytes with `cryptography`, which together cost more than the HMAC.
    The server's key never changes between requests, so the same check's result is reused.
    Signing and comparing stay PyJWT's own.
    """

    @functools.lru_cache(maxsize=4)  # noqa: B019  (one module-level instance, lives forever)
    def prepare_key(self, key: str | bytes) -> bytes:
        return super().prepare_key(key)


class _SplitTimedJWT(jwt.PyJWT):
    """PyJWT, noting when the signature check ends and the claim checks begin.

    `_decode_payload` is the hook PyJWT runs between the two ("intended to be overridden by
    subclasses", says its docstring), so one `decode()` can be reported as two timed steps
    without verifying anything twice. It and `_jws` are internals of PyJWT 2.15: the pin in
    requirements.txt says why, and `check_pyjwt_internals()` refuses to start if they change.
    """

    def __init__(self, options: dict | None = None) -> None:
        super().__init__(options)
        self._jws.unregister_algorithm("HS256")
        self._jws.register_algorithm("HS256", _KeyVettedOnceHMAC(HMACAlgorithm.SHA256))

    def _decode_payload(self, decoded: dict) -> dict:
        _signature_done_at.set(time.perf_counter())
        return super()._decode_payload(decoded)


_signature_done_at: ContextVar[float | None] = ContextVar("_signature_done_at", default=None)
# Required claims are set once here rather than merged into the options on every call.
_jwt = _SplitTimedJWT(options={"require": list(REQUIRED_CLAIMS)})


def check_pyjwt_internals() -> None:
    """Refuse to start if the PyJWT internals the split timing leans on are not there.

    Without this, a PyJWT upgrade that renamed the hook would pass every test and the pages
    would show "Signature verified 0 ms".
    """
    probe_key = "pyjwt-internals-probe-key-32-bytes!"
    problems = []
    jws = getattr(_jwt, "_jws", None)
    if not isinstance(jws, PyJWS):
        problems.append("PyJWT()._jws is not a PyJWS")
    elif not isinstance(jws.get_algorithm_by_name("HS256"), _KeyVettedOnceHMAC):
        problems.append("the HS256 algorithm registered on PyJWT()._jws is not ours")
    else:
        _signature_done_at.set(None)
        probe = jwt.encode({"probe": True}, probe_key, algorithm="HS256")
        _jwt.decode(probe, probe_key, algorithms=["HS256"], options={"require": []})
        if _signature_done_at.get() is None:
            problems.append("PyJWT.decode no longer calls _decode_payload")
    if problems:
        raise ConfigurationError(
            f"PyJWT {jwt.__version__} changed the internals app/jwt_auth/tokens.py relies on "
            f"({'; '.join(problems)}): pin PyJWT 2.15.x as requirements.txt says, or update it"
        )


def _timed_in_two_steps(verify: Callable) -> Callable:
    """Record a verification as steps 2a (signature) and 2b (claims), passed or refused.

    The time counts as auth cost whether the token passes or not: refusing a token costs
    work too.
    """

    @functools.wraps(verify)
    def wrapper(token: str, trace: RequestTrace | None = None) -> dict:
        trace = trace if trace is not None else current_trace()
        _signature_done_at.set(None)
        _verified_with.set(None)
        started = time.perf_counter()
        refused: TokenRejected | None = None
        try:
            return verify(token)
        except TokenRejected as rejected:
            refused = rejected
            raise
        finally:
            finished = time.perf_counter()
            if trace is not None:
                _record_steps(trace, started, _signature_done_at.get(), finished, refused)

    return wrapper


def _record_steps(
    trace: RequestTrace,
    started: float,
    split: float | None,
    finished: float,
    refused: TokenRejected | None,
) -> None:
    trace.scheme = "jwt"
    trace.auth_ms += (finished - started) * 1000
    key = _verified_with.get()
    if refused is not None and refused.step == STEP_SIGNATURE:
        ms = (finished - started) * 1000
        refusal = _("refused: %(reason)s", reason=refused.reason)
        trace.add("signature", _("Signature checked"), ms, refusal, True)
        return
    if split is None:
        raise RuntimeError("PyJWT did not call _decode_payload: see check_pyjwt_internals()")
    signature_ms, claims_ms = (split - started) * 1000, (finished - split) * 1000
    if key is not None and key.alg == "ES256":
        on_server = _("%(alg)s, public key %(kid)s", alg=key.alg, kid=key.kid)
    else:
        on_server = _("%(alg)s, key on server", alg=key.alg if key else "HS256")
    trace.add("signature", _("Signature verified"), signature_ms, on_server)
    if refused is not None:
        refusal = _("refused: %(reason)s", reason=refused.reason)
        trace.add("claims", _("Claims checked"), claims_ms, refusal, True)
        return
    trace.authenticated = True
    checked = _(
        "exp, iat, iss, aud, sub checked; session store reads: %(reads)d", reads=trace.store_reads
    )
    trace.add("claims", _("Claims validated"), claims_ms, checked)


@_timed_in_two_steps
def verify_access_token(token: str) -> dict:
    """Return the verified claims, or raise TokenRejected saying exactly why not, and where.

    The key is the one the token's `kid` names, taken from the server's own key set only, and
    the algorithm is that key's own: never the token's `alg`, never a key the token carries
    (`jwk`, `jku`, `x5u`, `x5c` are not even read). A token naming no key is checked with the
    key that signs new tokens.
    """
    config = current_app.config
    key = _key_for(token)
    _verified_with.set(key)
    try:
        claims = _jwt.decode(
            token,
            key.verifying,
            algorithms=[key.alg],  # pinned to the key: never taken from the token
            audience=config["JWT_AUDIENCE"],
            issuer=config["JWT_ISSUER"],
            leeway=config["JWT_LEEWAY_SECONDS"],
        )
    except jwt.InvalidAlgorithmError as exc:
        raise TokenRejected(_algorithm_refusal(token, key.alg), STEP_SIGNATURE) from exc
    except jwt.InvalidTokenError as exc:
        raise _refusal(exc) from exc
    if not USER_ID_PATTERN.fullmatch(claims["sub"]):
        raise TokenRejected(_("the token's 'sub' claim is not a user id"))
    for name in ("username", "name"):
        if not isinstance(claims.get(name), str):
            raise TokenRejected(
                _("the token's '%(claim)s' claim is missing or not a string", claim=name)
            )
    return claims


_verified_with: ContextVar[SigningKey | None] = ContextVar("_verified_with", default=None)


def _key_for(token: str) -> SigningKey:
    """The key the token names, from this server's key set; refused at 2a if there is none."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError as exc:
        raise _refusal(exc) from exc
    except jwt.InvalidTokenError as exc:  # PyJWT checks one header only: a kid must be text
        raise TokenRejected(_("the token's 'kid' header is not a string"), STEP_SIGNATURE) from exc
    if "kid" not in header:
        return key_set().signing_key(current_app.config["JWT_ALGORITHM"])
    key = key_set().find(header["kid"])
    if key is None:
        raise TokenRejected(
            _(
                "the token names a key this server does not have (kid %(kid)s)",
                kid=ascii(header["kid"])[:80],
            ),
            STEP_SIGNATURE,
        )
    return key


@dataclass(frozen=True)
class AccessCheck:
    """What one request's access token turned out to be: absent, verified or refused."""

    present: bool
    claims: dict | None = None
    refused: TokenRejected | None = None
    source: str | None = None  # SOURCE_HEADER or SOURCE_COOKIE
    key: SigningKey | None = None  # the key of the set that verified it

    def to_dict(self) -> dict:
        if self.claims is not None:
            return {
                "present": True,
                "valid": True,
                "source": self.source,
                "username": self.claims["username"],
                "expires_at": self.claims["exp"],
                # By the server's clock: a page schedules from this, whatever its own clock says.
                "expires_in": max(0, int(self.claims["exp"] - time.time())),
            }
        verdict = {"present": self.present, "valid": False}
        if self.source is not None:
            verdict["source"] = self.source
        if self.refused is not None:
            verdict |= {"reason": str(self.refused.reason), "failed_step": self.refused.step}
            if self.refused.code is not None:
                verdict["code"] = self.refused.code
        return verdict


def check_access_token(trace: RequestTrace | None = None, *, checked: bool = False) -> AccessCheck:
    """Read this request's access token and verify it, recording each step into the trace.

    With `checked`, a verified token is then looked up on the denylist: one store read.
    """
    found = read_access_token()
    if found is None:
        trace = trace if trace is not None else current_trace()
        trace.scheme = "jwt"
        return AccessCheck(present=False)
    sent, source = found
    return check_token(sent, source, trace, checked=checked)


def check_token(
    sent: str,
    source: str,
    trace: RequestTrace | None = None,
    *,
    checked: bool = False,
    method: str | None = None,
) -> AccessCheck:
    """Verify a token as it was sent (a Bearer header's value, or a cookie's) with a request of
    `method` (this request's by default): every check the API makes, in order, each recorded
    into the trace."""
    method = method or request.method
    trace = trace if trace is not None else current_trace()
    trace.scheme = "jwt"
    try:
        token = _checked_shape(_bearer_value(sent) if source == SOURCE_HEADER else sent)
        trace.add("token", _("Token received"), detail=_received(token, source))
        claims = verify_access_token(token, trace=trace)
        if checked:
            _check_denylist(claims, trace)
        if source == SOURCE_COOKIE and method in UNSAFE_METHODS:
            _check_double_submit(claims)
        return AccessCheck(present=True, claims=claims, source=source, key=_verified_with.get())
    except TokenRejected as rejected:
        if rejected.step == STEP_TOKEN:
            trace.add("token", _("Token received"), detail=rejected.reason, failed=True)
        return AccessCheck(present=True, refused=rejected, source=source)


def _received(token: str, source: str | None) -> str:
    if source == SOURCE_COOKIE:
        return lazy_ngettext(
            "%(num)d character, HttpOnly cookie", "%(num)d characters, HttpOnly cookie", len(token)
        )
    return lazy_ngettext(
        "%(num)d character, Bearer header", "%(num)d characters, Bearer header", len(token)
    )


class CsrfRefused(TokenRejected):
    """A genuine token in a cookie, on a state-changing request without its double submit."""

    def __init__(self, reason) -> None:
        super().__init__(reason, STEP_TOKEN)


def _check_double_submit(claims: dict) -> None:
    """A cookie rides along on a cross-site form; the header, which no form can set, must not."""
    sent = request.headers.get("X-CSRF-Token", "")
    expected = claims.get("csrf")
    if not sent:
        raise CsrfRefused(
            _(
                "a request authenticated by the lab_access cookie must repeat its CSRF value "
                "in X-CSRF-Token"
            )
        )
    if not isinstance(expected, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfRefused(_("the X-CSRF-Token header does not match this token's CSRF value"))


def _check_denylist(claims: dict, trace: RequestTrace) -> None:
    """The lookup a stateless token was meant to avoid: is this `jti` signed out?"""
    jti = claims.get("jti")
    revocations = denylist()
    before = trace.store_ms
    revoked = isinstance(jti, str) and revocations.is_revoked(jti)
    elapsed = trace.store_ms - before
    trace.auth_ms += elapsed
    label = _("Looked up on the denylist")
    where = store_label(revocations.store_kind)
    if revoked:
        detail = _("%(kind)s store: revoked", kind=where)
        trace.add(STEP_DENYLIST, label, elapsed, detail, True)
        trace.authenticated = False
        raise TokenRejected(_("the token was revoked"), STEP_DENYLIST, code="token_revoked")
    trace.add(STEP_DENYLIST, label, elapsed, _("%(kind)s store: not revoked", kind=where))


def identity_from_claims(claims: dict) -> Identity:
    """Who the token speaks for, built from the claims alone."""
    return Identity(int(claims["sub"]), claims["username"], claims["name"])
