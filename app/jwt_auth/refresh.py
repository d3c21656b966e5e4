"""Refresh tokens: opaque, rotated on every use, and a spent one coming back revokes its family.

A sign-in starts a family. Each refresh spends the family's newest token and issues the next
one, so a token works once. A spent token presented again means two parties hold the same
chain (the visitor and a thief, and it is impossible to tell which is which), so the whole
family is revoked: the newest token stops working too, and both have to sign in again.

Families and tokens are rows in the database (`app.models`), so they survive a restart and every
worker sees them. Only each token's SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _
from sqlalchemy import delete, func, select, update

from app.extensions import db
from app.models import RefreshFamily, RefreshToken, User

REFRESH_TOKEN_BYTES = 32  # 256 bits
# secrets.token_urlsafe(32) is 43 characters of the URL-safe base64 alphabet.
REFRESH_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
STORAGE_COOKIE = "cookie"
STORAGE_CHOICES = ("localStorage", STORAGE_COOKIE)
REVOKED_BY_REUSE = "reuse"
REVOKED_BY_LOGOUT = "logout"
REVOKED_BY_PASSWORD = "password"  # noqa: S105 (a reason code, not a password)

REASONS = {
    "missing": _(
        "no refresh token was sent: the lab_refresh cookie is missing (never set here, deleted "
        "at sign-out, or expired with its sign-in)"
    ),
    "unknown": _("the refresh token is not one this server issued"),
    "expired": _("the refresh token has expired"),
    REVOKED_BY_REUSE: _("refresh token reuse detected; this sign-in was revoked"),
    REVOKED_BY_LOGOUT: _("the refresh token was revoked: this sign-in was signed out"),
    REVOKED_BY_PASSWORD: _("the refresh token was revoked: the password was changed"),
}


class RefreshRefused(Exception):
    """A refresh token that gets no new access token; `reason` is safe to show the client."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code
        self.reason = REASONS[code]


@dataclass(frozen=True)
class IssuedRefresh:
    """A new refresh token (the only time it exists in clear) and who it speaks for."""

    token: str
    expires_in: int
    family: RefreshFamily
    user: User


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _now(now: float | None) -> int:
    return int(now if now is not None else time.time())


def _lifetime() -> int:
    return int(current_app.config["JWT_REFRESH_TOKEN_TTL"].total_seconds())


def _add_token(family: RefreshFamily, number: int, now: int) -> str:
    """Issue the family's next token. Every token of a family expires when the family does:
    a sign-in can be refreshed for JWT_REFRESH_TOKEN_TTL, and never for longer, so a stolen
    chain cannot be kept alive by rotating it."""
    token = secrets.token_urlsafe(REFRESH_TOKEN_BYTES)
    db.session.add(
        RefreshToken(
            family_id=family.id,
            number=number,
            token_hash=hash_refresh_token(token),
            issued_at=now,
            expires_at=family.expires_at,
        )
    )
    return token


def start_family(
    user: User, storage: str, algorithm: str | None = None, *, now: float | None = None
) -> IssuedRefresh:
    """Begin a sign-in's family with its first refresh token; `algorithm` is the visitor's
    choice of signature for its access tokens (None: whatever JWT_ALGORITHM says)."""
    at = _now(now)
    _sweep_expired_families(at)
    family = RefreshFamily(
        user_id=user.id,
        storage=storage,
        algorithm=algorithm,
        created_at=at,
        expires_at=at + _lifetime(),
    )
    db.session.add(family)
    db.session.flush()  # its id, for the first token
    token = _add_token(family, 1, at)
    db.session.commit()
    return IssuedRefresh(token, family.expires_at - at, family, user)


def find_refresh_token(token: str | None) -> RefreshToken | None:
    """The stored token this value hashes to, whatever its state; None for anything else."""
    if not token or not REFRESH_TOKEN_PATTERN.fullmatch(token):
        return None
    return db.session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == hash_refresh_token(token))
    )


def known_refresh_token(token: str | None) -> RefreshToken:
    """The stored token `token` hashes to, whatever its state, or RefreshRefused: "missing" when
    none was sent, "unknown" for one this server never issued."""
    if not token:
        raise RefreshRefused("missing")
    stored = find_refresh_token(token)
    if stored is None:
        raise RefreshRefused("unknown")
    return stored


