"""The replay labs' copies: what a thief who had copied an HttpOnly cookie would hold.

No page script can copy an HttpOnly cookie, so at sign-out the server keeps the copy itself, in
another HttpOnly cookie whose path only the replay route matches, for a few minutes. The replay
route then sends the copy through the very checks the real credential meets.
"""

from __future__ import annotations

from flask import Response, current_app

REPLAY_COPY_SECONDS = 600


def keep_copy(response: Response, name: str, value: str, path: str) -> None:
    response.set_cookie(
        name,
        value,
        max_age=REPLAY_COPY_SECONDS,
        path=path,
        httponly=True,
        samesite="Strict",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )


def forget_copy(response: Response, name: str, path: str) -> None:
    response.delete_cookie(
        name,
        path=path,
        httponly=True,
        samesite="Strict",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
