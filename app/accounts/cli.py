"""`flask seed-demo`: the demo accounts shown on the login pages."""

import click
from flask import Flask
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.accounts.credentials import InvalidFields, register_user
from app.extensions import db
from app.models import Note, User

DEMO_USERS = (
    {
        "username": "alice",
        "password": "wonderland",
        "display_name": "Alice Liddell",
        "notes": [
            ("Tea party", "Remember the March Hare's watch is two days wrong."),
            ("Reading list", "Jabberwocky, then the Walrus and the Carpenter."),
        ],
    },
    {
        "username": "bob",
        "password": "builder",
        "display_name": "Bob the Builder",
        "notes": [("Site plan", "Can we fix it? Check the scaffolding first.")],
    },
)


def seed_demo_users() -> list[str]:
    """Create the demo users and their notes if missing; return the usernames created."""
    created = []
    for spec in DEMO_USERS:
        exists = db.session.execute(
            select(User.id).where(User.username == spec["username"])
        ).first()
        if exists:
            continue
        # 'builder' is shorter than the sign-up minimum; demo accounts skip that one rule.
        user = User(
            username=spec["username"],
            password_hash=generate_password_hash(spec["password"]),
            display_name=spec["display_name"],
        )
        user.notes = [Note(title=title, body=body) for title, body in spec["notes"]]
        db.session.add(user)
        created.append(spec["username"])
    db.session.commit()
    return created


def register_commands(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Create the demo users alice/wonderland and bob/builder (safe to run twice)."""
        created = seed_demo_users()
        if created:
            click.echo(f"Created demo users: {', '.join(created)}")
        else:
            click.echo("Demo users already present.")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--display-name", default="")
    @click.password_option()
    def create_user(username: str, password: str, display_name: str) -> None:
        """Create a user with the same rules as the sign-up form."""
        try:
            user = register_user(username, password, display_name)
        except InvalidFields as invalid:
            raise click.ClickException(str(invalid)) from None
        click.echo(f"Created user {user.username} (id {user.id}).")
