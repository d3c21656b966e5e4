"""`flask --app wsgi jwt-keys list|rotate|retire`: the signing key set, rotated by hand.

Rotating adds a key and makes it the one that signs; tokens signed with the previous key keep
verifying, since it stays in the set, until `retire` removes it, after which they are refused
("the token names a key this server does not have"). Retire a key once the tokens it signed
have expired: JWT_ACCESS_TOKEN_TTL_SECONDS after the rotation. Running servers read the set
when they start, so restart them after each change.

In development the set is the instance folder's jwt-keys.json, rewritten in place (0600). With
JWT_PRIVATE_KEYS set, and always in production (which never reads that file), the command prints
the new set for you to put in JWT_PRIVATE_KEYS.
"""

from __future__ import annotations

import base64
import json
import secrets

import click
from flask import Flask, current_app

from app.jwt_auth.keys import (
    ALGORITHMS,
    instance_keys_file,
    key_set,
    new_es256_jwk,
    read_or_create_instance_jwks,
    secret_kid,
    write_private_jwks,
)


def new_hs256_jwk() -> dict:
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    return {"kty": "oct", "k": secret, "alg": "HS256", "kid": f"hs256-{secrets.token_hex(6)}"}


def _keys_from_environment() -> bool:
    """Whether the servers read the private keys from JWT_PRIVATE_KEYS: when it is set, and
    always in production, which never reads the instance folder's file."""
    config = current_app.config
    return bool(config.get("JWT_PRIVATE_KEYS")) or config["PRODUCTION"]


def _private_members() -> list[dict]:
    config = current_app.config
    if _keys_from_environment():
        return list(json.loads(config.get("JWT_PRIVATE_KEYS") or '{"keys": []}')["keys"])
    text = read_or_create_instance_jwks(current_app.instance_path)
    return list(json.loads(text)["keys"])


def _save(members: list[dict]) -> None:
    if _keys_from_environment():
        click.echo("Put this key set in JWT_PRIVATE_KEYS, then restart every server:")
        click.echo(json.dumps({"keys": members}))
        return
    path = instance_keys_file(current_app.instance_path)
    write_private_jwks(path, members)
    click.echo(f"Saved {path} (mode 0600). Restart the servers to use it.")


def register_key_commands(app: Flask) -> None:
    @app.cli.group("jwt-keys")
    def keys() -> None:
        """The signing keys: list, rotate, retire."""

    @keys.command("list")
    def list_keys() -> None:
        """Every key: its kid, its algorithm, and whether it signs new tokens."""
        current = key_set()
        for key in current.keys:
            signs = current.signing_key(key.alg) is key
            where = (
                "JWT_SECRET_KEY"
                if key.kid == secret_kid(app.config["JWT_SECRET_KEY"])
                else ("JWT_PRIVATE_KEYS" if _keys_from_environment() else "jwt-keys.json")
            )
            state = "signs new tokens" if signs else "verifies only"
            public = ", published in /.well-known/jwks.json" if key.public_jwk() else ""
            click.echo(f"{key.kid}  {key.alg}  {state}{public}  ({where})")

    @keys.command("rotate")
    @click.option("--alg", type=click.Choice(ALGORITHMS), default="ES256", show_default=True)
    def rotate(alg: str) -> None:
        """Add a new key of ALG and make it the one that signs; the old one still verifies."""
        member = new_es256_jwk() if alg == "ES256" else new_hs256_jwk()
        _save([*_private_members(), member])
        click.echo(f"Added {member['kid']} ({alg}): it signs new {alg} tokens from the restart.")

    @keys.command("retire")
    @click.argument("kid")
    def retire(kid: str) -> None:
        """Remove key KID: the tokens it signed are refused from then on."""
        if kid == secret_kid(app.config["JWT_SECRET_KEY"]):
            raise click.ClickException(
                "That is JWT_SECRET_KEY's key: change JWT_SECRET_KEY to retire it."
            )
        members = _private_members()
        kept = [member for member in members if member.get("kid") != kid]
        if len(kept) == len(members):
            raise click.ClickException(f"No key {kid!r} in the set (see `jwt-keys list`).")
        if app.config["JWT_ALGORITHM"] == "ES256" and not any(
            member.get("alg") == "ES256" or member.get("crv") == "P-256" for member in kept
        ):
            raise click.ClickException(
                "That is the last ES256 key and JWT_ALGORITHM=ES256: rotate first."
            )
        _save(kept)
        click.echo(f"Retired {kid}: tokens it signed are refused from the restart.")
