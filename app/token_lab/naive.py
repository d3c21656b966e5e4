"""A deliberately broken JWT verifier: the token lab's target, never the site's.

It makes every classic mistake on purpose, so that each attack has something to work on: it
trusts the token's header to pick the algorithm and the key, accepts `alg: none`, takes a key
embedded in the token (`jwk`) or at an address the token names (`jku`), reads a key "file" or
runs a key "query" named by `kid`, falls back to an empty key when a `kid` names none, and
checks no claim at all (no `exp`, `nbf` or `aud`).

It guards nothing: nothing on the site trusts its answer. It touches no file and no network:
the "file system", the "database" and the attacker's "web server" are data in memory.
Signatures are still computed with PyJWT's own algorithm objects, as a naive library would.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _
from jwt.algorithms import ECAlgorithm, HMACAlgorithm

from app.jwt_auth.keys import key_set

# The lab's weak key: one word of static/lab/words.txt, chosen per server secret.
WEAK_KID = "lab-weak-key"
WORDS_FILE = "lab/words.txt"
WORDS_KEY = "lab_weak_words"
# The attacker's web server, as the naive verifier "fetches" from it: the key set travels in
# the address's fragment, standing for what that server would answer.
ATTACKER_ORIGIN = "https://attacker.example"
# The naive verifier's "file system": what reading each path gives.
FILES = {"/dev/null": b""}
# The naive verifier's "database" query, as a naive one builds it: by pasting the kid in.
KEY_QUERY = "SELECT key FROM keys WHERE kid = '{kid}'"
UNION_SELECT = re.compile(r"'\s*UNION\s+(?:ALL\s+)?SELECT\s+'([^']*)'", re.IGNORECASE)

HS256 = HMACAlgorithm(HMACAlgorithm.SHA256)
ES256 = ECAlgorithm(ECAlgorithm.SHA256)


class NaiveRefusal(Exception):
    """Even the naive verifier refuses this one; `reason` says why."""

    def __init__(self, reason) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class NaiveVerdict:
    """What the naive verifier believes, and how it came to believe it."""

    header: dict
    claims: dict
    how: LazyString  # how it came to believe: translated when the answer is written

    @property
    def admin(self) -> bool:
        return self.claims.get("role") == "admin" or self.claims.get("admin") is True


def _part(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, binascii.Error) as exc:
        raise NaiveRefusal(_("a part of the token is not base64url")) from exc


# How deep a header or payload may nest: what it believes is sent back as JSON, and a structure
# that only just parsed could be too deep to write out again.
MAX_DEPTH = 32


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e999: Python reads it as inf, which JSON cannot carry back
        raise ValueError(f"{text} is too large")
    return number


def _too_deep(value: object) -> bool:
    level = [value]
    for _depth in range(MAX_DEPTH):
        level = [
            child
            for item in level
            if isinstance(item, (dict, list))
            for child in (item.values() if isinstance(item, dict) else item)
        ]
        if not level:
            return False
    return True


def _json_part(text: str) -> dict:
    try:
        value = json.loads(_part(text), parse_constant=_no_constant, parse_float=_finite)
    except (ValueError, RecursionError) as exc:
        raise NaiveRefusal(_("a part of the token is not JSON")) from exc
    if not isinstance(value, dict):
        raise NaiveRefusal(_("a part of the token is not a JSON object"))
    if _too_deep(value):
        raise NaiveRefusal(
            _("a part of the token nests deeper than %(depth)d levels", depth=MAX_DEPTH)
        )
    return value


def load_weak_words(app: Flask) -> None:
    """Read the lab's small word list once, at start-up: the same file the page cracks the weak
    token with. The naive verifier itself opens no file."""
    lines = (Path(app.static_folder) / WORDS_FILE).read_text(encoding="utf-8").splitlines()
    app.extensions[WORDS_KEY] = tuple(word for line in lines if (word := line.strip()))


def weak_words() -> tuple[str, ...]:
    return current_app.extensions[WORDS_KEY]


def weak_key() -> str:
    """The lab's weak HS256 key: a dictionary word, the same on every worker."""
    words = weak_words()
    digest = hmac.new(current_app.secret_key.encode(), b"lab weak key", hashlib.sha256).digest()
    return words[int.from_bytes(digest[:4], "big") % len(words)]


