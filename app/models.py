"""Database models: users, their notes, server-side sessions, refresh tokens and the denylist."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class User(db.Model):
    """Someone who can sign in under either scheme."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    notes: Mapped[list[Note]] = relationship(
        back_populates="owner", cascade="all, delete-orphan", order_by="Note.id"
    )

    def __repr__(self) -> str:
        return f"<User {self.username!r}>"


class Note(db.Model):
    """A piece of the user's own data: what an authenticated request fetches after auth."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    owner: Mapped[User] = relationship(back_populates="notes")

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "body": self.body}


class SessionRecord(db.Model):
    """One server-side session, in the schema Flask-Session's SQLAlchemy backend reads and writes.

    Declared here, once, so that Alembic owns the table. Flask-Session would otherwise define its
    own model at every `create_app()` and create the table behind the migrations' back.
    """

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(String(255), unique=True)
    # Whose session this is, so that a user's sessions can be listed and ended (the device list,
    # a password change) without reading every record. Flask-Session's own model has no such
    # column; it is written by our store only, at sign-in.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary)
    # Naive UTC, the way Flask-Session 0.8 writes it.
    expiry: Mapped[datetime] = mapped_column(DateTime, index=True)


class RefreshFamily(db.Model):
    """One JWT sign-in: the chain of refresh tokens that rotation makes from it.

    Times are Unix seconds, like the claims of the access tokens issued beside them.
    """

    __tablename__ = "refresh_families"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Where the visitor keeps the access tokens of this sign-in: "localStorage" or "cookie".
    storage: Mapped[str] = mapped_column(String(16))
    # The algorithm the visitor chose to sign this sign-in's access tokens, "HS256" or "ES256",
    # kept so that refreshes sign alike; None when they chose none: JWT_ALGORITHM then decides.
    algorithm: Mapped[str | None] = mapped_column(String(8), nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    # When every refresh token of the family expires (JWT_REFRESH_TOKEN_TTL after sign-in);
    # the whole family can be swept after that.
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
    revoked_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # "reuse" (a spent token came back) or "logout".
    revoked_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)

    user: Mapped[User] = relationship()


class RefreshToken(db.Model):
    """One refresh token of a family. Only its SHA-256 is kept: the token itself is 256 random
    bits, so a fast hash is enough (nothing to guess), and a leaked table signs no one in."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(
        ForeignKey("refresh_families.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)  # 1 for the sign-in, then one per rotation
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger)
    used_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # spent: rotated

    family: Mapped[RefreshFamily] = relationship()


class RevokedAccessToken(db.Model):
    """The denylist: an access token signed out before its `exp`, by its `jti`, until then."""

    __tablename__ = "revoked_access_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