def rotate(token: str | None, *, now: float | None = None) -> IssuedRefresh:
    """Spend `token` and issue the next one of its family, or raise RefreshRefused.

    What decides is two conditional UPDATEs in one transaction: the family must still be
    unrevoked, and the token still unspent, when the database applies them. So of two requests
    racing with the same token exactly one wins (the other counts as reuse), and a refresh
    racing a sign-out either commits before the revocation or is refused.
    """
    stored = known_refresh_token(token)
    family = stored.family
    at = _now(now)
    if family.revoked_at is not None:
        raise RefreshRefused(family.revoked_reason or REVOKED_BY_LOGOUT)
    if stored.used_at is not None:
        revoke_family(family, REVOKED_BY_REUSE, now=at)
        raise RefreshRefused(REVOKED_BY_REUSE)
    if stored.expires_at <= at:
        raise RefreshRefused("expired")
    live = db.session.execute(
        update(RefreshFamily)
        .where(RefreshFamily.id == family.id, RefreshFamily.revoked_at.is_(None))
        # Changes nothing, but takes the row's write lock until this transaction ends.
        .values(expires_at=RefreshFamily.expires_at)
        .execution_options(synchronize_session=False)
    )
    if live.rowcount != 1:
        db.session.rollback()
        db.session.refresh(family)
        raise RefreshRefused(family.revoked_reason or REVOKED_BY_LOGOUT)
    spent = db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == stored.id, RefreshToken.used_at.is_(None))
        .values(used_at=at)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        db.session.rollback()
        revoke_family(family, REVOKED_BY_REUSE, now=at)
        raise RefreshRefused(REVOKED_BY_REUSE)
    stored.used_at = at
    newest = db.session.scalar(
        select(func.max(RefreshToken.number)).where(RefreshToken.family_id == family.id)
    )
    fresh = _add_token(family, newest + 1, at)
    db.session.commit()
    return IssuedRefresh(fresh, family.expires_at - at, family, family.user)


def revoke_family(family: RefreshFamily | None, reason: str, *, now: float | None = None) -> bool:
    """Revoke every token of the family at once; False if it was already revoked.

    Conditional, so that of two revocations racing (a sign-out and a detected reuse) the first
    keeps its reason.
    """
    if family is None:
        return False
    revoked = db.session.execute(
        update(RefreshFamily)
        .where(RefreshFamily.id == family.id, RefreshFamily.revoked_at.is_(None))
        .values(revoked_at=_now(now), revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(family)
    return revoked.rowcount == 1


def revoke_user_families(user_id: int, reason: str, *, now: float | None = None) -> int:
    """Revoke every live refresh family of the user (a password change); how many."""
    at = _now(now)
    revoked = db.session.execute(
        update(RefreshFamily)
        .where(
            RefreshFamily.user_id == user_id,
            RefreshFamily.revoked_at.is_(None),
            RefreshFamily.expires_at > at,
        )
        .values(revoked_at=at, revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return revoked.rowcount


def newest_tokens(family: RefreshFamily, limit: int) -> list[RefreshToken]:
    """The family's newest `limit` tokens, oldest first."""
    newest = db.session.scalars(
        select(RefreshToken)
        .where(RefreshToken.family_id == family.id)
        .order_by(RefreshToken.number.desc())
        .limit(limit)
    ).all()
    return list(reversed(newest))


def _sweep_expired_families(now: int) -> None:
    """Remove up to a batch of families whose newest token has expired: no scheduler needed."""
    limit = current_app.config["JWT_SWEEP_BATCH"]
    oldest = (
        select(RefreshFamily.id)
        .where(RefreshFamily.expires_at <= now)
        .order_by(RefreshFamily.expires_at)
        .limit(limit)
    )
    ids = list(db.session.scalars(oldest))
    if ids:
        db.session.execute(delete(RefreshToken).where(RefreshToken.family_id.in_(ids)))
        db.session.execute(delete(RefreshFamily).where(RefreshFamily.id.in_(ids)))
