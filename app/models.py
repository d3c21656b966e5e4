"""Database models: users, their notes, and the server-side session records."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, Text
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
    data: Mapped[bytes] = mapped_column(LargeBinary)
    # Naive UTC, the way Flask-Session 0.8 writes it.
    expiry: Mapped[datetime] = mapped_column(DateTime, index=True)
