"""The signing keys: a key set, each key with a `kid` and exactly one algorithm.

* HS256: the shared secret JWT_SECRET_KEY. It is never published; whoever holds it can make
  tokens, so every server that verifies must also be trusted to sign.
* ES256: a P-256 key pair. The private half signs; the public half is served at
  `/.well-known/jwks.json`, so that anyone (the browser included) can check a token and no one
  can make one.

The private keys come from JWT_PRIVATE_KEYS (a JWKS with private members) when it is set, and
must in production. In development they live in the instance folder, in `jwt-keys.json` (mode
0600), created with one ES256 key on first start. Of each algorithm the last key listed signs;
the others still verify until they are removed, which is how a key is rotated out.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, current_app
from jwt.algorithms import ECAlgorithm

from app.config import ConfigurationError

ALGORITHMS = ("HS256", "ES256")
KEYS_FILE = "jwt-keys.json"
EXTENSION_KEY = "lab_jwt_keys"
PUBLIC_EC_MEMBERS = ("kty", "crv", "x", "y")


@dataclass(frozen=True)
class SigningKey:
    """One key of the set: its `kid`, its one algorithm, and the key objects PyJWT takes."""

    kid: str
    alg: str
    signing: object  # the HMAC secret, or the EC private key
    verifying: object  # the same secret, or the EC public key

    def public_jwk(self) -> dict | None:
        """The key as a public JWK (an EC key's public members only); None for a secret."""
        if self.alg != "ES256":
            return None
        members = json.loads(ECAlgorithm.to_jwk(self.verifying))
        public = {name: members[name] for name in PUBLIC_EC_MEMBERS}
        return {**public, "kid": self.kid, "alg": self.alg, "use": "sig"}


class KeySet:
    """The keys a token may name, and which of them signs new tokens."""

    def __init__(self, keys: list[SigningKey]) -> None:
        kids = [key.kid for key in keys]
        if len(set(kids)) != len(kids):
            raise ConfigurationError(f"two signing keys share a kid: {sorted(kids)}")
        self.keys = list(keys)
        self._by_kid = {key.kid: key for key in keys}

    def find(self, kid: object) -> SigningKey | None:
        return self._by_kid.get(kid) if isinstance(kid, str) else None

    def signing_key(self, alg: str) -> SigningKey | None:
        """The key that signs new tokens of `alg`: the last of that algorithm."""
        return next((key for key in reversed(self.keys) if key.alg == alg), None)

    def jwks(self) -> dict:
        """The public key set: public members of the asymmetric keys, never a secret."""
        return {"keys": [jwk for key in self.keys if (jwk := key.public_jwk()) is not None]}


def secret_kid(secret: str) -> str:
    """A name for the shared secret that tells nothing about it (a digest of 256 random bits)."""
    return "hs256-" + hashlib.sha256(secret.encode()).hexdigest()[:12]


def new_es256_jwk(now: float | None = None) -> dict:
    """A fresh P-256 key pair as a private JWK, with a kid saying when it was made."""
    private = ec.generate_private_key(ec.SECP256R1())
    members = json.loads(ECAlgorithm.to_jwk(private))
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(now))
    return {**members, "kid": f"es256-{stamp}-{os.urandom(2).hex()}", "alg": "ES256"}


def _from_jwk(member: object) -> SigningKey:
    if not isinstance(member, dict) or not isinstance(member.get("kid"), str):
        raise ConfigurationError("every key of JWT_PRIVATE_KEYS needs a string 'kid'")
    try:
        parsed = jwt.PyJWK(member)
    except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError) as exc:
        raise ConfigurationError(f"signing key {member['kid']!r} is not a usable JWK") from exc
    if parsed.algorithm_name not in ALGORITHMS:
        raise ConfigurationError(
            f"signing key {member['kid']!r} is for {parsed.algorithm_name}; "
            f"only {', '.join(ALGORITHMS)} are used"
        )
    key = parsed.key
    if parsed.algorithm_name == "ES256":
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ConfigurationError(f"signing key {member['kid']!r} has no private part ('d')")
        return SigningKey(member["kid"], "ES256", key, key.public_key())
    return SigningKey(member["kid"], "HS256", key, key)


def parse_private_jwks(text: str) -> list[SigningKey]:
    """The keys of a JWKS with private members (JWT_PRIVATE_KEYS, or the instance file)."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ConfigurationError("the private key set is not JSON") from exc
    members = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(members, list):
        raise ConfigurationError('the private key set must be a JWKS: {"keys": [...]}')
    return [_from_jwk(member) for member in members]


def instance_keys_file(instance_path: str) -> Path:
    return Path(instance_path) / KEYS_FILE


def write_private_jwks(path: Path, members: list[dict]) -> None:
    """Write the private key set readable by its owner only (0600), replacing it whole."""
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"keys": members}, handle, indent=2)
        handle.write("\n")
    os.replace(temporary, path)


def read_or_create_instance_jwks(instance_path: str) -> str:
    """The development key set's text, created with one ES256 key if there is none yet.
    O_EXCL: of several workers starting at once, one creates it and the others read it."""
    path = instance_keys_file(instance_path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            text = path.read_text(encoding="utf-8")
            if text.strip():
                return text
            time.sleep(0.01)  # another worker is still writing it
        raise ConfigurationError(f"{path} is empty; delete it to generate a new key") from None
    text = json.dumps({"keys": [new_es256_jwk()]}, indent=2) + "\n"
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return text


def load_key_set(app: Flask) -> KeySet:
    """The app's key set: the shared secret first, then the private key set's keys."""
    config = app.config
    secret = config["JWT_SECRET_KEY"]
    keys = [SigningKey(secret_kid(secret), "HS256", secret, secret)]
    text = config.get("JWT_PRIVATE_KEYS")
    if not text and not config["PRODUCTION"]:
        text = read_or_create_instance_jwks(app.instance_path)
    if text:
        keys += parse_private_jwks(text)
    key_set = KeySet(keys)
    algorithm = config["JWT_ALGORITHM"]
    if algorithm not in ALGORITHMS:
        raise ConfigurationError(f"JWT_ALGORITHM must be HS256 or ES256, got {algorithm!r}")
    if key_set.signing_key(algorithm) is None:
        raise ConfigurationError(
            f"JWT_ALGORITHM={algorithm} needs an {algorithm} key: set JWT_PRIVATE_KEYS to a JWKS "
            "holding one (`flask --app wsgi jwt-keys rotate` makes one in development)"
        )
    return key_set


def init_key_set(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = load_key_set(app)


def key_set() -> KeySet:
    return current_app.extensions[EXTENSION_KEY]