def _ec_key(jwk: object) -> ec.EllipticCurvePublicKey:
    if not isinstance(jwk, dict):
        raise NaiveRefusal(_("the embedded key is not an EC key it can read"))
    try:
        key = ECAlgorithm.from_jwk(jwk)
    except (jwt.InvalidKeyError, ValueError, TypeError, KeyError) as exc:
        raise NaiveRefusal(_("the embedded key is not an EC key it can read")) from exc
    return key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key


def _fetch_jku(url: object) -> ec.EllipticCurvePublicKey:
    """The "fetch" of the key set at `jku`: only the lab's attacker's server is simulated."""
    if not isinstance(url, str) or not url.startswith(ATTACKER_ORIGIN + "/"):
        raise NaiveRefusal(
            _("it could fetch nothing from that jku (only the lab's attacker server is simulated)")
        )
    document = _json_part(urlsplit(url).fragment)
    keys = document.get("keys")
    if not isinstance(keys, list) or not keys:
        raise NaiveRefusal(_("the key set at jku holds no key"))
    return _ec_key(keys[0])


def _kid_key(kid: object) -> tuple[object, LazyString]:
    """The key a kid leads a naive verifier to, and where it found it."""
    if not isinstance(kid, str):
        raise NaiveRefusal(_("the kid is not text"))
    if kid == WEAK_KID:
        return weak_key().encode(), _("the lab's weak key (kid %(kid)s)", kid=kid)
    site = key_set().find(kid)
    if site is not None:
        if site.alg == "ES256":
            return site.verifying, _("the site's public key %(kid)s", kid=kid)
        return site.verifying, _("the site's secret key %(kid)s", kid=kid)
    if "/" in kid:
        # It opens the kid as a path, "tidied" the naive way: dots and slashes dropped.
        path = "/" + "/".join(part for part in kid.split("/") if part not in ("", ".", ".."))
        if path in FILES:
            return FILES[path], _("the empty file %(path)s, read as the key", path=path)
        raise NaiveRefusal(_("no such key file: %(path)s", path=path))
    if "'" in kid:
        found = UNION_SELECT.search(kid)
        if found is None:
            query = KEY_QUERY.format(kid=kid)
            raise NaiveRefusal(_("its key query failed: %(query)s", query=query))
        return found.group(1).encode(), _(
            "the key its query returned, %(key)s", key=repr(found.group(1))
        )
    # The lookup found nothing, and the missing key became an empty string.
    return b"", _("an empty key ('', since it has no key %(kid)s)", kid=ascii(kid))


def _choose_key(header: dict) -> tuple[object, LazyString]:
    if "jwk" in header:
        return _ec_key(header["jwk"]), _("the key inside the token (jwk)")
    if "jku" in header:
        return _fetch_jku(header["jku"]), _("the key set the token pointed to (jku)")
    if "kid" in header:
        return _kid_key(header["kid"])
    key = key_set().signing_key(current_app.config["JWT_ALGORITHM"])
    return key.verifying, _("the site's own key")


def _hmac_secret(key: object) -> bytes:
    if isinstance(key, ec.EllipticCurvePublicKey):
        # The algorithm-confusion mistake: the public key's PEM text used as an HMAC secret.
        # PyJWT's prepare_key() would refuse it; a naive verifier never calls it.
        return key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    return key.encode() if isinstance(key, str) else key


def naive_verify(token: str) -> NaiveVerdict:
    """Believe the token the way a careless library does; NaiveRefusal if even that fails."""
    parts = token.split(".")
    if len(parts) != 3:
        raise NaiveRefusal(_("the token is not three parts"))
    header, claims = _json_part(parts[0]), _json_part(parts[1])
    alg = header.get("alg")
    if isinstance(alg, str) and alg.lower() == "none":
        how = _("alg is %(alg)s, so it checked no signature at all", alg=alg)
        return NaiveVerdict(header, claims, how)
    key, source = _choose_key(header)
    signing_input = f"{parts[0]}.{parts[1]}".encode()
    signature = _part(parts[2])
    if alg == "HS256":
        matches = HS256.verify(signing_input, _hmac_secret(key), signature)
    elif alg == "ES256":
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise NaiveRefusal(
                _("ES256 needs a public key, and %(source)s is not one", source=source)
            )
        matches = ES256.verify(signing_input, key, signature)
    else:
        raise NaiveRefusal(_("it does not know the algorithm %(alg)s", alg=ascii(alg)[:40]))
    if not matches:
        raise NaiveRefusal(_("the signature does not match %(source)s", source=source))
    how = _(
        "signature checked with %(source)s, and nothing else: no exp, nbf or aud", source=source
    )
    return NaiveVerdict(header, claims, how)
